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

import duckdb
import numpy as np
import pyarrow as pa

from ccstats import buckets, duckdb_connect
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
    with duckdb_connect.connect() as db:
        for block in store.events(customer.customer_id):
            for chunk in _chunks(block):
                kept = chunk if local is None else chunk.filter(starts_within(chunk, local))
                for text in event_lines(kept, db):
                    out.write(text)
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


def event_lines(events: pa.Table,
                db: duckdb.DuckDBPyConnection | None = None) -> Iterator[memoryview]:
    """The NDJSON text (each line ending in a newline) of normalized `events`, in pieces;
    `db`: an in-memory DuckDB connection to make it with (default: a new one)."""
    own = db is None
    db = duckdb_connect.connect() if db is None else db
    try:
        db.register("events", events)
        lines = db.sql(LINES_SQL).to_arrow_table().column(0)
        db.unregister("events")
    finally:
        if own:
            db.close()
    for chunk in lines.chunks:
        yield _text(chunk)


def _text(lines: pa.Array) -> memoryview:
    """The characters of a string array without nulls, end to end."""
    if not (pa.types.is_string(lines.type) or pa.types.is_large_string(lines.type)):
        lines = lines.cast(pa.large_string())  # e.g. string views: one buffer of text
    offsets_type = np.int64 if pa.types.is_large_string(lines.type) else np.int32
    _, offsets, data = lines.buffers()
    bounds = np.frombuffer(offsets, offsets_type)[lines.offset:lines.offset + len(lines) + 1]
    if data is None:  # no lines
        return memoryview(b"")
    return memoryview(data)[int(bounds[0]):int(bounds[-1])]


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _stamp(column: str) -> str:
    """SQL: a JSON member value of epoch seconds `column`: ISO 8601 UTC text, or null."""
    return (f"coalesce('\"' || strftime(make_timestamp({column} * 1000000), {_quoted(_ISO)})"
            " || '\"', 'null')")


def _member(name: str) -> str:
    """The text before a string member's value: ``,"name":"``."""
    return ',"' + name + '":"'


def _lines_sql() -> str:
    """SQL: one line (an event as a client posts it, and a newline) per row of
    ``events``. Ids, types and sub-types hold no character that JSON escapes, yet
    the id is escaped all the same."""
    subtype = " ".join(
        f"WHEN {_quoted(t)} THEN {_quoted(_member(member[0]))} || subtype || '\"'"
        for t, member in SUBTYPES.items() if member)
    answered = ", ".join(_quoted(t) for t in sorted(ANSWERED_TYPES))
    points = ", ".join(_quoted(t) for t in sorted(POINT_TYPES))
    return f"""
        SELECT concat(
            '{{"id":', to_json(event_id), ',"type":"', type, '"',
            CASE type {subtype} ELSE '' END,
            ',"projectId":', project_id,
            ',"userId":', CASE WHEN user_id = {NO_ID} THEN 'null' ELSE user_id::VARCHAR END,
            CASE WHEN type = {_quoted(QUEUE_CALL)} THEN ',"queueId":' || queue_id ELSE '' END,
            CASE WHEN type IN ({points}) THEN ',"time":' || {_stamp("t_start")}
                 ELSE ',"start":' || {_stamp("t_start")}
                      || CASE WHEN type IN ({answered})
                              THEN ',"answer":' || {_stamp("t_answer")} ELSE '' END
                      || ',"end":' || {_stamp("t_end")} END,
            '}}', chr(10)) AS line
        FROM events"""


LINES_SQL = _lines_sql()
