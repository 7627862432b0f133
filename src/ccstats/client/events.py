"""Events sent in batches to ``POST /v2/events``.

Each batch is one NDJSON body, stored atomically or not at all. A batch answered
429 or 503 changed nothing and is sent again (`ccstats.client.connection`); and
since storing an id again replaces the event with itself, sending a batch twice
(say after a connection broke before its answer arrived) stores nothing twice.
A refused batch (417) stops the sending with `EventsRefused`, which names the bad
event's position among all the events given and the member at fault.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson

from ccstats.client.connection import Connection
from ccstats.client.errors import ApiFailure, EventsRefused

#: An event: a mapping (serialised to JSON here), or one line of JSON text.
Event = Mapping[str, Any] | str | bytes

NDJSON = {"Content-Type": "application/x-ndjson"}


def line(event: Event, position: int) -> bytes:
    """`event` as one NDJSON line (without its line break)."""
    if isinstance(event, Mapping):
        return orjson.dumps(event)
    text = event.encode() if isinstance(event, str) else bytes(event)
    text = text.rstrip(b"\r\n")
    if b"\n" in text:
        raise ValueError(f"event {position} holds a line break: give one JSON object per "
                         "event (a mapping, or its JSON text on one line)")
    return text


def batches(events: Iterable[Event], size: int) -> Iterator[tuple[int, list[bytes]]]:
    """The events as NDJSON lines, `size` at a time, each batch with the 1-based position
    of its first event."""
    if size < 1:
        raise ValueError(f"batch_size must be at least 1; got {size}")
    numbered = enumerate(events, start=1)
    while batch := list(itertools.islice(numbered, size)):
        yield batch[0][0], [line(event, position) for position, event in batch]


def send(connection: Connection, events: Iterable[Event], batch_size: int) -> int:
    """Store `events` in batches of `batch_size`; the number of events stored."""
    stored = 0
    for first, lines in batches(events, batch_size):
        body = b"\n".join(lines) + b"\n"
        try:
            answer = connection.call("POST", "/v2/events", content=body, headers=NDJSON)
        except ApiFailure as refused:
            if refused.status != 417:
                raise
            raise EventsRefused(refused, first, stored) from None
        stored += int(answer["stored"])
    return stored
