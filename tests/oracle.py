"""An independent, slow and obviously-correct oracle of ``GET /v2/statistics/userbased``.

This module re-derives, from the written contract alone (``shared/spec/events-and-kpis.md``
and ``shared/spec/api.md``), the exact answer the service must give for a set of stored
events and a set of query options. It deliberately shares no code with ``ccstats`` and
uses a *different* method than the engine's UTC quarter-hour store, so that agreement
between the two is evidence that both follow the spec.

The approach, step by step:

1. **Timestamps** (:func:`parse_timestamp`): an ISO-8601 string with an offset or an
   epoch number, floored to whole epoch seconds.
2. **Event state** (:func:`apply_ops`): replay ``put``/``delete`` operations in order on a
   plain ``dict`` keyed by event id; a ``put`` of an existing id replaces it.
3. **Contributions** (:func:`contributions`): every event is turned into a list of
   ``(field, start, end)`` triples straight from the KPI catalog. ``end is None`` marks a
   *point* (one count, no seconds: dispositions, emails, tickets, and ``callOutAttempt``
   which counts in the bucket of the call's start); otherwise ``[start, end)`` is an
   *interval* that counts once in the bucket of ``start`` and spreads its seconds.
4. **Buckets** (:func:`bucket_cells`): an interval is cut at every UTC **minute**
   boundary. Every offset a time zone uses today is a whole number of minutes, so the
   60 seconds of one UTC minute share one local wall-clock minute; the first instant of
   each piece is converted with ``datetime.fromtimestamp(t, ZoneInfo(zone))`` and the
   piece's seconds are added to the bucket (local date, local minutes-of-day floored to
   the slot length). Wall-clock conversion gives the DST rules for free: a repeated
   hour maps twice onto the same bucket, a skipped hour never appears. A zero-length
   interval has no pieces but still counts once (with 0 seconds) in its start bucket,
   which makes the field present there.
5. **Records** (:func:`expected_response`): keep the cells whose local date is within
   ``[date_from, date_to]`` and whose project/user pass the filters, group them by the
   requested dimensions, add counts and seconds, and emit records sorted by the
   dimensions in request order. ``count``/``sum`` are ``None`` where the catalog says
   null; a field is listed iff some contribution reached it in the group; a record
   exists iff it lists at least one requested field.
6. **Text formats** (:func:`expected_csv`): csv (comma, CRLF, RFC 4180 quoting) or tab
   (LF, no quoting), one line per (record, field).

Nothing here tries to be fast: every minute of every interval is converted separately.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

Event = dict[str, Any]
"""One event as its JSON object (raw timestamps, unknown members allowed)."""

Record = dict[str, Any]
"""One record exactly as the JSON ``response`` member lists it."""

Op = tuple[Literal["put"], Event] | tuple[Literal["delete"], str]
"""One storage operation: ``("put", event)`` or ``("delete", event_id)``."""

CATALOG: tuple[str, ...] = (
    "userstateAvailable",
    "userstateCall",
    "userstateAfterwork",
    "userstatePrework",
    "userstateRinging",
    "userstateWaitingForCall",
    "userstateWaitingForRecall",
    "userstateBreak",
    "userstateUnavailable",
    "callOut",
    "callIn",
    "callOutAttempt",
    "callOutReached",
    "callInAnswered",
    "callInMissed",
    "dispositionStatusSuccess",
    "dispositionStatusRecall",
    "dispositionStatusFailed",
    "dispositionReachFailed",
    "emailByAgentSent",
    "emailReceived",
    "ticketCreated",
    "ticketClosed",
    "chatHandled",
)
"""Every KPI, in catalog order (the order used when a request names no fields)."""

COUNT_IS_NULL: frozenset[str] = frozenset({"userstateCall", "callOut", "callIn"})
"""Fields whose ``count`` is always ``null``."""

SUM_IS_NULL: frozenset[str] = frozenset(
    {
        "callOutAttempt",
        "dispositionStatusSuccess",
        "dispositionStatusRecall",
        "dispositionStatusFailed",
        "dispositionReachFailed",
        "emailByAgentSent",
        "emailReceived",
        "ticketCreated",
        "ticketClosed",
    }
)
"""Fields whose ``sum`` is always ``null``."""

USERSTATE_FIELDS: Mapping[str, str] = {
    "available": "userstateAvailable",
    "call": "userstateCall",
    "afterwork": "userstateAfterwork",
    "prework": "userstatePrework",
    "ringing": "userstateRinging",
    "waitingForCall": "userstateWaitingForCall",
    "waitingForRecall": "userstateWaitingForRecall",
    "break": "userstateBreak",
    "unavailable": "userstateUnavailable",
}
DISPOSITION_FIELDS: Mapping[str, str] = {
    "success": "dispositionStatusSuccess",
    "recall": "dispositionStatusRecall",
    "failed": "dispositionStatusFailed",
    "reachFailed": "dispositionReachFailed",
}
EMAIL_FIELDS: Mapping[str, str] = {"sent": "emailByAgentSent", "received": "emailReceived"}
TICKET_FIELDS: Mapping[str, str] = {"created": "ticketCreated", "closed": "ticketClosed"}

DIMENSION_KEYS: Mapping[str, str] = {
    "date": "date",
    "time": "time",
    "project": "projectId",
    "user": "userId",
}
"""Request dimension name -> record key, in the fixed key (and csv column) order."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_SECOND = timedelta(seconds=1)


