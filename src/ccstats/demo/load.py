"""How busy the inbound queues are: the callers' peaks over the local day, times the
day's own level.

The load is 1 on an ordinary day at an ordinary hour. It peaks mid-morning and
mid-afternoon, is low early and late, is highest on Mondays and varies from day to
day; the queue calls' waits and abandons grow with it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from ccstats.demo.arrays import F64, I64
from ccstats.demo.clock import Clock

#: The load outside the peaks.
BASE = 0.55
#: (local second of the day, width in seconds, height) of each peak.
PEAKS = ((10.5 * 3600, 1.3 * 3600, 0.75), (14.5 * 3600, 1.5 * 3600, 0.60))
#: The day's level by weekday, Monday first.
WEEKDAYS = (1.15, 1.0, 1.0, 1.0, 0.95, 0.9, 0.85)
#: Spread of the day's level around its weekday's (log-normal sigma).
DAY_SPREAD = 0.12


class Load:
    """The load of one local date."""

    def __init__(self, rng: np.random.Generator, date: dt.date, clock: Clock) -> None:
        self.clock = clock
        self.level = WEEKDAYS[date.weekday()] * float(np.exp(rng.normal(0.0, DAY_SPREAD)))

    def at(self, t: I64) -> F64:
        """The load at the UTC epoch seconds ``t``."""
        return self.level * time_of_day(self.clock.seconds_of_day(t))


def time_of_day(seconds: I64) -> F64:
    """The profile over the local day (``seconds`` after midnight)."""
    load = np.full(len(seconds), BASE)
    for centre, width, height in PEAKS:
        load += height * np.exp(-0.5 * ((seconds - centre) / width) ** 2)
    return load
