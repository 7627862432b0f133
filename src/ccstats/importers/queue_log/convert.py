"""A parsed queue_log → events with ids, ready for the NDJSON path."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ccstats.importers.queue_log.calls import CALL_EVENTS, is_member, pair_calls
from ccstats.importers.queue_log.log_events import LogEvent
from ccstats.importers.queue_log.queue_calls import (
    ENTER,
    QUEUE_CALL_EVENTS,
    QueueCall,
    pair_queue_calls,
)
from ccstats.importers.queue_log.records import Record
from ccstats.importers.queue_log.sessions import SESSION_EVENTS, user_states

#: Events of the system, known and deliberately not mapped to any event.
IGNORED_EVENTS = frozenset({
    "QUEUESTART", "CONFIGRELOAD", "SYSCOMPAT", "AGENTDUMP", "DID", "INFO", "PENALTY",
})
#: Events of a member: their member becomes a user, their queue a project.
MEMBER_EVENTS = CALL_EVENTS | SESSION_EVENTS
KNOWN_EVENTS = MEMBER_EVENTS | QUEUE_CALL_EVENTS | IGNORED_EVENTS


class Names(Protocol):
    """Queue → project id and member → user id (`ccstats.importers.queue_log.names.NameMap`)."""

    def project(self, queue: str) -> int: ...
    def user(self, member: str) -> int: ...


@dataclass(slots=True)
class Conversion:
    events: list[dict[str, Any]] = field(default_factory=list)
    #: The open versions (``end`` null) of what is still going on, if asked for.
    live: list[dict[str, Any]] = field(default_factory=list)
    open_calls: int = 0
    lost_calls: int = 0
    open_queue_calls: int = 0
    lost_queue_calls: int = 0
    open_sessions: int = 0
    open_pauses: int = 0
    unknown: Counter[str] = field(default_factory=Counter)
    implausible: list[int] = field(default_factory=list)


def mapped_names(records: Sequence[Record], queue_calls: bool = True
                 ) -> tuple[list[str], list[str]]:
    """The queues and members of the lines that become events, in order of appearance
    (with `queue_calls`, also the queues callers enter)."""
    queues: dict[str, None] = {}
    members: dict[str, None] = {}
    for r in records:
        if r.event in MEMBER_EVENTS and is_member(r.agent):
            members[r.agent] = None
            if is_member(r.queue):
                queues[r.queue] = None
        elif queue_calls and r.event == ENTER and is_member(r.queue):
            queues[r.queue] = None
    return list(queues), list(members)


def convert(records: Sequence[Record], names: Names, queue_calls: bool = True,
            live: bool = False) -> Conversion:
    """The events of `records`: calls, rings, breaks and available time, and with
    `queue_calls` the ``queuecall`` events (docs/asterisk.md); with `live` also the
    open versions of the calls, pauses, sessions and queue calls still going on."""
    calls = pair_calls(records)
    states = user_states(records, calls.events, calls.open, names.user)
    result = Conversion(
        events=_as_json([*calls.events, *states.events], names),
        live=_as_json([*calls.live, *states.live], names) if live else [],
        open_calls=len(calls.open), lost_calls=calls.lost, open_sessions=states.open_sessions,
        open_pauses=states.open_pauses, implausible=calls.implausible,
        unknown=Counter(r.event for r in records if r.event not in KNOWN_EVENTS),
    )
    if queue_calls:
        _add_queue_calls(result, records, names, live)
    return result


def _as_json(events: Sequence[LogEvent], names: Names) -> list[dict[str, Any]]:
    return [e.as_json(names.project(e.queue), names.user(e.member)) for e in events]


def _queue_calls_as_json(calls: Sequence[QueueCall], names: Names) -> list[dict[str, Any]]:
    return [c.as_json(names.project(c.queue), None if c.member is None
                      else names.user(c.member)) for c in calls]


def _add_queue_calls(result: Conversion, records: Sequence[Record], names: Names,
                     live: bool) -> None:
    pairing = pair_queue_calls(records)
    result.events.extend(_queue_calls_as_json(pairing.calls, names))
    if live:
        result.live.extend(_queue_calls_as_json(pairing.live(), names))
    result.open_queue_calls = len(pairing.open)
    result.lost_queue_calls = pairing.lost
    result.implausible.extend(pairing.implausible)
