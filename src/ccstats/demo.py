"""A realistic, fast, deterministic generator of contact-centre events (NDJSON).

Used for the demo customer, for tests and for benchmarks. The output follows
events-and-kpis.md §1 and is fully valid: every line is one JSON object.

What is generated
=================

*Agents* (user ids ``1..agents``) each belong to one or two *projects* (ids
``1..projects``; agent ``u``'s primary project is ``(u - 1) % projects + 1``).
Project ``projects`` is inbound-only; the others are mixed (mostly outbound).

Agents work on weekdays (about 93 % of them on a given weekday; about 8 % of
agents also work some weekends). A shift starts between 07:00 and 10:00 *local*
time (converted to UTC with :mod:`zoneinfo`, so DST days are right) and lasts
about 8 hours. Within a shift the agent's user states are back-to-back,
contiguous and non-overlapping, as a sequence of *cycles*:

* outbound: ``available`` (sometimes ``waitingForRecall``) → ``prework`` →
  ``call`` (dialling + talk) → ``afterwork``; with a ``call`` event
  (``direction: out``, answered ~40 % of the time 5-30 s after the start) and a
  ``disposition`` during the after-work (``success``/``recall``/``failed`` when
  answered, mostly ``reachFailed`` otherwise);
* inbound: ``waitingForCall`` → ``ringing`` → ``call`` (talk) → ``afterwork``,
  with a ``call`` event (``direction: in``) that starts when the phone rings;
  ~92 % are answered, a missed call is ring-only (no ``call`` state, no
  after-work) and the agent goes back to ``waitingForCall``;
* occasionally ``unavailable`` for a few minutes.

Talk times are log-normal (median ~3.5 min). Two 15-minute ``break`` states
(mid-morning and mid-afternoon) and a 30-minute lunch ``break`` are inserted
between cycles. During the shift the agent also sends and receives a few
``email`` events, creates and closes ``ticket`` events and handles a ``chat`` or
two. That makes about 100 to 120 events per agent-day.

*System users* (user ids ``agents + 1 ..``) produce a few automated
``disposition`` and ``email`` events every day, around the clock.

Every event has a unique, deterministic ``id`` ``d<yyyymmdd>-u<userId>-<seq>``
(the local date of the shift, the user and a sequence number within the
user-day), so re-generating a range replaces rather than duplicates. About 10 %
of the events carry ISO-8601 timestamps with the local UTC offset
(``2024-03-01T10:00:00+01:00``), the rest epoch seconds (integers).

Output is identical for the same arguments and ``seed``; each day depends only
on ``(seed, date)`` and the agent profiles, so a longer range extends a shorter
one. Everything is vectorised with numpy and the JSON text is assembled with
pyarrow string kernels: several million events per second on one core.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache, partial
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["generate", "write_file"]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]

#: Approximate size of each yielded chunk of NDJSON.
CHUNK_BYTES = 4 << 20
#: Share of events whose timestamps are ISO-8601 strings instead of epoch numbers.
ISO_SHARE = 0.10

# Event types (also the group number of a row) and their sub-type names.
USERSTATE, CALL, DISPOSITION, EMAIL, TICKET, CHAT = range(6)
TYPE_NAMES = ("userstate", "call", "disposition", "email", "ticket", "chat")
SUBTYPE_NAMES: tuple[tuple[str, ...], ...] = (
    (
        "available",
        "call",
        "afterwork",
        "prework",
        "ringing",
        "waitingForCall",
        "waitingForRecall",
        "break",
        "unavailable",
    ),
    ("in", "out"),
    ("success", "recall", "failed", "reachFailed"),
    ("sent", "received"),
    ("created", "closed"),
    (),
)
(
    ST_AVAILABLE,
    ST_CALL,
    ST_AFTERWORK,
    ST_PREWORK,
    ST_RINGING,
    ST_WAITING_FOR_CALL,
    ST_WAITING_FOR_RECALL,
    ST_BREAK,
    ST_UNAVAILABLE,
) = range(9)
DIR_IN, DIR_OUT = 0, 1

# Cycle kinds.
K_OUT, K_IN, K_UNAVAILABLE = 0, 1, 2
#: Cycles drawn per agent-day; far more than fit in a shift.
MAX_CYCLES = 64

_QUARTER = 900
_DAY = 86400


@dataclass(frozen=True)
class _Agents:
    """Fixed per-agent profile (index ``u - 1``)."""

    primary: I64
    secondary: I64  # 0 = none
    weekend_worker: Mask
    usual_start: I64  # local seconds of day


@dataclass
class _Rows:
    """Events of one day as columns; ``t_answer`` is -1 when there is none."""

    group: I64  # event type
    sub: I64  # sub-type code (0 for chat)
    user: I64
    project: I64
    t_start: I64  # start, or time of a point event
    t_answer: I64
    t_end: I64  # end, or time of a point event


class _RowBuilder:
    def __init__(self) -> None:
        self._parts: list[tuple[I64, ...]] = []

    def add(
        self,
        group: int,
        sub: I64 | int,
        user: I64,
        project: I64,
        t_start: I64,
        *,
        t_end: I64 | None = None,
        t_answer: I64 | None = None,
    ) -> None:
        n = len(user)
        self._parts.append(
            (
                np.full(n, group, np.int64),
                np.broadcast_to(np.asarray(sub, np.int64), (n,)),
                user,
                project,
                t_start,
                np.full(n, -1, np.int64) if t_answer is None else t_answer,
                t_start if t_end is None else t_end,
            )
        )

    def build(self) -> _Rows:
        cols = [np.concatenate([p[i] for p in self._parts]).astype(np.int64) for i in range(7)]
        return _Rows(*cols)


def _agents(seed: int, agents: int, projects: int) -> _Agents:
    rng = np.random.default_rng([seed, 0])
    users = np.arange(1, agents + 1, dtype=np.int64)
    primary = (users - 1) % projects + 1
    secondary = np.zeros(agents, np.int64)
    if projects > 1:
        other = (primary - 1 + rng.integers(1, projects, agents)) % projects + 1
        secondary = np.where(rng.random(agents) < 0.4, other, 0).astype(np.int64)
    weekend_worker = rng.random(agents) < 0.08
    usual_start = (7 * 3600 + 1800 * rng.integers(0, 6, agents)).astype(np.int64)
    return _Agents(primary, secondary, weekend_worker, usual_start)


class _Zone:
    """UTC offsets of a zone at every UTC quarter-hour of a range of dates.

    Every IANA offset and transition is a multiple of 15 minutes, so the offset
    at the start of a UTC quarter-hour holds for the whole quarter-hour.
    """

    def __init__(self, zone: ZoneInfo, first: dt.date, days: int) -> None:
        self.zone = zone
        self.base = _epoch_day(first) * _DAY - 2 * _DAY
        n = (days + 4) * 96
        offsets = np.array(
            [_offset(dt.datetime.fromtimestamp(self.base + q * _QUARTER, zone)) for q in range(n)],
            np.int64,
        )
        distinct, self.code = np.unique(offsets, return_inverse=True)
        self.offset = offsets
        # Pieces of ISO-8601 text: '"yyyy-mm-ddT' by local day, '+hh:mm"' by offset.
        self.first_day = _epoch_day(first) - 3
        self.dates = pa.array(
            [f'"{first + dt.timedelta(days=d - 3)}T' for d in range(days + 8)], pa.string()
        )
        self.offset_text = pa.array([f'{_offset_text(int(o))}"' for o in distinct], pa.string())

    def local_to_utc(self, date: dt.date, seconds_of_day: I64) -> I64:
        """UTC epoch seconds of local wall times on ``date`` (the earlier one if repeated)."""
        wall = _epoch_day(date) * _DAY + seconds_of_day
        quarters = np.arange(96)
        day_offsets = np.array(
            [
                _offset(dt.datetime.combine(date, dt.time(q // 4, q % 4 * 15), self.zone))
                for q in quarters
            ],
            np.int64,
        )
        utc: I64 = wall - day_offsets[seconds_of_day // _QUARTER]
        return utc

    def midnight(self, date: dt.date) -> int:
        return int(dt.datetime.combine(date, dt.time(), self.zone).timestamp())

    def iso(self, t: I64) -> pa.Array:
        """``"yyyy-mm-ddThh:mm:ss+hh:mm"`` (with the quotes) in local time."""
        q = (t - self.base) // _QUARTER
        day, second = np.divmod(t + self.offset[q], _DAY)
        return _join(
            self.dates.take(pa.array(day - self.first_day)),
            _times_of_day().take(pa.array(second)),
            self.offset_text.take(pa.array(self.code[q])),
        )


@cache
def _times_of_day() -> pa.Array:
    """``hh:mm:ss`` for every second of a day."""
    return pa.array(
        [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(_DAY)], pa.string()
    )


def _offset(moment: dt.datetime) -> int:
    delta = moment.utcoffset()
    return 0 if delta is None else int(delta.total_seconds())


def _offset_text(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _epoch_day(date: dt.date) -> int:
    return (date - dt.date(1970, 1, 1)).days


def _int(values: F64) -> I64:
    out: I64 = np.rint(values).astype(np.int64)
    return out


def _pick(rng: np.random.Generator, weights: tuple[float, ...], size: int) -> I64:
    """Codes ``0..len(weights) - 1`` drawn with the given relative weights."""
    cum = np.cumsum(weights)
    drawn = np.searchsorted(cum / cum[-1], rng.random(size), side="right")
    out: I64 = np.minimum(drawn, len(weights) - 1).astype(np.int64)
    return out


def _day_rows(
    *,
    rng: np.random.Generator,
    date: dt.date,
    profiles: _Agents,
    projects: int,
    system_users: int,
    zone: _Zone,
) -> _Rows:
    """All events of one local ``date``: agents' shifts, then system users' events.

    The parts draw from `rng` in this order, which fixes the generated data.
    """
    rows = _RowBuilder()
    shift = _shift(rng, date, profiles, zone)
    cycles = _cycles(rng, shift, projects)
    _add_breaks(rows, shift, cycles)
    shift_end = _add_cycles(rows, rng, shift, cycles)
    _add_extras(rows, rng, shift, shift_end)
    if system_users > 0:
        _add_system_users(rows, rng, date, zone, len(profiles.primary), system_users, projects)
    return rows.build()


@dataclass(frozen=True, slots=True)
class _Shift:
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


def _shift(rng: np.random.Generator, date: dt.date, profiles: _Agents, zone: _Zone) -> _Shift:
    """Who works on `date`, when they start, how long they work and when they pause."""
    agents = len(profiles.primary)
    weekend = date.weekday() >= 5
    works = rng.random(agents) < (np.where(profiles.weekend_worker, 0.5, 0.0) if weekend else 0.93)
    who = np.flatnonzero(works)
    n = len(who)
    usual = rng.random(n) < 0.85
    start_local = np.where(
        usual,
        profiles.usual_start[who] + rng.integers(0, 900, n),
        rng.integers(7 * 3600, 10 * 3600 + 1, n),
    ).clip(7 * 3600, 10 * 3600)
    breaks = np.stack(
        [
            _int(900 + rng.uniform(-120, 120, n)),
            _int(1800 + rng.uniform(-180, 180, n)),
            _int(900 + rng.uniform(-120, 120, n)),
        ]
    )
    work = _int(8 * 3600 + rng.uniform(-900, 900, n)) - breaks.sum(axis=0)
    marks = np.stack([_int(work * f + rng.uniform(-600, 600, n)) for f in (0.25, 0.5, 0.75)])
    return _Shift(who.astype(np.int64) + 1, profiles.primary[who], profiles.secondary[who],
                  zone.local_to_utc(date, start_local.astype(np.int64)), breaks, work, marks)


@dataclass(frozen=True, slots=True)
class _Cycles:
    """The work cycles of each agent-day, as (agent-day, cycle) matrices: wait, then
    prework or ringing, the call, after-call work. `keep` marks the cycles of the shift."""

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
        call_state: Mask = (self.kind == K_OUT) | ((self.kind == K_IN) & self.answered)
        return call_state


def _cycles(rng: np.random.Generator, shift: _Shift, projects: int) -> _Cycles:
    """Draw up to `MAX_CYCLES` cycles per agent-day and keep those that fit the shift."""
    n = len(shift.user)
    shape = (n, MAX_CYCLES)
    project = np.where(
        (shift.secondary > 0)[:, None] & (rng.random(shape) < 0.3), shift.secondary[:, None],
        shift.primary[:, None]
    )
    kind = np.where((project == projects) | (rng.random(shape) < 0.3), K_IN, K_OUT)
    kind = np.where(rng.random(shape) < 0.03, K_UNAVAILABLE, kind)
    out, inb = kind == K_OUT, kind == K_IN
    answered = rng.random(shape) < np.where(out, 0.40, 0.92)
    talk = _int(np.exp(rng.normal(np.log(210.0), 0.65, shape)).clip(5, 3600))
    wait = np.where(
        kind == K_UNAVAILABLE,
        _int(60 + rng.exponential(300.0, shape)),
        _int(5 + rng.exponential(np.where(out, 1100.0, 1050.0))),
    )
    pre = np.where(
        out,
        _int(5 + rng.exponential(20.0, shape)),
        np.where(answered, rng.integers(3, 21, shape), rng.integers(15, 46, shape)),
    )
    pre = np.where(kind == K_UNAVAILABLE, 0, pre)
    dial = np.where(answered, rng.integers(5, 31, shape), rng.integers(15, 46, shape))
    in_call = np.where(out, dial + np.where(answered, talk, 0), np.where(inb & answered, talk, 0))
    after = np.where(
        out,
        np.where(
            answered,
            _int(15 + rng.exponential(60.0, shape)),
            _int(3 + rng.exponential(10.0, shape)),
        ),
        _int(10 + rng.exponential(45.0, shape)),
    )
    after = np.where(out | (inb & answered), after, 0)
    total = wait + pre + in_call + after
    cum_end = np.cumsum(total, axis=1)
    cum_start = cum_end - total
    keep = cum_start < shift.work[:, None]
    # Shorten the wait of the last cycle so that the shift ends close to its planned end.
    rows_n, last = np.arange(n), keep.sum(axis=1) - 1
    wait[rows_n, last] -= np.clip(cum_end[rows_n, last] - shift.work, 0, wait[rows_n, last] - 5)
    total = wait + pre + in_call + after
    cum_end = np.cumsum(total, axis=1)
    pause = np.zeros(shape, np.int64)
    for mark, length in zip(shift.marks, shift.breaks, strict=True):
        pause += np.where(cum_start >= mark[:, None], length[:, None], 0)
    start = shift.start[:, None] + cum_start + pause
    return _Cycles(project, kind, answered, wait, pre, dial, in_call, after, keep, cum_start,
                   cum_end, start)


def _add_breaks(rows: _RowBuilder, shift: _Shift, cycles: _Cycles) -> None:
    """The breaks: each after the cycle that runs across its mark."""
    rows_n = np.arange(len(shift.user))
    taken = np.zeros(len(shift.user), np.int64)
    for mark, length in zip(shift.marks, shift.breaks, strict=True):
        last = (cycles.cum_start < mark[:, None]).sum(axis=1) - 1
        b_start = shift.start + cycles.cum_end[rows_n, np.minimum(last, MAX_CYCLES - 1)] + taken
        rows.add(USERSTATE, ST_BREAK, shift.user, shift.primary, b_start, t_end=b_start + length)
        taken += length


def _add_cycles(rows: _RowBuilder, rng: np.random.Generator, shift: _Shift,
                cycles: _Cycles) -> I64:
    """The user states, calls and dispositions of the kept cycles; returns each shift's end."""
    c = cycles
    shape = c.kind.shape
    out, inb = c.kind == K_OUT, c.kind == K_IN

    def at(mask: Mask, values: I64) -> I64:
        picked: I64 = values[mask]
        return picked

    urow = np.broadcast_to(shift.user[:, None], shape)
    recall = rng.random(shape) < 0.1
    wait_state = np.select(
        [c.kind == K_UNAVAILABLE, inb, recall],
        [ST_UNAVAILABLE, ST_WAITING_FOR_CALL, ST_WAITING_FOR_RECALL],
        ST_AVAILABLE,
    ).astype(np.int64)
    t_pre = c.start + c.wait
    t_call = t_pre + c.pre
    t_after = t_call + c.in_call
    t_next = t_after + c.after
    m = c.keep
    rows.add(
        USERSTATE, at(m, wait_state), at(m, urow), at(m, c.project), at(m, c.start),
        t_end=at(m, t_pre)
    )
    m = c.keep & (c.kind != K_UNAVAILABLE)
    pre_state = np.where(out, ST_PREWORK, ST_RINGING).astype(np.int64)
    rows.add(
        USERSTATE, at(m, pre_state), at(m, urow), at(m, c.project), at(m, t_pre),
        t_end=at(m, t_call)
    )
    # The call event; an inbound call starts when the phone rings.
    call_start = np.where(out, t_call, t_pre)
    call_answer = np.where(c.answered, np.where(out, t_call + c.dial, t_call), -1)
    direction = np.where(out, DIR_OUT, DIR_IN).astype(np.int64)
    rows.add(
        CALL,
        at(m, direction),
        at(m, urow),
        at(m, c.project),
        at(m, call_start),
        t_end=at(m, t_after),
        t_answer=at(m, call_answer),
    )
    m = c.keep & c.has_call_state
    rows.add(USERSTATE, ST_CALL, at(m, urow), at(m, c.project), at(m, t_call),
             t_end=at(m, t_after))
    rows.add(
        USERSTATE, ST_AFTERWORK, at(m, urow), at(m, c.project), at(m, t_after),
        t_end=at(m, t_next)
    )
    m = c.keep & out
    cells = c.kind.size
    status = np.where(
        c.answered,
        _pick(rng, (0.35, 0.35, 0.30, 0.0), cells).reshape(shape),
        _pick(rng, (0.0, 0.15, 0.10, 0.75), cells).reshape(shape),
    )
    d_time = t_after + np.floor(rng.random(shape) * c.after).astype(np.int64)
    rows.add(DISPOSITION, at(m, status), at(m, urow), at(m, c.project), at(m, d_time))
    shift_end: I64 = t_next[np.arange(len(shift.user)), c.keep.sum(axis=1) - 1]
    return shift_end


