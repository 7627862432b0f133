"""Timestamps as JSON text: epoch seconds, or quoted local ISO-8601 with the offset."""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ccstats.buckets import DAY, QUARTER, day_of
from ccstats.demo.arrays import I64
from ccstats.demo.clock import Clock
from ccstats.demo.text import join


class Stamps:
    """The text of the timestamps that `clock` covers.

    ISO-8601 text is joined from pieces: ``"yyyy-mm-ddT`` by local date, ``hh:mm:ss``
    by second of the day, ``+hh:mm"`` by offset.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        distinct, self._offset_code = np.unique(clock.offsets, return_inverse=True)
        # Local dates reach a day beyond the UTC days of the clock's quarter-hours.
        self._first_day = clock.first_qh * QUARTER // DAY - 1
        days = len(clock.offsets) * QUARTER // DAY + 2
        self._dates = pa.array([f'"{day_of(self._first_day + d)}T' for d in range(days)],
                               pa.string())
        self._offset_text = pa.array([f'{_offset_text(int(o))}"' for o in distinct], pa.string())
        _times_of_day()  # the shared table, built before threads need it

    def text(self, iso: bool, values: I64) -> pa.Array:
        """``values`` (UTC epoch seconds) as epoch numbers or as quoted local ISO-8601."""
        return self.iso(values) if iso else pc.cast(pa.array(values), pa.string())

    def iso(self, t: I64) -> pa.Array:
        """``"yyyy-mm-ddThh:mm:ss+hh:mm"`` (with the quotes) in local time."""
        quarter = self.clock.quarter(t)
        day, second = np.divmod(t + self.clock.offsets[quarter], DAY)
        return join(
            self._dates.take(pa.array(day - self._first_day)),
            _times_of_day().take(pa.array(second)),
            self._offset_text.take(pa.array(self._offset_code[quarter])),
        )


def nullable(text: pa.Array, values: I64) -> pa.Array:
    """``text`` where ``values >= 0``, else ``null``."""
    return pc.if_else(pa.array(values >= 0), text, pa.scalar("null", pa.string()))


@cache
def _times_of_day() -> pa.Array:
    """``hh:mm:ss`` for every second of a day."""
    return pa.array(
        [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY)], pa.string()
    )


def _offset_text(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
