"""A day's queue calls as NDJSON lines, by queue, then start.

Each has a unique, deterministic ``id`` ``d<yyyymmdd>-q<queueId>-<seq>`` (the local
date, the queue and a sequence number within the queue-day), which no agent's event
id (``d…-u…-…``) can equal. As for the other events, about 10 % carry ISO-8601
timestamps with the local UTC offset, the others epoch seconds.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ccstats.demo.arrays import I64, Mask
from ccstats.demo.queue_calls import QueueCalls
from ccstats.demo.render import ISO_SHARE
from ccstats.demo.stamps import Stamps, nullable
from ccstats.demo.text import join


def render_queue_calls(calls: QueueCalls, date: dt.date, stamps: Stamps,
                       rng: np.random.Generator) -> pa.Array:
    """NDJSON lines (each ending in ``\\n``) of the queue calls of the local ``date``."""
    n = len(calls)
    if n == 0:
        return pa.array([], pa.string())
    c = calls.take(np.lexsort((calls.start, calls.queue)))
    iso = np.tile(rng.random(n) < ISO_SHARE, 3)
    answer = np.where(c.answer >= 0, c.answer, c.start)
    times = _stamps(stamps, iso, np.concatenate([c.start, answer, c.end]))
    return join(
        *_heads(c, date), ',"type":"queuecall","start":', times.slice(0, n),
        ',"answer":', nullable(times.slice(n, n), c.answer), ',"end":', times.slice(2 * n, n),
        "}\n",
    )


def _heads(calls: QueueCalls, date: dt.date) -> list[pa.Array]:
    """The pieces of the lines (sorted by queue) up to the ``type`` member: the id, then
    ``projectId``, ``queueId`` and ``userId``."""
    queues, first, queue_code = np.unique(calls.queue, return_index=True, return_inverse=True)
    day = f"{date:%Y%m%d}"
    ids = pa.array([f'{{"id":"d{day}-q{q}-' for q in queues.tolist()], pa.string())
    members = pa.array([f'","projectId":{p},"queueId":{q},"userId":'
                        for p, q in zip(calls.project[first].tolist(), queues.tolist(),
                                        strict=True)], pa.string())
    users, user_code = np.unique(calls.user, return_inverse=True)
    user_text = pa.array([str(u) if u > 0 else "null" for u in users.tolist()], pa.string())
    seq = np.arange(1, len(calls) + 1) - first[queue_code]
    code = pa.array(queue_code)
    return [ids.take(code), pc.cast(pa.array(seq), pa.string()), members.take(code),
            user_text.take(pa.array(user_code))]


def _stamps(stamps: Stamps, iso: Mask, values: I64) -> pa.Array:
    """Epoch numbers, ISO-8601 text where ``iso`` holds."""
    return pc.replace_with_mask(stamps.text(False, values), pa.array(iso),
                                stamps.iso(values[iso]))
