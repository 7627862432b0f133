"""A day's events as NDJSON lines (`ccstats.events`' members), by user, then time.

Every event has a unique, deterministic ``id`` ``d<yyyymmdd>-u<userId>-<seq>`` (the
local date, the user and a sequence number within the user-day), so generating a
range again replaces rather than duplicates. About 10 % of the events carry ISO-8601
timestamps with the local UTC offset (``2024-03-01T10:00:00+01:00``), the others
epoch seconds.

A line is a handful of pieces joined by one pyarrow kernel call per (type,
timestamp style): the id's prefix (by user), its sequence number, the
``projectId``/``userId`` members (by distinct pair), the type and sub-type members
(by sub-type), then the timestamps.
"""

from __future__ import annotations

import datetime as dt
from functools import cache, partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ccstats.buckets import DAY
from ccstats.demo import codes
from ccstats.demo.arrays import I64
from ccstats.demo.rows import Rows
from ccstats.demo.stamps import Stamps, nullable
from ccstats.demo.text import join
from ccstats.events import EVENT_TYPES, INTERVAL_TYPES, SUBTYPES

#: Share of events whose timestamps are ISO-8601 strings instead of epoch numbers.
ISO_SHARE = 0.10


def render(rows: Rows, date: dt.date, stamps: Stamps, rng: np.random.Generator) -> pa.Array:
    """NDJSON lines (each ending in ``\\n``) of the events of the local `date`."""
    count = len(rows.user)
    if count == 0:
        return pa.array([], pa.string())
    order, seq = _order(rows, stamps.clock.midnight(date) - DAY)
    template = rows.group * 2 + (rng.random(count) < ISO_SHARE)  # (type, ISO timestamps?)
    heads = _Heads(rows, date, seq)
    template_sorted = template[order].astype(np.int8)  # small ints: radix sort
    placed = np.argsort(template_sorted, kind="stable")  # line j -> sorted position placed[j]
    in_lines = order[placed]  # the row of each line, template by template
    templates, first = np.unique(template_sorted[placed], return_index=True)
    pieces = [
        _lines(rows, heads, stamps, in_lines[a:b], int(t))
        for t, a, b in zip(templates, first, [*first[1:], count], strict=True)
    ]
    position = np.empty(count, np.int64)
    position[placed] = np.arange(count)
    return pa.concat_arrays(pieces).take(pa.array(position))


def _order(rows: Rows, since: int) -> tuple[I64, I64]:
    """The rows by user, then start (a call before user states before the rest), and each
    row's number within its user; `since` is at most the earliest start."""
    rel = rows.t_start - since
    assert rel.min() >= 0 and rel.max() < 1 << 24
    priority = np.where(rows.group == codes.CALL, 0, np.where(rows.group == codes.USERSTATE, 1, 2))
    order = np.argsort(((rows.user << 24 | rel) << 2) | priority)
    users_sorted = rows.user[order]
    seq = np.empty(len(rows.user), np.int64)
    seq[order] = np.arange(1, len(rows.user) + 1) - np.searchsorted(users_sorted, users_sorted)
    return order, seq


class _Heads:
    """The pieces of the lines' text before their first timestamp, by row."""

    def __init__(self, rows: Rows, date: dt.date, seq: I64) -> None:
        users = np.unique(rows.user)
        self.ids = pa.array([f'{{"id":"d{date:%Y%m%d}-u{u}-' for u in users], pa.string())
        self.user_code = pa.array(np.searchsorted(users, rows.user))
        self.seq = pa.array(seq)
        pairs, pair_code = np.unique(rows.user << 32 | rows.project, return_inverse=True)
        self.who = pa.array(
            [f'","projectId":{p & 0xFFFFFFFF},"userId":{p >> 32}' for p in pairs.tolist()],
            pa.string(),
        )
        self.pair_code = pa.array(pair_code)
        self.sub = pa.array(rows.sub)

    def of(self, idx: pa.Array, group: int) -> list[pa.Array]:
        """The pieces of the rows `idx`, all of type `group`."""
        return [
            self.ids.take(self.user_code.take(idx)),
            pc.cast(self.seq.take(idx), pa.string()),
            self.who.take(self.pair_code.take(idx)),
            _type_text(group).take(self.sub.take(idx)),
        ]


def _lines(rows: Rows, heads: _Heads, stamps: Stamps, picked: I64, template: int) -> pa.Array:
    """The lines of the rows `picked`, all of one template: (type, ISO timestamps?)."""
    group, iso = divmod(template, 2)
    stamp = partial(stamps.text, bool(iso))
    t_start = rows.t_start[picked]
    if group == codes.CALL:
        answer = rows.t_answer[picked]
        present = np.where(answer >= 0, answer, t_start)
        tail = [',"answer":', nullable(stamp(present), answer), ',"end":',
                stamp(rows.t_end[picked])]
    elif EVENT_TYPES[group] in INTERVAL_TYPES:
        tail = [',"end":', stamp(rows.t_end[picked])]
    else:
        tail = []
    return join(*heads.of(pa.array(picked), group), stamp(t_start), *tail, "}\n")


@cache
def _type_text(group: int) -> pa.Array:
    """``,"type":"…","<sub-type member>":"…","<start or time>":`` by sub-type code."""
    name = EVENT_TYPES[group]
    when = "start" if name in INTERVAL_TYPES else "time"
    spec = SUBTYPES[name]
    if spec is None:
        return pa.array([f',"type":"{name}","{when}":'], pa.string())
    member, values = spec
    return pa.array([f',"type":"{name}","{member}":"{sub}","{when}":' for sub in values],
                    pa.string())
