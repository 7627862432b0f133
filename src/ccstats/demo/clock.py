"""The demo's zone: local wall times to UTC, and the offset at every UTC quarter-hour."""

from __future__ import annotations

import datetime as dt

import numpy as np

from ccstats.buckets import DAY, QUARTER, day_number, local_range, zone
from ccstats.demo.arrays import I64


class Clock:
    """One IANA zone over ``days`` local dates from ``first`` (with the margin of
    `ccstats.buckets.LocalRange`, which covers any moment of those dates)."""

    def __init__(self, name: str, first: dt.date, days: int) -> None:
        self.zone = zone(name)
        span = local_range(name, first, first + dt.timedelta(days=days - 1))
        self.first_qh = span.first_qh
        count = span.last_qh - span.first_qh + 1
        starts = [min(s.first_qh - span.first_qh, count) for s in span.segments]
        lengths = np.diff([*starts, count])
        #: The UTC offset in seconds at each UTC quarter-hour from `first_qh` on.
        self.offsets: I64 = np.repeat([s.offset for s in span.segments], lengths).astype(np.int64)

    def quarter(self, t: I64) -> I64:
        """The index in `offsets` of the UTC epoch seconds ``t``."""
        index: I64 = t // QUARTER - self.first_qh
        return index

    def seconds_of_day(self, t: I64) -> I64:
        """The local wall time of the UTC epoch seconds ``t``, in seconds after midnight."""
        local: I64 = (t + self.offsets[self.quarter(t)]) % DAY
        return local

    def local_to_utc(self, date: dt.date, seconds_of_day: I64) -> I64:
        """UTC epoch seconds of local wall times on ``date`` (the earlier one if repeated)."""
        wall = day_number(date) * DAY + seconds_of_day
        day_offsets = np.array(
            [_offset(dt.datetime.combine(date, dt.time(q // 4, q % 4 * 15), self.zone))
             for q in range(DAY // QUARTER)],
            np.int64,
        )
        utc: I64 = wall - day_offsets[seconds_of_day // QUARTER]
        return utc

    def midnight(self, date: dt.date) -> int:
        """UTC epoch seconds of the local midnight that starts ``date``."""
        return int(self.local_to_utc(date, np.zeros(1, np.int64))[0])


def _offset(moment: dt.datetime) -> int:
    delta = moment.utcoffset()
    return 0 if delta is None else int(delta.total_seconds())
