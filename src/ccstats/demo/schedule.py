"""One day's shifts: who works, from when, for how long, and when they take their breaks.

About 93 % of the agents work on a weekday; on weekends, half of the agents who work
weekends (about 8 %). A shift starts between 07:00 and 10:00 local time, mostly
within a quarter-hour of the agent's usual start, and lasts about 8 hours: two
breaks of about 15 minutes and a lunch break of about 30 minutes, taken after about
a quarter, a half and three quarters of the working time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ccstats.demo.agents import Agents
from ccstats.demo.arrays import I64, rounded
from ccstats.demo.clock import Clock

EARLIEST_START = 7 * 3600
LATEST_START = 10 * 3600


@dataclass(frozen=True, slots=True)
class Shift:
    """The planned shifts of the agents who work on a day (one entry per agent-day)."""

    user: I64
    primary: I64
    secondary: I64
    start: I64
    """UTC."""
    breaks: I64
    """(3, agent-days): the lengths of the short, the long and the second short break."""
    work: I64
    """Seconds of work, breaks excluded."""
    marks: I64
    """(3, agent-days): the working time after which each break is taken."""


def draw_shifts(rng: np.random.Generator, date: dt.date, agents: Agents, clock: Clock) -> Shift:
    """Who works on `date`, when they start, how long they work and when they pause."""
    weekend = date.weekday() >= 5
    chance = np.where(agents.weekend_worker, 0.5, 0.0) if weekend else 0.93
    who = np.flatnonzero(rng.random(len(agents)) < chance)
    n = len(who)
    usual = rng.random(n) < 0.85
    start_local = np.where(
        usual,
        agents.usual_start[who] + rng.integers(0, 900, n),
        rng.integers(EARLIEST_START, LATEST_START + 1, n),
    ).clip(EARLIEST_START, LATEST_START)
    breaks = np.stack([
        rounded(900 + rng.uniform(-120, 120, n)),
        rounded(1800 + rng.uniform(-180, 180, n)),
        rounded(900 + rng.uniform(-120, 120, n)),
    ])
    work = rounded(8 * 3600 + rng.uniform(-900, 900, n)) - breaks.sum(axis=0)
    marks = np.stack([rounded(work * f + rng.uniform(-600, 600, n)) for f in (0.25, 0.5, 0.75)])
    return Shift(who.astype(np.int64) + 1, agents.primary[who], agents.secondary[who],
                 clock.local_to_utc(date, start_local.astype(np.int64)), breaks, work, marks)
