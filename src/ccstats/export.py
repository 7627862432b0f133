"""Exporting a customer's events as NDJSON that `ccstats import` takes back unchanged.

Every current event of the customer (the stored version of each id; deleted ones
are gone, open intervals stay open) becomes one line in the form a client posts
it (events-and-kpis.md §1, queues-and-kpis.md §1): ``id``, ``type``, the
sub-type member (``state``, ``direction``, ``status`` or ``action``),
``projectId``, ``userId``, ``queueId`` (queue calls), then ``start``, ``answer``
(calls and queue calls) and ``end``, or ``time`` (point events). Timestamps are
written as ISO 8601 in UTC with ``Z`` (``2024-03-31T01:00:00Z``): stored times
are whole epoch seconds, which this form states exactly. An interval still going
on has ``"end": null``; an unanswered call ``"answer": null``, and an unanswered
queue call also ``"userId": null``.

Only events are exported: names and states of projects, users and queues are
metadata, which an import registers anew as ``Project <id>`` and so on.

Optionally only the events of some local dates of the customer's zone are kept:
those whose ``start`` (or ``time``) falls on one of them, as the statistics put
an event in the bucket of its start. Lines are written block by block as the
store yields its events, so the output is never held whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import BinaryIO

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ccstats import buckets
from ccstats.errors import ApiError, InvalidRequest, bad_arguments
from ccstats.events import ANSWERED_TYPES, NO_ID, POINT_TYPES, QUEUE_CALL, SUBTYPES
from ccstats.model import Customer
from ccstats.options import FIRST_DATE, LAST_DATE, parse_date
from ccstats.store.base import Store

#: Events turned into lines at a time (a store's block may be much larger).
LINES_PER_CHUNK = 50_000
_ISO = "%Y-%m-%dT%H:%M:%SZ"


def export_days(date_from: str | None, date_to: str | None) -> tuple[date, date] | None:
    """The local dates (first, last) named by ``from`` and ``to`` (yyyymmdd, as in a
    statistics request; either may be left out); None when neither is given. Raises
    InvalidRequest with every problem."""
    if date_from is None and date_to is None:
        return None
    errors: list[ApiError] = []
    first = FIRST_DATE if date_from is None else parse_date("from", date_from, errors)
    last = LAST_DATE if date_to is None else parse_date("to", date_to, errors)
    if first and last and first > last:
        errors.append(bad_arguments("to", "to must not be before from"))
    if errors or first is None or last is None:
        raise InvalidRequest(errors)
    return first, last


def export_events(store: Store, customer: Customer, out: BinaryIO,
                  days: tuple[date, date] | None = None,
                  progress: Callable[[int], None] | None = None) -> int:
    """Write the customer's current events to `out`, one NDJSON line each, keeping only
    those that start on the local dates `days` (first, last) if given; returns the
    number of lines written. `progress` is told how many stored events were read."""
    local = None if days is None else buckets.local_range(customer.timezone, *days)
    written = 0
    for block in store.events(customer.customer_id):
        for chunk in _chunks(block):
            kept = chunk if local is None else chunk.filter(starts_within(chunk, local))
            out.write(event_lines(kept))
            written += kept.num_rows
            if progress:
                progress(chunk.num_rows)
    return written


def _chunks(block: pa.Table) -> Iterator[pa.Table]:
    for offset in range(0, block.num_rows, LINES_PER_CHUNK):
        yield block.slice(offset, LINES_PER_CHUNK)


def starts_within(events: pa.Table, local: buckets.LocalRange) -> pa.Array:
    """Which `events` have their start (or time) on a local date of `local`: the local
    date of an instant as the statistics reckon it (`ccstats.buckets`), from the offset
    of its UTC quarter-hour."""
    start = events.column("t_start").to_numpy()
    first_qhs = np.array([s.first_qh for s in local.segments], np.int64)
    offsets = np.array([s.offset for s in local.segments], np.int64)
    # Before the first segment lies more than a day before the range: any offset says so.
    segment = np.maximum(np.searchsorted(first_qhs, start // buckets.QUARTER, "right") - 1, 0)
    day = (start + offsets[segment]) // buckets.DAY
    return pa.array((day >= local.first_day) & (day <= local.last_day))


def event_lines(events: pa.Table) -> bytes:
    """The NDJSON lines (each ending in a newline) of normalized `events`."""
    columns = {name: events.column(name).to_pylist()
               for name in ("event_id", "type", "subtype", "project_id", "user_id",
                            "queue_id")}
    stamps = {name: _iso(events.column(name)) for name in ("t_start", "t_answer", "t_end")}
    lines = [orjson.dumps(_event(*row)) for row in zip(
        columns["event_id"], columns["type"], columns["subtype"], columns["project_id"],
        columns["user_id"], columns["queue_id"], stamps["t_start"], stamps["t_answer"],
        stamps["t_end"], strict=True)]
    return b"".join(line + b"\n" for line in lines)


def _iso(seconds: pa.ChunkedArray) -> list[str | None]:
    """Epoch seconds as ISO 8601 UTC text (nulls stay null)."""
    instants = pc.cast(seconds, pa.timestamp("s"))
    texts: list[str | None] = pc.strftime(instants, format=_ISO).to_pylist()
    return texts


def _event(event_id: str, event_type: str, subtype: str | None, project_id: int,
           user_id: int, queue_id: int, start: str | None, answer: str | None,
           end: str | None) -> dict[str, object]:
    """One event as a client posts it."""
    event: dict[str, object] = {"id": event_id, "type": event_type}
    member = SUBTYPES[event_type]
    if member is not None:
        event[member[0]] = subtype
    event["projectId"] = project_id
    event["userId"] = None if user_id == NO_ID else user_id
    if event_type == QUEUE_CALL:
        event["queueId"] = queue_id
    if event_type in POINT_TYPES:
        event["time"] = start
        return event
    event["start"] = start
    if event_type in ANSWERED_TYPES:
        event["answer"] = answer
    event["end"] = end
    return event
