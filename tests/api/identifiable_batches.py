"""Batches whose presence can be counted: each batch's events, and only they, belong to
a project of its own and each counts once in ``userstateAvailable`` on 2024-06-01 (UTC),
so the count of that field per project tells whether a batch is whole, absent or partial
(the crash and backup tests)."""

from __future__ import annotations

import random

DAY = 1_717_200_000  # 2024-06-01T00:00:00Z


def batch_body(project: int, size: int, rng: random.Random) -> bytes:
    """`size` available-intervals of `project` on `DAY`, as NDJSON."""
    lines = []
    for n in range(size):
        start = DAY + rng.randrange(0, 86_400)
        lines.append(
            f'{{"id":"b{project}-{n}","type":"userstate","state":"available",'
            f'"start":{start},"end":{start + rng.randrange(0, 3600)},'
            f'"projectId":{project},"userId":{rng.randrange(1, 20)}}}')
    return ("\n".join(lines) + "\n").encode()