def _add_extras(rows: _RowBuilder, rng: np.random.Generator, shift: _Shift,
                shift_end: I64) -> None:
    """E-mails, tickets and chats during the shifts."""
    n = len(shift.user)
    extras: tuple[tuple[int, float, tuple[float, ...]], ...] = (
        (EMAIL, 2.5, (0.6, 0.4)),
        (TICKET, 1.5, (0.55, 0.45)),
        (CHAT, 1.0, (1.0,)),
    )
    for group, mean, weights in extras:
        who_e = np.repeat(np.arange(n), rng.poisson(mean, n))
        span = (shift_end - shift.start)[who_e]
        t = shift.start[who_e] + np.floor(rng.random(len(who_e)) * span).astype(np.int64)
        sub = _pick(rng, weights, len(who_e))
        if group == CHAT:
            length = _int(30 + np.exp(rng.normal(np.log(180.0), 0.5, len(who_e))))
            rows.add(CHAT, 0, shift.user[who_e], shift.primary[who_e], t, t_end=t + length)
        else:
            rows.add(group, sub, shift.user[who_e], shift.primary[who_e], t)


def _add_system_users(rows: _RowBuilder, rng: np.random.Generator, date: dt.date, zone: _Zone,
                      agents: int, system_users: int, projects: int) -> None:
    """Automated dispositions and e-mails of the system users, around the clock."""
    day_start = zone.midnight(date)
    day_len = zone.midnight(date + dt.timedelta(days=1)) - day_start
    sys_ids = np.arange(agents + 1, agents + system_users + 1, dtype=np.int64)
    top = max(projects - 1, 1)  # the mixed projects, if any
    automated: tuple[tuple[int, float, tuple[float, ...]], ...] = (
        (DISPOSITION, 15.0, (0.0, 0.0, 0.4, 0.6)),
        (EMAIL, 8.0, (0.7, 0.3)),
    )
    for group, mean, weights in automated:
        su = np.repeat(sys_ids, rng.poisson(mean, system_users))
        t = day_start + rng.integers(0, day_len, len(su))
        rows.add(group, _pick(rng, weights, len(su)), su, rng.integers(1, top + 1, len(su)), t)


