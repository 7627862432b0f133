"""The events of the agents' working time: breaks, and the states, calls and
dispositions of the cycles that fit the shift.

Within a shift the user states are back to back, contiguous and non-overlapping.
An outbound call's event starts with the dialling; an inbound call's when the phone
rings. Every outbound call gets a ``disposition`` during its after-call work
(``success``, ``recall`` or ``failed`` when answered, mostly ``reachFailed`` else).
"""

from __future__ import annotations

import numpy as np

from ccstats.demo import codes
from ccstats.demo.arrays import I64, pick
from ccstats.demo.cycles import AWAY_CYCLE, IN_CYCLE, MAX_CYCLES, OUT_CYCLE, Cycles
from ccstats.demo.rows import RowBuilder
from ccstats.demo.schedule import Shift

#: Share of outbound waits spent in ``waitingForRecall`` instead of ``available``.
RECALL_SHARE = 0.1
ANSWERED_STATUS = codes.subtype_weights(
    "disposition", {"success": 0.35, "recall": 0.35, "failed": 0.30})
UNANSWERED_STATUS = codes.subtype_weights(
    "disposition", {"recall": 0.15, "failed": 0.10, "reachFailed": 0.75})


def add_breaks(rows: RowBuilder, shift: Shift, cycles: Cycles) -> None:
    """The breaks: each after the cycle that runs across its mark."""
    agent_days = np.arange(len(shift.user))
    taken = np.zeros(len(shift.user), np.int64)
    for mark, length in zip(shift.marks, shift.breaks, strict=True):
        last = (cycles.cum_start < mark[:, None]).sum(axis=1) - 1
        start = shift.start + cycles.cum_end[agent_days, np.minimum(last, MAX_CYCLES - 1)] + taken
        rows.add(codes.USERSTATE, codes.BREAK, shift.user, shift.primary, start,
                 t_end=start + length)
        taken += length


def add_cycles(rows: RowBuilder, rng: np.random.Generator, shift: Shift, cycles: Cycles) -> I64:
    """The user states, calls and dispositions of the kept cycles; returns each shift's end."""
    c = cycles
    user = np.broadcast_to(shift.user[:, None], c.kind.shape)
    t_pre, t_call, t_after, t_next = c.phases
    _add_waits(rows, rng, c, user, t_pre)
    _add_calls(rows, c, user, (t_pre, t_call, t_after))
    m = c.keep & c.has_call_state
    rows.add_where(m, codes.USERSTATE, codes.IN_CALL, user, c.project, t_call, t_end=t_after)
    rows.add_where(m, codes.USERSTATE, codes.AFTERWORK, user, c.project, t_after, t_end=t_next)
    _add_dispositions(rows, rng, c, user, t_after)
    shift_end: I64 = t_next[np.arange(len(shift.user)), c.keep.sum(axis=1) - 1]
    return shift_end


def _add_waits(rows: RowBuilder, rng: np.random.Generator, c: Cycles, user: I64,
               t_pre: I64) -> None:
    """The state of each cycle's wait."""
    recall = rng.random(c.kind.shape) < RECALL_SHARE
    state = np.select(
        [c.kind == AWAY_CYCLE, c.kind == IN_CYCLE, recall],
        [codes.UNAVAILABLE, codes.WAITING_FOR_CALL, codes.WAITING_FOR_RECALL],
        codes.AVAILABLE,
    ).astype(np.int64)
    rows.add_where(c.keep, codes.USERSTATE, state, user, c.project, c.start, t_end=t_pre)


def _add_calls(rows: RowBuilder, c: Cycles, user: I64,
               phases: tuple[I64, I64, I64]) -> None:
    """Prework or ringing, and the call event; `phases` are their starts and its end."""
    t_pre, t_call, t_after = phases
    out = c.kind == OUT_CYCLE
    m = c.keep & (c.kind != AWAY_CYCLE)
    state = np.where(out, codes.PREWORK, codes.RINGING).astype(np.int64)
    rows.add_where(m, codes.USERSTATE, state, user, c.project, t_pre, t_end=t_call)
    call_start = np.where(out, t_call, t_pre)
    answer = np.where(c.answered, np.where(out, t_call + c.dial, t_call), -1)
    direction = np.where(out, codes.CALL_OUT, codes.CALL_IN).astype(np.int64)
    rows.add_where(m, codes.CALL, direction, user, c.project, call_start, t_end=t_after,
                   t_answer=answer)


def _add_dispositions(rows: RowBuilder, rng: np.random.Generator, c: Cycles, user: I64,
                      t_after: I64) -> None:
    """A disposition of each outbound call, during its after-call work."""
    shape, cells = c.kind.shape, c.kind.size
    status = np.where(
        c.answered,
        pick(rng, ANSWERED_STATUS, cells).reshape(shape),
        pick(rng, UNANSWERED_STATUS, cells).reshape(shape),
    )
    time = t_after + np.floor(rng.random(shape) * c.after).astype(np.int64)
    rows.add_where(c.keep & (c.kind == OUT_CYCLE), codes.DISPOSITION, status, user, c.project,
                   time)
