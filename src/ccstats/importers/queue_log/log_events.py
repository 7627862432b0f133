"""The events an import produces, before queues and members are given their ids."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

DAY = 86_400


def event_id(kind: str, *identity: object) -> str:
    """A deterministic id: the same log content always yields the same id.

    ``ql-<kind>-`` and 20 hex digits of a BLAKE2b hash of the identity (the callid,
    member, times ... that single the event out in the log).
    """
    digest = hashlib.blake2b("\x1f".join(map(str, identity)).encode("utf-8"), digest_size=10)
    return f"ql-{kind}-{digest.hexdigest()}"


@dataclass(frozen=True, slots=True)
class LogEvent:
    """A call or user state of one member in one queue; `answer` only for calls; `end`
    None while it is still going on (an open interval, realtime.md §1)."""

    id: str
    type: str  # "call" or "userstate"
    subtype: str  # the direction of a call, the state of a userstate
    queue: str
    member: str
    start: int
    end: int | None
    answer: int | None = None

    def as_json(self, project_id: int, user_id: int) -> dict[str, Any]:
        """The event as the NDJSON importer takes it."""
        event: dict[str, Any] = {"id": self.id, "type": self.type, "projectId": project_id,
                                 "userId": user_id, "start": self.start, "end": self.end}
        if self.type == "call":
            event["direction"] = self.subtype
            event["answer"] = self.answer
        else:
            event["state"] = self.subtype
        return event


def day_pieces(start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) cut at UTC midnights (so that no piece is longer than a day)."""
    pieces = []
    while end - start > 0 and start // DAY != (end - 1) // DAY:
        midnight = (start // DAY + 1) * DAY
        pieces.append((start, midnight))
        start = midnight
    pieces.append((start, end))
    return pieces
