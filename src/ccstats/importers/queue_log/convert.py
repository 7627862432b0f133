"""A parsed queue_log → events with ids, ready for the NDJSON path."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ccstats.importers.queue_log.calls import CALL_EVENTS, is_member, pair_calls
from ccstats.importers.queue_log.queue_calls import ENTER, QUEUE_CALL_EVENTS, pair_queue_calls
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


def convert(records: Sequence[Record], names: Names, queue_calls: bool = True) -> Conversion:
    """The events of `records`: calls, rings, breaks and available time, and with
    `queue_calls` the ``queuecall`` events (docs/asterisk.md)."""
    calls = pair_calls(records)
    states = user_states(records, calls.events, calls.open, names.user)
    result = Conversion(
        events=[e.as_json(names.project(e.queue), names.user(e.member))
                for e in [*calls.events, *states.events]],
        open_calls=len(calls.open), lost_calls=calls.lost, open_sessions=states.open_sessions,
        open_pauses=states.open_pauses, implausible=calls.implausible,
        unknown=Counter(r.event for r in records if r.event not in KNOWN_EVENTS),
    )
    if queue_calls:
        _add_queue_calls(result, records, names)
    return result


def _add_queue_calls(result: Conversion, records: Sequence[Record], names: Names) -> None:
    pairing = pair_queue_calls(records)
    result.events.extend(
        c.as_json(names.project(c.queue), None if c.member is None else names.user(c.member))
        for c in pairing.calls)
    result.open_queue_calls = len(pairing.open)
    result.lost_queue_calls = pairing.lost
    result.implausible.extend(pairing.implausible)
