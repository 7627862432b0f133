"""An independent, slow and obviously-correct oracle of the real-time resources.

``GET /v2/onlineusers`` and ``GET /v2/realtime/queues`` are re-derived here from the
written contract (``shared/spec/realtime.md`` §2, with the serviceLevel and asa of
``queues-and-kpis.md``) and the decisions the README lists where it is silent. Like
:mod:`oracle` and :mod:`inbound_oracle`, whose timestamp parsing and KPI rounding it
reuses, it shares no code with ``ccstats``: it reads the stored events as their JSON
objects and works on each event in plain Python, with no time-zone arithmetic of its
own beyond ``datetime.fromtimestamp(t, ZoneInfo(zone)).date()``.

The rules, as this module applies them:

1. **Open and stale**: an interval event (``userstate``, ``call``, ``chat``,
   ``queuecall``) whose ``end`` is ``null`` is open; an open one whose ``start`` lies
   more than 86400 s before ``now`` is stale and is ignored everywhere.
2. **Latest**: among candidates, the one with the greatest ``(start, id)``.
3. **Online users**: per user, the latest open, non-stale ``userstate`` is its state;
   the user shows iff it has one, its state's project passes ``projects``, the user
   passes ``users`` and is not hidden (system users with ``hide_system_users``).
   ``call`` is the user's latest open, non-stale ``call``; ``queueId`` is the
   ``queueId`` of the latest open, non-stale queue call whose ``answer`` is not null
   and whose ``userId`` is the user. Durations are ``now - start``, or 0 for a start
   after ``now``.
4. **Queues**: the queue calls of the projects asked for that are open and non-stale,
   or closed and started on the customer's local date of ``now`` (``datetime`` of the
   start and of ``now`` in the zone, compared as dates), count. A queue shows iff it
   has one and passes ``queues``; ``projectId`` is that of its latest counted call.
5. **Text formats**: csv (CRLF, RFC 4180 quoting) or tab (LF; a tab or line break in a
   cell becomes a space); ``null`` is an empty cell, booleans are ``true``/``false``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from inbound_oracle import kpi_value
from oracle import Event, Record, parse_timestamp

STALE_SECONDS = 86_400
INTERVAL_TYPES = frozenset({"userstate", "call", "chat", "queuecall"})

USER_COLUMNS = ("userId", "name", "projectId", "state", "since", "stateDuration",
                "callDirection", "callSince", "callAnswered", "callQueueId")
QUEUE_COLUMNS = ("queueId", "name", "projectId", "waiting", "longestWait", "talking",
                 "offered", "answered", "abandoned", "serviceLevel", "asa")


def start_of(event: Mapping[str, Any]) -> int:
    return parse_timestamp(event["start"])


def is_open(event: Mapping[str, Any]) -> bool:
    return event["type"] in INTERVAL_TYPES and event["end"] is None


def is_live(event: Mapping[str, Any], now: int) -> bool:
    """Open and not stale."""
    return is_open(event) and start_of(event) >= now - STALE_SECONDS


def latest(events: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The event with the latest start, then the greatest id (None if there is none)."""
    return max(events, key=lambda e: (start_of(e), str(e["id"])), default=None)