def _render(rows: _Rows, date: dt.date, zone: _Zone, rng: np.random.Generator) -> pa.Array:
    """NDJSON lines (each ending in ``\\n``) of ``rows``, by user, then time.

    A line is a handful of pieces joined by one pyarrow kernel call per (type,
    timestamp style): the id's prefix (by user), its sequence number, the
    ``projectId``/``userId`` members (by distinct pair), the type and sub-type
    members (by sub-type), then the timestamps.
    """
    count = len(rows.user)
    if count == 0:
        return pa.array([], pa.string())
    rel = rows.t_start - (zone.midnight(date) - _DAY)  # seconds since the day before
    assert rel.min() >= 0 and rel.max() < 1 << 24
    priority = np.where(rows.group == CALL, 0, np.where(rows.group == USERSTATE, 1, 2))
    order = np.argsort(((rows.user << 24 | rel) << 2) | priority)
    users_sorted = rows.user[order]
    seq = np.empty(count, np.int64)
    seq[order] = np.arange(1, count + 1) - np.searchsorted(users_sorted, users_sorted)
    template = rows.group * 2 + (rng.random(count) < ISO_SHARE)  # (type, ISO timestamps?)

    day = f"{date:%Y%m%d}"
    users = np.unique(rows.user)
    ids = pa.array([f'{{"id":"d{day}-u{u}-' for u in users], pa.string())
    user_code = pa.array(np.searchsorted(users, rows.user))
    pairs, pair_code = np.unique(rows.user << 32 | rows.project, return_inverse=True)
    who = pa.array(
        [f'","projectId":{p & 0xFFFFFFFF},"userId":{p >> 32}' for p in pairs.tolist()],
        pa.string(),
    )
    template_sorted = template[order].astype(np.int8)  # small ints: radix sort
    placed = np.argsort(template_sorted, kind="stable")  # line j -> sorted position placed[j]
    in_lines = order[placed]  # the row of each line, template by template
    templates, first = np.unique(template_sorted[placed], return_index=True)
    pieces: list[pa.Array] = []
    for t, a, b in zip(templates, first, [*first[1:], count], strict=True):
        idx = pa.array(in_lines[a:b])
        group, iso = divmod(int(t), 2)
        stamp = partial(_stamp, zone, bool(iso))
        t_start = rows.t_start[in_lines[a:b]]
        head = [
            ids.take(user_code.take(idx)),
            pc.cast(pa.array(seq).take(idx), pa.string()),
            who.take(pa.array(pair_code).take(idx)),
            _TYPE_TEXT[group].take(pa.array(rows.sub).take(idx)),
            stamp(t_start),
        ]
        if group == CALL:
            answer = rows.t_answer[in_lines[a:b]]
            present = np.where(answer >= 0, answer, t_start)
            ends = [',"answer":', _nullable(stamp(present), answer), ',"end":']
            tail = [*ends, stamp(rows.t_end[in_lines[a:b]]), "}\n"]
        elif group in {USERSTATE, CHAT}:
            tail = [',"end":', stamp(rows.t_end[in_lines[a:b]]), "}\n"]
        else:
            tail = ["}\n"]
        pieces.append(_join(*head, *tail))

    position = np.empty(count, np.int64)
    position[placed] = np.arange(count)
    return pa.concat_arrays(pieces).take(pa.array(position))


