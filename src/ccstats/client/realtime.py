"""``GET /v2/realtime/stream`` read as `Snapshot`s.

The stream is Server-Sent Events: ``event:`` and ``data:`` fields, a blank line
ends an event, a line starting with ``:`` is a comment (the server's keep-alive).
Each ``snapshot`` event's data is ``{"users": <the /v2/onlineusers answer>,
"queues": <the /v2/realtime/queues answer>}``; a `Snapshot` holds both as frames of
the same columns and dtypes as `Client.onlineusers` and `Client.realtime_queues`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from ccstats.client.columns import online_users_table, queues_table
from ccstats.client.frames import DataFrame, FrameKind, frame


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What was happening when the server sent it."""

    users: DataFrame
    """The users online, as `Client.onlineusers` answers them."""
    queues: DataFrame
    """The queues, as `Client.realtime_queues` answers them."""
    data: dict[str, Any]
    """The snapshot as sent: ``{"users": {"response": [...], "errors": []}, "queues": ...}``."""


def snapshot(data: dict[str, Any], kind: FrameKind) -> Snapshot:
    """The `Snapshot` of one ``snapshot`` event's parsed data."""
    users = frame(online_users_table(data["users"]["response"]), kind)
    queues = frame(queues_table(data["queues"]["response"]), kind)
    return Snapshot(users, queues, data)


def snapshot_data(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The parsed data of each ``snapshot`` event of a stream's `lines`."""
    event = "message"
    data: list[str] = []
    for text in lines:
        if not text:
            if event == "snapshot" and data:
                yield orjson.loads("\n".join(data))
            event, data = "message", []
        elif text.startswith("event:"):
            event = text.partition(":")[2].strip()
        elif text.startswith("data:"):
            data.append(text.partition(":")[2].removeprefix(" "))
