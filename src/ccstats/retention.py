"""Retention: what a customer with ``keep_days`` N keeps, and where that ends.

The **cutoff** of such a customer at a moment `now` is the start of the local day
(in the customer's IANA zone) N days before the local date of `now`: with N = 30 on
a 31 March, the first day kept is 1 March, and the cutoff is the first instant of
1 March there (on a day whose midnight a DST change skips, the instant the day
begins). Pruning (`ccstats.store.base.Store.prune_before`) then removes:

- the events that ended before the cutoff, and the open ones that started before
  it (`ccstats.store.selection.EventSelection`);
- the sums rows of the UTC quarter-hours before the cutoff, those of the local
  hours and days before the cutoff day, and the queue-call rows of the calls that
  started before the cutoff.

Every contribution of a removed event lies before the cutoff, so the sums keep
the contributions to the days kept and no other: an event that straddles the
cutoff stays, and feeds the kept days as before. The answers for the days from
the cutoff day on, in the customer's zone, do not change; the earlier days answer
nothing. (In another zone, the day of the cutoff is cut where the customer's day
begins.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ccstats import buckets
from ccstats.buckets import QUARTER
from ccstats.store.selection import EventSelection

#: The longest retention: a hundred years.
MAX_KEEP_DAYS = 36_500

#: The tables of sums and queue-call rows, each with the column that places a row in
#: time: a UTC quarter-hour or a local day.
PRUNED_TABLES = {"sums": "qh", "sums_hour": "day", "sums_day": "day", "queue_calls": "qh"}


@dataclass(frozen=True, slots=True)
class Cutoff:
    """The first local date kept (`day`) and the instant it begins (`moment`, epoch s)."""

    day: date
    moment: int

    def events(self) -> EventSelection:
        """The events that go: ended before the cutoff (or open, and started before it)."""
        return EventSelection(ended_before=self.moment)

    def before(self, table: str) -> str:
        """The SQL condition on a row of `table` (one of `PRUNED_TABLES`) that lies before
        the cutoff."""
        if PRUNED_TABLES[table] == "day":
            return f"day < {buckets.day_number(self.day)}"
        return f"qh < {self.moment // QUARTER}"


def cutoff(zone: str, keep_days: int, now: int) -> Cutoff:
    """The cutoff of a customer in `zone` keeping `keep_days` days, at `now` (epoch s)."""
    tz = buckets.zone(zone)
    first = datetime.fromtimestamp(now, tz).date() - timedelta(days=keep_days)
    # (fold 0: a midnight that occurs twice is its first; one that a change skips is
    # read with the offset before it, which is the instant the day begins)
    return Cutoff(first, int(datetime.combine(first, time(0), tzinfo=tz).timestamp()))


@dataclass(frozen=True, slots=True)
class Pruned:
    """What pruning one customer did: the first day kept (None: the customer keeps
    everything, and nothing was done) and the events removed."""

    customer: str
    keep_days: int | None
    kept_from: date | None
    events: int
