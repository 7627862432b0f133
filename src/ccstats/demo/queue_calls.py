"""The queue calls of a day, built around the agents' inbound call legs.

* Every answered inbound leg ends a queue call: the caller waited in a queue, then
  this agent's phone rang and the agent answered. The queue call's ``answer`` is the
  leg's answer, its ``end`` the leg's end, its ``userId`` the agent; its ``start``
  is the leg's ringing minus the time the caller waited before it rang.
* A missed inbound leg rang while the caller waited. When another agent of the
  project starts ringing soon after it, the caller mostly rolled over to that agent:
  the answered queue call then starts before the missed leg. Otherwise the caller
  hung up while it rang: an abandoned queue call ending with the leg.
* Some callers hang up before any phone rings, the more the busier the queue: an
  abandoned queue call near an answered one, lasting the caller's patience.

Waits and abandons grow with the queue's `load`, so the service level is worst in
the peaks and on busy days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ccstats.demo.arrays import F64, I64, rounded
from ccstats.demo.clock import Clock
from ccstats.demo.cycles import IN_CYCLE, Cycles
from ccstats.demo.load import Load
from ccstats.demo.queues import draw_queues
from ccstats.demo.schedule import Shift

#: A missed leg may roll over to an answered leg that starts ringing this soon after it.
ROLLOVER_GAP = 240
#: Share of the missed legs with such a leg that did roll over.
ROLLOVER_SHARE = 0.7
#: Abandons before any ringing per answered call, at load 1 (they grow with its square).
ABANDON_RATE = 0.02
#: Seconds around an answered call's start in which such an abandoned call starts.
ABANDON_SPREAD = 600


@dataclass(frozen=True)
class QueueCalls:
    """Queue calls as columns: ``user`` 0 and ``answer`` -1 when not answered."""

    queue: I64
    project: I64
    user: I64
    start: I64
    answer: I64
    end: I64

    def __len__(self) -> int:
        return len(self.queue)

    def take(self, index: I64) -> QueueCalls:
        return QueueCalls(self.queue[index], self.project[index], self.user[index],
                          self.start[index], self.answer[index], self.end[index])

    @staticmethod
    def concat(*parts: QueueCalls) -> QueueCalls:
        return QueueCalls(*(np.concatenate([getattr(p, name) for p in parts]).astype(np.int64)
                            for name in ("queue", "project", "user", "start", "answer", "end")))


@dataclass(frozen=True)
class Legs:
    """Inbound call legs: ``ring`` is the leg's start, ``answer`` when its talk began
    (its end for a missed leg)."""

    user: I64
    project: I64
    ring: I64
    answer: I64
    end: I64


def inbound_legs(shift: Shift, cycles: Cycles, answered: bool) -> Legs:
    """The answered or the missed inbound legs of the shifts."""
    t_pre, t_call, t_after, _ = cycles.phases
    mask = cycles.keep & (cycles.kind == IN_CYCLE) & (cycles.answered == answered)
    user = np.broadcast_to(shift.user[:, None], mask.shape)
    return Legs(user[mask], cycles.project[mask], t_pre[mask], t_call[mask], t_after[mask])


def draw_queue_calls(rng: np.random.Generator, date: dt.date, clock: Clock, shift: Shift,
                     cycles: Cycles, projects: int) -> QueueCalls:
    """The queue calls of the local ``date``: answered, then abandoned while ringing, then
    abandoned before any ringing."""
    load = Load(rng, date, clock)
    taken = inbound_legs(shift, cycles, answered=True)
    answered, pressure = _answered(rng, taken, load, projects)
    rolled_to, rolled_start, rang = _missed(rng, inbound_legs(shift, cycles, answered=False),
                                            taken, load, projects)
    # A caller who rolled over has waited since before the missed leg rang.
    np.minimum.at(answered.start, rolled_to, rolled_start)
    return QueueCalls.concat(answered, rang, _abandoned(rng, answered, pressure))


def _answered(rng: np.random.Generator, taken: Legs, load: Load,
              projects: int) -> tuple[QueueCalls, F64]:
    """The queue call of each answered leg, and the load of its queue."""
    queue, factor = draw_queues(rng, taken.project, projects)
    pressure = load.at(taken.ring) * factor
    start = taken.ring - queue_waits(rng, pressure)
    calls = QueueCalls(queue, taken.project, taken.user, start, taken.answer, taken.end)
    return calls, pressure


def _missed(rng: np.random.Generator, missed: Legs, taken: Legs, load: Load,
            projects: int) -> tuple[I64, I64, QueueCalls]:
    """The missed legs' callers: of those who rolled over, the answered legs (indices in
    ``taken``) they rolled over to and when they entered the queue; the abandoned queue
    calls of the others."""
    queue, factor = draw_queues(rng, missed.project, projects)
    start = missed.ring - queue_waits(rng, load.at(missed.ring) * factor)
    target = next_ring(missed, taken, ROLLOVER_GAP)
    rolled = (target >= 0) & (rng.random(len(target)) < ROLLOVER_SHARE)
    gone = ~rolled
    nobody = np.zeros(int(gone.sum()), np.int64)
    abandoned = QueueCalls(queue[gone], missed.project[gone], nobody, start[gone], nobody - 1,
                           missed.end[gone])
    return target[rolled], start[rolled], abandoned


def next_ring(missed: Legs, taken: Legs, gap: int) -> I64:
    """For each missed leg, the index in ``taken`` of the first leg of its project to start
    ringing at or after its end, if within ``gap`` seconds and another agent's; else -1."""
    if len(taken.ring) == 0:
        return np.full(len(missed.ring), -1, np.int64)
    keys = taken.project << 32 | taken.ring
    order = np.argsort(keys, kind="stable")
    at = np.searchsorted(keys[order], missed.project << 32 | missed.end)
    found = order[np.minimum(at, len(order) - 1)]
    ok = ((at < len(order)) & (taken.project[found] == missed.project)
          & (taken.ring[found] - missed.end <= gap) & (taken.user[found] != missed.user))
    target: I64 = np.where(ok, found, -1)
    return target


def _abandoned(rng: np.random.Generator, answered: QueueCalls, pressure: F64) -> QueueCalls:
    """Callers who hung up before any phone rang, near the answered calls, the more the
    busier their queue."""
    who = np.flatnonzero(rng.random(len(answered)) < ABANDON_RATE * pressure**2)
    start = answered.start[who] + rng.integers(-ABANDON_SPREAD, ABANDON_SPREAD + 1, len(who))
    nobody = np.zeros(len(who), np.int64)
    return QueueCalls(answered.queue[who], answered.project[who], nobody, start, nobody - 1,
                      start + patience(rng, len(who)))


def queue_waits(rng: np.random.Generator, pressure: F64) -> I64:
    """Seconds a caller waits before a phone rings: none when an agent is free (less often
    the busier the queue), else exponential with a mean growing with the load."""
    n = len(pressure)
    free = rng.random(n) < np.clip(1.3 - 0.5 * pressure, 0.2, 0.92)
    waits = rounded(1 + rng.exponential(25.0 * pressure))
    out: I64 = np.where(free, 0, waits)
    return out


def patience(rng: np.random.Generator, n: int) -> I64:
    """Seconds an abandoning caller waits: a fifth hang up within 10 s (wrong number,
    changed mind), the others after about a minute and a quarter (median)."""
    short = rng.random(n) < 0.2
    long = np.exp(rng.normal(np.log(75.0), 0.7, n)).clip(10, 1800)
    out: I64 = np.where(short, rng.integers(2, 11, n), rounded(long))
    return out
