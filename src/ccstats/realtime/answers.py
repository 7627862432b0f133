"""The answers of the real-time resources, from a customer's live events and metadata.

Names come from the customer's users and queues; an id without a row there (which
the store's registration of every id it stores should make impossible) is named
as that registration would name it, ``User <id>`` or ``Queue <id>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from ccstats import render
from ccstats.model import Queue, User
from ccstats.options import OutputFormat
from ccstats.realtime import sql
from ccstats.realtime.clock import Moment
from ccstats.realtime.options import QueuesQuery, StreamQuery, UsersQuery
from ccstats.realtime.render import Cell, queues_body, ratios, user_cells, users_body


@dataclass(frozen=True, slots=True)
class Answer:
    """A whole answer body, and its format."""

    body: bytes
    output: OutputFormat

    @property
    def media_type(self) -> str:
        return render.MEDIA_TYPES[self.output]


def online_users(live: pa.Table, moment: Moment, query: UsersQuery,
                 users: Sequence[User]) -> Answer:
    """``GET /v2/onlineusers`` at `moment` from `live` (`Store.live_events` since
    `moment.since`)."""
    names = {user.user_id: user.name for user in users}
    records = [user_cells(row, names.get(row[0], f"User {row[0]}"))
               for row in sql.online_user_rows(live, moment, query)]
    return Answer(users_body(records, query.output), query.output)


def realtime_queues(live: pa.Table, moment: Moment, query: QueuesQuery,
                    queues: Sequence[Queue]) -> Answer:
    """``GET /v2/realtime/queues`` at `moment` from `live` (`Store.live_events` since
    `moment.since`)."""
    names = {queue.queue_id: queue.name for queue in queues}
    rows = sql.queue_rows(live, moment, query)
    levels = ratios([row[8] for row in rows], [row[5] for row in rows])
    speeds = ratios([row[9] for row in rows], [row[6] for row in rows])
    records: list[list[Cell]] = []
    for row, level, speed in zip(rows, levels, speeds, strict=True):
        queue_id, project_id, waiting, oldest, talking, offered, answered, abandoned = row[:8]
        longest = None if oldest is None else max(moment.now - oldest, 0)
        records.append([queue_id, names.get(queue_id, f"Queue {queue_id}"), project_id,
                        waiting, longest, talking, offered, answered, abandoned, level, speed])
    return Answer(queues_body(records, query.output), query.output)


def snapshot(live: pa.Table, moment: Moment, query: StreamQuery, users: Sequence[User],
             queues: Sequence[Queue]) -> bytes:
    """A ``GET /v2/realtime/stream`` snapshot at `moment`: ``{"users": <the onlineusers
    answer>, "queues": <the realtime/queues answer>}``, both from the same `live` events."""
    return b"".join((b'{"users":', online_users(live, moment, query.users, users).body,
                     b',"queues":', realtime_queues(live, moment, query.queues, queues).body,
                     b"}"))
