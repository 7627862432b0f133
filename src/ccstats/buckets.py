"""Buckets: from UTC quarter-hours to local dates and slots (events-and-kpis.md §2).

Statistics are stored per UTC quarter-hour (``qh = epoch_seconds // 900``). Every
IANA offset and transition since 1972 is a multiple of 15 minutes, so one UTC
quarter-hour lies inside exactly one local quarter-hour of any zone, and its
local wall-clock start is ``qh * 900 + offset``, where ``offset`` is the zone's
UTC offset during that quarter-hour. From that local time follow the local date
(``local // 86400`` days after 1970-01-01) and the slot (local time of day
floored to the interval).

This follows the wall clock: on the day clocks go back, the repeated hour's
quarter-hours map to the same local slots twice (an hourly bucket may then hold
more than 3600 s); on the day clocks go forward, no quarter-hour maps to the
skipped hour.

A query therefore needs only the zone's offsets over the requested range, as a
short list of `OffsetSegment` (one per period of constant offset), which the
stores turn into a ``CASE`` expression over ``qh``.
"""

from __future__ import annotations

import functools
import importlib.resources
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

QUARTER = 900
DAY = 86_400
HOUR = 3_600
EPOCH_DATE = date(1970, 1, 1)
#: Offsets are within ±26 h of UTC; this margin (in days) covers any zone.
MARGIN_DAYS = 2
#: Names in the IANA list that are no place's time (``Factory`` means "zone not set").
_NOT_ZONES = frozenset({"Factory"})


@dataclass(frozen=True, slots=True)
class OffsetSegment:
    """From quarter-hour `first_qh` on (until the next segment) the offset is `offset` seconds."""

    first_qh: int
    offset: int


@dataclass(frozen=True, slots=True)
class LocalRange:
    """Local dates [first_day, last_day] (days since 1970-01-01) in one zone."""

    zone: str
    first_day: int
    last_day: int
    segments: tuple[OffsetSegment, ...]

    @property
    def first_qh(self) -> int:
        """The first UTC quarter-hour that may belong to the range."""
        return (self.first_day - MARGIN_DAYS) * DAY // QUARTER

    @property
    def last_qh(self) -> int:
        """The last UTC quarter-hour that may belong to the range."""
        return (self.last_day + 1 + MARGIN_DAYS) * DAY // QUARTER - 1

    @property
    def scan_qhs(self) -> tuple[int, int]:
        """The first and last UTC quarter-hour that can hold a moment of the local dates.

        A narrower range than [`first_qh`, `last_qh`] (which covers the margin): a
        quarter-hour ``q`` lies on local date ``(q * 900 + offset) // 86400``, so the
        range is bounded by the largest and smallest offset of the segments.
        """
        offsets = [segment.offset for segment in self.segments]
        first = (self.first_day * DAY - max(offsets)) // QUARTER
        last = -(-((self.last_day + 1) * DAY - min(offsets)) // QUARTER) - 1
        return max(first, self.first_qh), min(last, self.last_qh)


@functools.cache
def known_zones() -> frozenset[str]:
    """The IANA zone names, as listed by the pinned ``tzdata`` package.

    The host's zoneinfo folder is not scanned: it also holds files that are no zone
    name (``localtime``, which is the server's own zone, ``posixrules``), and what
    it holds would make the accepted names depend on the host. The compatibility
    links of the list (``UTC``, ``US/Eastern``, ``Etc/GMT+12``) are IANA names too,
    and are accepted.
    """
    listed = importlib.resources.files("tzdata").joinpath("zones").read_text("utf-8")
    return frozenset(listed.split()) - _NOT_ZONES


def is_known_zone(name: str) -> bool:
    return name in known_zones()


def zone(name: str) -> ZoneInfo:
    """The zone called `name`; raises ValueError for an unknown name."""
    if not is_known_zone(name):
        raise ValueError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError as error:  # pragma: no cover - known_zones() agrees with ZoneInfo
        raise ValueError(f"unknown time zone {name!r}") from error


def day_number(day: date) -> int:
    """Days since 1970-01-01."""
    return (day - EPOCH_DATE).days


def day_of(number: int) -> date:
    return EPOCH_DATE + timedelta(days=number)


def _offset_at(tz: ZoneInfo, qh: int) -> int:
    delta = datetime.fromtimestamp(qh * QUARTER, UTC).astimezone(tz).utcoffset()
    assert delta is not None
    return int(delta.total_seconds())


@functools.lru_cache(maxsize=1024)
def local_range(zone_name: str, first: date, last: date) -> LocalRange:
    """The local dates `first`..`last` of `zone_name` with the offsets that cover them.

    Offsets are sampled every hour over the range (plus a margin) and every change
    is located to its quarter-hour by bisection.
    """
    tz = zone(zone_name)
    first_day, last_day = day_number(first), day_number(last)
    start = (first_day - MARGIN_DAYS) * DAY // QUARTER
    stop = (last_day + 1 + MARGIN_DAYS) * DAY // QUARTER
    step = HOUR // QUARTER
    segments = [OffsetSegment(start, _offset_at(tz, start))]
    previous_qh, previous = start, segments[0].offset
    for qh in range(start + step, stop + step, step):
        current = _offset_at(tz, qh)
        if current != previous:
            low, high = previous_qh, qh  # offset(low) == previous, offset(high) == current
            while high - low > 1:
                middle = (low + high) // 2
                if _offset_at(tz, middle) == previous:
                    low = middle
                else:
                    high = middle
            segments.append(OffsetSegment(high, current))
        previous_qh, previous = qh, current
    return LocalRange(zone_name, first_day, last_day, tuple(segments))


def hhmm(minute_of_day: int) -> int:
    """The API's `time` value of a slot starting `minute_of_day` minutes after midnight."""
    return minute_of_day // 60 * 100 + minute_of_day % 60
