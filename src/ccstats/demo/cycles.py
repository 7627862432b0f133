"""The work cycles of each agent-day, back to back from the shift's start.

* outbound: waiting (``available``, sometimes ``waitingForRecall``), ``prework``,
  the call (dialling, then the talk when answered, about 40 % of the time, 5-30 s
  after the start), ``afterwork``;
* inbound: ``waitingForCall``, ``ringing``, the talk, ``afterwork``; about 92 % are
  answered, a missed call rings only (no ``call`` state, no after-work);
* now and then ``unavailable`` for a few minutes.

Talk times are log-normal with a median of 3.5 minutes. Project ``projects`` takes
inbound calls only; on the others about 30 % of the cycles are inbound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ccstats.demo.arrays import I64, Mask, rounded
from ccstats.demo.schedule import Shift

OUT_CYCLE, IN_CYCLE, AWAY_CYCLE = 0, 1, 2
#: Cycles drawn per agent-day; far more than fit in a shift.
MAX_CYCLES = 64


@dataclass(frozen=True, slots=True)
class Cycles:
    """The cycles as (agent-day, cycle) matrices of seconds: the wait, then prework or
    ringing (`pre`), the call (`in_call`, which `dial` starts), after-call work. `keep`
    marks the cycles of the shift."""

    project: I64
    kind: I64
    answered: Mask
    wait: I64
    pre: I64
    dial: I64
    in_call: I64
    after: I64
    keep: Mask
    cum_start: I64
    """Working seconds before each cycle."""
    cum_end: I64
    """Working seconds after each cycle."""
    start: I64
    """UTC, the breaks before the cycle included."""

    @property
    def has_call_state(self) -> Mask:
        call_state: Mask = (self.kind == OUT_CYCLE) | ((self.kind == IN_CYCLE) & self.answered)
        return call_state

    @property
    def phases(self) -> tuple[I64, I64, I64, I64]:
        """UTC starts of each cycle's prework or ringing, of its call state (an inbound
        call's answer), of its after-call work and of the next cycle (breaks aside)."""
        t_pre = self.start + self.wait
        t_call = t_pre + self.pre
        t_after = t_call + self.in_call
        return t_pre, t_call, t_after, t_after + self.after


def draw_cycles(rng: np.random.Generator, shift: Shift, projects: int) -> Cycles:
    """Draw `MAX_CYCLES` cycles per agent-day and mark those that fit the shift."""
    shape = (len(shift.user), MAX_CYCLES)
    project, kind, answered = _kinds(rng, shift, projects, shape)
    wait, pre, dial, in_call, after = _lengths(rng, kind, answered, shape)
    cum_start, keep = _fit(shift, wait, pre + in_call + after)
    cum_end = np.cumsum(wait + pre + in_call + after, axis=1)
    pause = np.zeros(shape, np.int64)
    for mark, length in zip(shift.marks, shift.breaks, strict=True):
        pause += np.where(cum_start >= mark[:, None], length[:, None], 0)
    start = shift.start[:, None] + cum_start + pause
    return Cycles(project, kind, answered, wait, pre, dial, in_call, after, keep, cum_start,
                  cum_end, start)


def _kinds(rng: np.random.Generator, shift: Shift, projects: int,
           shape: tuple[int, int]) -> tuple[I64, I64, Mask]:
    """Each cycle's project, kind and whether its call is answered."""
    on_secondary = (shift.secondary > 0)[:, None] & (rng.random(shape) < 0.3)
    project = np.where(on_secondary, shift.secondary[:, None], shift.primary[:, None])
    kind = np.where((project == projects) | (rng.random(shape) < 0.3), IN_CYCLE, OUT_CYCLE)
    kind = np.where(rng.random(shape) < 0.03, AWAY_CYCLE, kind)
    answered = rng.random(shape) < np.where(kind == OUT_CYCLE, 0.40, 0.92)
    return project, kind, answered


def _lengths(rng: np.random.Generator, kind: I64, answered: Mask,
             shape: tuple[int, int]) -> tuple[I64, I64, I64, I64, I64]:
    """The seconds of each cycle's wait, prework or ringing, dialling, call and after-work."""
    out, inb, away = kind == OUT_CYCLE, kind == IN_CYCLE, kind == AWAY_CYCLE
    talk = rounded(np.exp(rng.normal(np.log(210.0), 0.65, shape)).clip(5, 3600))
    wait = np.where(
        away,
        rounded(60 + rng.exponential(300.0, shape)),
        rounded(5 + rng.exponential(np.where(out, 1100.0, 1050.0))),
    )
    pre = np.where(
        out,
        rounded(5 + rng.exponential(20.0, shape)),
        np.where(answered, rng.integers(3, 21, shape), rng.integers(15, 46, shape)),
    )
    pre = np.where(away, 0, pre)
    dial = np.where(answered, rng.integers(5, 31, shape), rng.integers(15, 46, shape))
    in_call = np.where(out, dial + np.where(answered, talk, 0), np.where(inb & answered, talk, 0))
    outbound_after = np.where(answered, rounded(15 + rng.exponential(60.0, shape)),
                              rounded(3 + rng.exponential(10.0, shape)))
    after = np.where(out, outbound_after, rounded(10 + rng.exponential(45.0, shape)))
    after = np.where(out | (inb & answered), after, 0)
    return wait, pre, dial, in_call, after


def _fit(shift: Shift, wait: I64, rest: I64) -> tuple[I64, Mask]:
    """The working seconds before each cycle, and the cycles that start within the work.

    Shortens (in place) the wait of each shift's last cycle so that the shift ends
    close to its planned end.
    """
    total = wait + rest
    cum_end = np.cumsum(total, axis=1)
    cum_start = cum_end - total
    keep = cum_start < shift.work[:, None]
    rows, last = np.arange(len(shift.user)), keep.sum(axis=1) - 1
    wait[rows, last] -= np.clip(cum_end[rows, last] - shift.work, 0, wait[rows, last] - 5)
    return cum_start, keep
