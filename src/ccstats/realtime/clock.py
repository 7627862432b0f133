"""The moment a real-time answer describes: ``now``, the stale limit and the customer's today.

``now`` is the server's clock, taken once per request (realtime.md §2), so that
every duration and every test of an answer refers to the same second. An open
interval is *stale* when it started more than `STALE_AFTER_SECONDS` before
``now`` (realtime.md §1). *Today* is the customer's local date of ``now``: the
UTC epoch seconds from the first second of that date up to the first second of
the next one, which differ by 23, 24 or 25 hours on the days clocks change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ccstats import buckets
from ccstats.events import STALE_AFTER_SECONDS

#: Every zone's offset lies within this many seconds of UTC: the first second of a local
#: date lies within it of that date's UTC midnight.
_REACH = 2 * buckets.DAY


@dataclass(frozen=True, slots=True)
class Moment:
    """A request's ``now`` and the limits that follow from it (epoch seconds)."""

    now: int
    stale_from: int
    """The earliest start of an open interval that is not stale."""
    day_start: int
    """The first second of the customer's local date of `now`."""
    day_stop: int
    """The first second of the next local date."""

    @property
    def since(self) -> int:
        """The earliest start of an event that any real-time answer may read."""
        return min(self.stale_from, self.day_start)


def moment(zone_name: str, now: int) -> Moment:
    """The moment `now` for a customer in `zone_name`."""
    tz = buckets.zone(zone_name)
    today = datetime.fromtimestamp(now, tz).date()
    return Moment(now, now - STALE_AFTER_SECONDS, first_second(tz, today),
                  first_second(tz, today + timedelta(days=1)))


def first_second(tz: ZoneInfo, day: date) -> int:
    """The first epoch second whose local date in `tz` is `day` (or a later date, for a
    date a clock change skips), found by bisection (local dates do not go back as time goes on)."""
    low = buckets.day_number(day) * buckets.DAY - _REACH
    high = low + 2 * _REACH
    while low < high:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).date() >= day:
            high = middle
        else:
            low = middle + 1
    return low