def _type_text(group: int) -> pa.Array:
    """``,"type":"…","<sub-type member>":"…","<start or time>":`` by sub-type code."""
    name = TYPE_NAMES[group]
    if group == CHAT:
        return pa.array([f',"type":"{name}","start":'], pa.string())
    member = {USERSTATE: "state", CALL: "direction", DISPOSITION: "status"}.get(group)
    member = member or {EMAIL: "direction", TICKET: "action"}[group]
    when = "start" if group in {USERSTATE, CALL} else "time"
    return pa.array(
        [f',"type":"{name}","{member}":"{sub}","{when}":' for sub in SUBTYPE_NAMES[group]],
        pa.string(),
    )


_TYPE_TEXT = [_type_text(group) for group in range(len(TYPE_NAMES))]


def _join(*parts: pa.Array | str | None) -> pa.Array:
    """Concatenate string arrays and literals element-wise."""
    # Literals go in as typed scalars: converting a bare str costs failed imports each call.
    args = [pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, pa.scalar("", pa.string()))


def _stamp(zone: _Zone, iso: bool, values: I64) -> pa.Array:
    """Timestamps as JSON text: epoch seconds, or quoted local ISO-8601."""
    return zone.iso(values) if iso else pc.cast(pa.array(values), pa.string())


def _nullable(text: pa.Array, values: I64) -> pa.Array:
    """``text`` where ``values >= 0``, else ``null``."""
    return pc.if_else(pa.array(values >= 0), text, pa.scalar("null", pa.string()))


