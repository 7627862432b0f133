"""A parsed queue_log → events with ids, ready for the NDJSON path."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ccstats.importers.queue_log.calls import CALL_EVENTS, is_member, pair_calls
from ccstats.importers.queue_log.records import Record
from ccstats.importers.queue_log.sessions import SESSION_EVENTS, user_states

#: Events of the caller or the system, known and deliberately not mapped to any event.
IGNORED_EVENTS = frozenset({
    "QUEUESTART", "CONFIGRELOAD", "ENTERQUEUE", "ABANDON", "EXITEMPTY", "EXITWITHKEY",
    "EXITWITHTIMEOUT", "SYSCOMPAT", "AGENTDUMP", "DID", "INFO", "PENALTY",
})
KNOWN_EVENTS = CALL_EVENTS | SESSION_EVENTS | IGNORED_EVENTS


class Names(Protocol):
    """Queue → project id and member → user id (`ccstats.importers.queue_log.names.NameMap`)."""

    def project(self, queue: str) -> int: ...
    def user(self, member: str) -> int: ...


@dataclass(slots=True)
class Conversion:
    events: list[dict[str, Any]] = field(default_factory=list)
    open_calls: int = 0
    lost_calls: int = 0
    open_sessions: int = 0
    open_pauses: int = 0
    unknown: Counter[str] = field(default_factory=Counter)
    implausible: list[int] = field(default_factory=list)


def mapped_names(records: Sequence[Record]) -> tuple[list[str], list[str]]:
    """The queues and members of the lines that become events, in order of appearance."""
    queues: dict[str, None] = {}
    members: dict[str, None] = {}
    for r in records:
        if r.event in KNOWN_EVENTS and r.event not in IGNORED_EVENTS and is_member(r.agent):
            members[r.agent] = None
            if is_member(r.queue):
                queues[r.queue] = None
    return list(queues), list(members)


def convert(records: Sequence[Record], names: Names) -> Conversion:
    """The events of `records`: calls, rings, breaks and available time (docs/asterisk.md)."""
    calls = pair_calls(records)
    states = user_states(records, calls.events, calls.open, names.user)
    result = Conversion(
        events=[e.as_json(names.project(e.queue), names.user(e.member))
                for e in [*calls.events, *states.events]],
        open_calls=len(calls.open), lost_calls=calls.lost, open_sessions=states.open_sessions,
        open_pauses=states.open_pauses, implausible=calls.implausible,
        unknown=Counter(r.event for r in records if r.event not in KNOWN_EVENTS),
    )
    return result
