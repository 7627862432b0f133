"""`generate`: the NDJSON text of a range of days, computed a few days ahead on threads."""

from __future__ import annotations

import datetime as dt
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
import pyarrow as pa

from ccstats.demo.agents import draw_agents
from ccstats.demo.clock import Clock
from ccstats.demo.day import Staff, day_rows
from ccstats.demo.queue_render import render_queue_calls
from ccstats.demo.render import render
from ccstats.demo.stamps import Stamps

#: Approximate size of each yielded chunk of NDJSON.
CHUNK_BYTES = 4 << 20
#: Tells the queue calls' random stream apart from the other events' of the same day.
QUEUE_STREAM = 1


def generate(*, seed: int, agents: int, projects: int, days: int, start: dt.date,
             timezone: str, system_users: int = 2,
             queue_calls: bool = False) -> Iterator[bytes]:
    """Yield NDJSON chunks (complete lines, a few MB each) of ``days`` days from ``start``.

    Agents are user ids ``1..agents``, system users ``agents + 1 ..
    agents + system_users``, projects ``1..projects`` (the last one inbound-only).
    Shift times are local to ``timezone`` (an IANA name). The output depends only
    on the arguments; ``seed`` must be ≥ 0.

    With ``queue_calls``, each day ends with its ``queuecall`` events
    (`ccstats.demo.queue_calls`); the other events are the same as without.
    """
    if seed < 0 or agents < 1 or projects < 1 or days < 0 or system_users < 0:
        raise ValueError("seed, days, system_users must be >= 0 and agents, projects >= 1")
    clock = Clock(timezone, start, days)
    staff = Staff(draw_agents(seed, agents, projects), projects, system_users, clock)
    maker = _Days(seed, start, staff, Stamps(clock), queue_calls)
    days_out = _in_order(maker.text, range(days))
    yield from _rechunk(piece for pieces in days_out for piece in pieces)


def write_file(path: str | Path, *, seed: int, agents: int, projects: int, days: int,
               start: dt.date, timezone: str, system_users: int = 2,
               queue_calls: bool = False) -> int:
    """Write :func:`generate`'s output to ``path``; return the number of events written."""
    events = 0
    with open(path, "wb") as out:
        for chunk in generate(seed=seed, agents=agents, projects=projects, days=days,
                              start=start, timezone=timezone, system_users=system_users,
                              queue_calls=queue_calls):
            out.write(chunk)
            events += chunk.count(b"\n")
    return events


@dataclass(frozen=True)
class _Days:
    seed: int
    start: dt.date
    staff: Staff
    stamps: Stamps
    queue_calls: bool

    def text(self, day: int) -> list[bytes]:
        """The NDJSON of day number `day`, drawn from a generator of its own (and the
        queue calls from another): a day depends only on the seed, its date and the
        agents."""
        date = self.start + dt.timedelta(days=day)
        rng = np.random.default_rng([self.seed, date.toordinal()])
        queue_rng = (np.random.default_rng([self.seed, date.toordinal(), QUEUE_STREAM])
                     if self.queue_calls else None)
        rows, calls = day_rows(rng, date, self.staff, queue_rng)
        lines = render(rows, date, self.stamps, rng)
        if calls is not None and queue_rng is not None:
            queued = render_queue_calls(calls, date, self.stamps, queue_rng)
            lines = pa.concat_arrays([lines, queued])
        return list(_text(lines))


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