def _text(lines: pa.Array) -> Iterator[bytes]:
    """The bytes of ``lines`` (a string array without nulls) in pieces of ≲ CHUNK_BYTES."""
    offsets = np.frombuffer(lines.buffers()[1], np.int32)[lines.offset :][: len(lines) + 1]
    data = memoryview(lines.buffers()[2])
    begin, end = int(offsets[0]), int(offsets[-1])
    cuts = offsets[np.searchsorted(offsets, np.arange(begin, end, CHUNK_BYTES))]
    bounds = [*(int(c) for c in np.unique(cuts)), end]
    for a, b in pairwise(bounds):
        if b > a:
            yield bytes(data[a:b])


def generate(
    *,
    seed: int,
    agents: int,
    projects: int,
    days: int,
    start: dt.date,
    timezone: str,
    system_users: int = 2,
) -> Iterator[bytes]:
    """Yield NDJSON chunks (complete lines, a few MB each) of ``days`` days from ``start``.

    Agents are user ids ``1..agents``, system users ``agents + 1 ..
    agents + system_users``, projects ``1..projects`` (the last one inbound-only).
    Shift times are local to ``timezone`` (an IANA name). The output depends only
    on the arguments; ``seed`` must be ≥ 0.
    """
    if seed < 0 or agents < 1 or projects < 1 or days < 0 or system_users < 0:
        raise ValueError("seed, days, system_users must be >= 0 and agents, projects >= 1")
    zone = _Zone(ZoneInfo(timezone), start, days)
    profiles = _agents(seed, agents, projects)
    _times_of_day()  # build the shared table before the threads need it

    def one_day(day: int) -> list[bytes]:
        date = start + dt.timedelta(days=day)
        rng = np.random.default_rng([seed, date.toordinal()])
        rows = _day_rows(
            rng=rng,
            date=date,
            profiles=profiles,
            projects=projects,
            system_users=system_users,
            zone=zone,
        )
        return list(_text(_render(rows, date, zone, rng)))

    days_out = _in_order(one_day, range(days))
    yield from _rechunk(piece for pieces in days_out for piece in pieces)