# --------------------------------------------------------------------------- timestamps


def parse_timestamp(value: object) -> int:
    """Return the whole epoch second (floored) of an event timestamp.

    ``value`` is an ISO-8601 string that carries an offset (``Z`` allowed, fractional
    seconds allowed) or an ``int``/``float`` number of epoch seconds. Anything else,
    including an ISO string without an offset, raises ``ValueError``.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a timestamp: {value!r}")
        return math.floor(value)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            raise ValueError(f"timestamp without an offset: {value!r}")
        # timedelta // timedelta floors, also for instants before 1970.
        return (parsed - _EPOCH) // _ONE_SECOND
    raise ValueError(f"not a timestamp: {value!r}")


# --------------------------------------------------------------------------- event state


def apply_ops(ops: Iterable[Op]) -> dict[str, Event]:
    """Replay storage operations in order and return the stored events by id.

    ``("put", event)`` stores ``event`` under ``event["id"]``, replacing any event with
    that id; ``("delete", event_id)`` removes it (unknown ids are ignored). A batch in
    which an id repeats is simply a run of puts, so its last occurrence wins.
    """
    stored: dict[str, Event] = {}
    for op in ops:
        if op[0] == "put":
            event = op[1]
            stored[str(event["id"])] = event
        else:
            stored.pop(op[1], None)
    return stored


# --------------------------------------------------------------------------- contributions


@dataclass(frozen=True)
class Contribution:
    """One event's contribution to one field.

    ``end is None``: a point at ``start`` (one count, no seconds). Otherwise the
    interval ``[start, end)``: one count in the bucket of ``start`` and its seconds
    spread over every bucket it overlaps.
    """

    field: str
    start: int
    end: int | None


def contributions(event: Mapping[str, Any]) -> list[Contribution]:
    """Translate one event into its KPI contributions, row by row from the catalog.

    An interval still going on (``end`` null, realtime.md §1) contributes nothing."""
    kind = event["type"]
    if kind in ("userstate", "call", "chat") and event["end"] is None:
        return []
    if kind == "userstate":
        start, end = parse_timestamp(event["start"]), parse_timestamp(event["end"])
        return [Contribution(USERSTATE_FIELDS[event["state"]], start, end)]
    if kind == "call":
        start, end = parse_timestamp(event["start"]), parse_timestamp(event["end"])
        raw_answer = event.get("answer")
        answer = None if raw_answer is None else parse_timestamp(raw_answer)
        if event["direction"] == "out":
            out = [
                Contribution("callOut", start, end),
                Contribution("callOutAttempt", start, None),
            ]
            if answer is not None:
                out.append(Contribution("callOutReached", answer, end))
            return out
        out = [Contribution("callIn", start, end)]
        if answer is not None:
            out.append(Contribution("callInAnswered", answer, end))
        else:
            out.append(Contribution("callInMissed", start, end))
        return out
    if kind == "disposition":
        return [
            Contribution(DISPOSITION_FIELDS[event["status"]], parse_timestamp(event["time"]), None)
        ]
    if kind == "email":
        return [
            Contribution(EMAIL_FIELDS[event["direction"]], parse_timestamp(event["time"]), None)
        ]
    if kind == "ticket":
        return [Contribution(TICKET_FIELDS[event["action"]], parse_timestamp(event["time"]), None)]
    if kind == "chat":
        start, end = parse_timestamp(event["start"]), parse_timestamp(event["end"])
        return [Contribution("chatHandled", start, end)]
    raise ValueError(f"unknown event type {kind!r}")


# --------------------------------------------------------------------------- buckets


@lru_cache(maxsize=1 << 20)
def local_minute(zone: str, utc_minute: int) -> tuple[date, int]:
    """Local (date, minutes since local midnight) of the UTC minute ``utc_minute``.

    Only the minute's first instant is converted; that is exact because the zone's
    offset at that instant is checked to be a whole number of minutes, and offsets
    only change at whole minutes, so all 60 seconds share one local wall-clock minute.
    """
    local = datetime.fromtimestamp(utc_minute * 60, ZoneInfo(zone))
    offset = local.utcoffset()
    if offset is None or offset.total_seconds() % 60 != 0:
        raise ValueError(f"{zone} has an offset that is not whole minutes: {offset}")
    return local.date(), local.hour * 60 + local.minute


def bucket_of(zone: str, interval: int, instant: int) -> tuple[date, int]:
    """Local (date, slot start in minutes since local midnight) of an epoch second."""
    day, minute = local_minute(zone, instant // 60)
    return day, minute - minute % interval


def interval_seconds(zone: str, interval: int, start: int, end: int) -> dict[tuple[date, int], int]:
    """Seconds of ``[start, end)`` per local (date, slot), by cutting at UTC minutes."""
    seconds: dict[tuple[date, int], int] = {}
    t = start
    while t < end:
        piece_end = min(end, (t // 60 + 1) * 60)
        key = bucket_of(zone, interval, t)
        seconds[key] = seconds.get(key, 0) + (piece_end - t)
        t = piece_end
    return seconds


CellKey = tuple[int, int, date, int, str]
"""(projectId, userId, local date, slot start minutes, field)."""


def bucket_cells(
    events: Iterable[Mapping[str, Any]], *, zone: str, interval: int
) -> dict[CellKey, list[int]]:
    """Every (bucket, field) that some event reached, with ``[count, seconds]``.

    A cell exists iff at least one contribution reached it, even with a zero count
    (an interval that only passes through) or zero seconds (a zero-length interval).
    """
    cells: dict[CellKey, list[int]] = {}
    for event in events:
        project, user = int(event["projectId"]), int(event["userId"])
        for contribution in contributions(event):
            day, slot = bucket_of(zone, interval, contribution.start)
            start_cell = cells.setdefault((project, user, day, slot, contribution.field), [0, 0])
            start_cell[0] += 1
            if contribution.end is None:
                continue
            pieces = interval_seconds(zone, interval, contribution.start, contribution.end)
            for (piece_day, piece_slot), secs in pieces.items():
                key = (project, user, piece_day, piece_slot, contribution.field)
                cells.setdefault(key, [0, 0])[1] += secs
    return cells


# --------------------------------------------------------------------------- records


def hhmm(slot_minutes: int) -> int:
    """``time`` of a slot: its start as the integer hhmm (``0``, ``900``, ``1415``)."""
    return (slot_minutes // 60) * 100 + slot_minutes % 60


def expected_response(
    events: Iterable[Mapping[str, Any]],
    *,
    zone: str,
    interval: int,
    date_from: date,
    date_to: date,
    dimensions: Sequence[str],
    fields: Sequence[str] | None,
    projects: set[int] | None,
    users: set[int] | None,
) -> list[Record]:
    """The JSON ``response`` list for the stored ``events`` and these query options.

    ``dimensions`` uses the request names (``project``, ``user``, ``date``, ``time``) in
    request order; ``fields`` is the requested KPI list (repeats dropped, first kept) or
    ``None`` for the whole catalog; ``projects``/``users`` are id filters or ``None``
    (every project and user: in these tests every project is active).
    """
    if not dimensions or len(set(dimensions)) != len(dimensions):
        raise ValueError(f"bad dimensions {dimensions!r}")
    wanted: list[str] = []
    for name in CATALOG if fields is None else fields:
        if name not in CATALOG:
            raise ValueError(f"unknown field {name!r}")
        if name not in wanted:
            wanted.append(name)

    groups: dict[tuple[Any, ...], dict[str, list[int]]] = {}
    for (project, user, day, slot, field), (count, secs) in bucket_cells(
        events, zone=zone, interval=interval
    ).items():
        if not date_from <= day <= date_to or field not in wanted:
            continue
        if projects is not None and project not in projects:
            continue
        if users is not None and user not in users:
            continue
        values = {"project": project, "user": user, "date": day.isoformat(), "time": hhmm(slot)}
        group_key = tuple(values[name] for name in dimensions)
        total = groups.setdefault(group_key, {}).setdefault(field, [0, 0])
        total[0] += count
        total[1] += secs

    records: list[Record] = []
    for group_key in sorted(groups):
        by_name = dict(zip(dimensions, group_key, strict=True))
        record: Record = {}
        for name, key in DIMENSION_KEYS.items():
            if name in by_name:
                record[key] = by_name[name]
        record["data"] = [
            {
                "field": field,
                "count": None if field in COUNT_IS_NULL else groups[group_key][field][0],
                "sum": None if field in SUM_IS_NULL else groups[group_key][field][1],
            }
            for field in wanted
            if field in groups[group_key]
        ]
        record["level"] = len(dimensions) - 1
        records.append(record)
    return records


# --------------------------------------------------------------------------- csv / tab


def _cell(value: object, sep: str) -> str:
    """One csv/tab cell: ``None`` is empty; csv quotes per RFC 4180 when needed."""
    text = "" if value is None else str(value)
    if sep == "," and any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def expected_csv(records: Sequence[Record], dimensions: Sequence[str], sep: str) -> str:
    """Render records as csv (``sep=","``: CRLF) or tab (``sep="\\t"``: LF).

    The header holds the requested dimension columns in the fixed order
    ``date,time,projectId,userId``, then ``level,field,count,sum``; every record gives one
    line per entry of its ``data``, in order. Every line, the last included, ends with
    the line terminator.
    """
    if sep not in (",", "\t"):
        raise ValueError(f"bad separator {sep!r}")
    newline = "\r\n" if sep == "," else "\n"
    columns = [key for name, key in DIMENSION_KEYS.items() if name in dimensions]
    lines = [sep.join([*columns, "level", "field", "count", "sum"])]
    for record in records:
        for entry in record["data"]:
            cells = [record[key] for key in columns]
            cells += [record["level"], entry["field"], entry["count"], entry["sum"]]
            lines.append(sep.join(_cell(value, sep) for value in cells))
    return "".join(line + newline for line in lines)
