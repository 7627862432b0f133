"""The event model (events-and-kpis.md §1).

Events arrive as JSON objects. After validation every event is *normalized* to
one row of fixed columns, the form in which it is stored and from which all
statistics are derived:

=============  ==========  =====================================================
column         type        meaning
=============  ==========  =====================================================
``event_id``   string      the event's ``id`` (unique per customer)
``type``       string      ``userstate``, ``call``, ``disposition``, ...
``subtype``    string      ``state`` / ``direction`` / ``status`` / ``action``;
                           null for ``chat``
``project_id`` int64       ``projectId``
``user_id``    int64       ``userId``; 0 for a queue call that was not answered
``t_start``    int64       epoch seconds: ``start``, or ``time`` of a point event
``t_answer``   int64       epoch seconds of ``answer``; null if unanswered or n/a
``t_end``      int64       epoch seconds: ``end``, or ``time`` of a point event;
                           null for an interval still going on (realtime.md §1)
``queue_id``   int64       ``queueId`` of a queue call; 0 for every other type
=============  ==========  =====================================================

An open interval (``end`` null) feeds no statistic until a version with an
``end`` replaces it; it only shows in the real-time answers.

A queue call (queues-and-kpis.md §1) feeds only the inbound statistics; the
userbased fields never select it.

Timestamps are floored to whole epoch seconds on input.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

#: The member that carries each type's sub-type, and its allowed values.
SUBTYPES: dict[str, tuple[str, tuple[str, ...]] | None] = {
    "userstate": (
        "state",
        (
            "available", "call", "afterwork", "prework", "ringing",
            "waitingForCall", "waitingForRecall", "break", "unavailable",
        ),
    ),
    "call": ("direction", ("in", "out")),
    "disposition": ("status", ("success", "recall", "failed", "reachFailed")),
    "email": ("direction", ("sent", "received")),
    "ticket": ("action", ("created", "closed")),
    "chat": None,
    "queuecall": None,
}

EVENT_TYPES: tuple[str, ...] = tuple(SUBTYPES)
INTERVAL_TYPES: frozenset[str] = frozenset({"userstate", "call", "chat", "queuecall"})
#: The types with an ``answer`` (null: not answered).
ANSWERED_TYPES: frozenset[str] = frozenset({"call", "queuecall"})
QUEUE_CALL = "queuecall"
#: A ``user_id`` or ``queue_id`` that names no user or queue.
NO_ID = 0
POINT_TYPES: frozenset[str] = frozenset({"disposition", "email", "ticket"})

#: Longest interval accepted, in seconds.
MAX_INTERVAL_SECONDS = 86_400
#: How far after the server's clock an open interval (``end`` null) may start, in seconds.
MAX_OPEN_LEAD = 300
#: How long an open interval stays in real-time answers, in seconds since its start.
STALE_AFTER_SECONDS = 86_400
#: Largest projectId / userId: the largest integer a JSON client (JavaScript) holds exactly.
MAX_ENTITY_ID = 2**53 - 1
#: Accepted timestamps: from 1970-01-01T00:00:00Z up to (excluding) 2100-01-01T00:00:00Z.
MIN_EPOCH = 0
MAX_EPOCH = 4_102_444_800
#: Event ids: 1-128 characters of this class.
ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"

NORMALIZED_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("type", pa.string()),
        ("subtype", pa.string()),
        ("project_id", pa.int64()),
        ("user_id", pa.int64()),
        ("t_start", pa.int64()),
        ("t_answer", pa.int64()),
        ("t_end", pa.int64()),
        ("queue_id", pa.int64()),
    ]
)


@dataclass(frozen=True, slots=True)
class EventError:
    """One problem with one input line: ``line 12: start: <message>``.

    `line` counts the lines of NDJSON, or the elements of a JSON array: `unit` says
    which (``element 3: start: <message>``).
    """

    line: int
    member: str | None
    code: str
    message: str
    unit: str = "line"

    @property
    def place(self) -> str:
        """``line 12``, ``element 3``."""
        return f"{self.unit} {self.line}"

    @property
    def param(self) -> str:
        return f"{self.place}: {self.member}" if self.member else self.place

    def __str__(self) -> str:
        return f"{self.param}: {self.message}"