def _in_order(fn: Callable[[int], list[bytes]], items: range) -> Iterator[list[bytes]]:
    """``map(fn, items)``, computed a few items ahead on threads.

    numpy and pyarrow release the GIL, so days overlap on several cores; the
    output (order and content) does not depend on the threads.
    """
    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        ahead: deque[Future[list[bytes]]] = deque()
        try:
            for item in items:
                ahead.append(pool.submit(fn, item))
                if len(ahead) > workers:
                    yield ahead.popleft().result()
            while ahead:
                yield ahead.popleft().result()
        finally:
            for future in ahead:
                future.cancel()


def _rechunk(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Join small pieces into chunks of at least CHUNK_BYTES (but the last)."""
    pending: list[bytes] = []
    size = 0
    for piece in pieces:
        pending.append(piece)
        size += len(piece)
        if size >= CHUNK_BYTES:
            yield b"".join(pending)
            pending, size = [], 0
    if pending:
        yield b"".join(pending)


def write_file(
    path: str | Path,
    *,
    seed: int,
    agents: int,
    projects: int,
    days: int,
    start: dt.date,
    timezone: str,
    system_users: int = 2,
) -> int:
    """Write :func:`generate`'s output to ``path``; return the number of events written."""
    events = 0
    with open(path, "wb") as out:
        for chunk in generate(
            seed=seed,
            agents=agents,
            projects=projects,
            days=days,
            start=start,
            timezone=timezone,
            system_users=system_users,
        ):
            out.write(chunk)
            events += chunk.count(b"\n")
    return events