def utc_text(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def seconds_since(start: int, now: int) -> int:
    return max(now - start, 0)


def _answered_by(event: Mapping[str, Any], user: int) -> bool:
    return event.get("answer") is not None and event.get("userId") == user


def _call_of(user: int, live: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    call = latest(e for e in live if e["type"] == "call" and e["userId"] == user)
    if call is None:
        return None
    queue_call = latest(e for e in live if e["type"] == "queuecall" and _answered_by(e, user))
    return {"direction": call["direction"], "since": utc_text(start_of(call)),
            "answered": call["answer"] is not None,
            "queueId": None if queue_call is None else queue_call["queueId"]}


def expected_online_users(stored: Mapping[str, Event], now: int, names: Mapping[int, str],
                          projects: Collection[int] | None, users: Collection[int] | None,
                          hidden: Collection[int]) -> list[Record]:
    """The ``response`` of ``GET /v2/onlineusers`` at `now`; `names` maps user ids to
    their metadata names, `hidden` are the users ``hide_system_users`` drops."""
    live = [e for e in stored.values() if is_live(e, now)]
    records: list[Record] = []
    for user in sorted({e["userId"] for e in live if e["type"] == "userstate"}):
        state = latest(e for e in live if e["type"] == "userstate" and e["userId"] == user)
        assert state is not None
        if (projects is not None and state["projectId"] not in projects) or \
                (users is not None and user not in users) or user in hidden:
            continue
        start = start_of(state)
        records.append({"userId": user, "name": names.get(user, f"User {user}"),
                        "projectId": state["projectId"], "state": state["state"],
                        "since": utc_text(start), "stateDuration": seconds_since(start, now),
                        "call": _call_of(user, live)})
    return records


def _today(zone: str, now: int) -> Callable[[int], bool]:
    tz = ZoneInfo(zone)
    day = datetime.fromtimestamp(now, tz).date()
    return lambda t: datetime.fromtimestamp(t, tz).date() == day


def _queue_record(queue: int, calls: Sequence[Mapping[str, Any]], now: int, name: str,
                  manual_sla: int) -> Record:
    going = [e for e in calls if is_open(e)]
    waiting = [e for e in going if e["answer"] is None]
    closed = [e for e in calls if not is_open(e)]
    waits = [parse_timestamp(e["answer"]) - start_of(e) for e in closed
             if e["answer"] is not None]
    newest = latest(calls)
    assert newest is not None
    return {
        "queueId": queue, "name": name, "projectId": newest["projectId"],
        "waiting": len(waiting),
        "longestWait": max((seconds_since(start_of(e), now) for e in waiting), default=None),
        "talking": len(going) - len(waiting),
        "offered": len(closed), "answered": len(waits), "abandoned": len(closed) - len(waits),
        "serviceLevel": kpi_value(sum(1 for w in waits if w <= manual_sla), len(closed)),
        "asa": kpi_value(sum(waits), len(waits)),
    }


def expected_queues(stored: Mapping[str, Event], now: int, zone: str, names: Mapping[int, str],
                    projects: Collection[int] | None, queues: Collection[int] | None,
                    manual_sla: int) -> list[Record]:
    """The ``response`` of ``GET /v2/realtime/queues`` at `now` for a customer in `zone`;
    `names` maps queue ids to their metadata names."""
    today = _today(zone, now)
    counted = [e for e in stored.values() if e["type"] == "queuecall"
               and (is_live(e, now) if is_open(e) else today(start_of(e)))
               and (projects is None or e["projectId"] in projects)]
    records = []
    for queue in sorted({e["queueId"] for e in counted}):
        if queues is None or queue in queues:
            calls = [e for e in counted if e["queueId"] == queue]
            records.append(_queue_record(queue, calls, now, names.get(queue, f"Queue {queue}"),
                                         manual_sla))
    return records


# --------------------------------------------------------------------------- csv / tab


def cell(value: object, sep: str) -> str:
    """One csv (``sep=","``) or tab cell."""
    if value is None:
        return ""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    if sep == "\t":
        return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _render(columns: Sequence[str], rows: Iterable[Sequence[object]], sep: str) -> str:
    newline = "\r\n" if sep == "," else "\n"
    lines = [sep.join(columns), *(sep.join(cell(v, sep) for v in row) for row in rows)]
    return "".join(line + newline for line in lines)


def online_users_csv(records: Sequence[Record], sep: str) -> str:
    """One line per user; ``call`` flattened into ``callDirection``, ``callSince``,
    ``callAnswered``, ``callQueueId``."""
    rows = []
    for record in records:
        call = record["call"] or {}
        rows.append([*(record[key] for key in USER_COLUMNS[:6]),
                     *(call.get(key) for key in ("direction", "since", "answered", "queueId"))])
    return _render(USER_COLUMNS, rows, sep)


def queues_csv(records: Sequence[Record], sep: str) -> str:
    return _render(QUEUE_COLUMNS, ([record[key] for key in QUEUE_COLUMNS] for record in records),
                   sep)
