"""Queue calls: a caller's stay in one queue, from ``ENTERQUEUE`` to its end.

A queue call is keyed by its callid and queue (a caller who leaves one queue with
``EXITWITHTIMEOUT`` and enters another keeps the callid):

- ``ENTERQUEUE`` opens it: ``start``.
- ``CONNECT`` of a member answers it: ``answer`` and the member who answered.
- The member's ``COMPLETECALLER`` / ``COMPLETEAGENT`` / ``TRANSFER`` /
  ``BLINDTRANSFER`` / ``ATTENDEDTRANSFER`` ends it answered, at CONNECT + calltime
  as the member's call (`calls`); without its CONNECT in the log it was answered
  at end - calltime by the member of the end line.
- ``ABANDON`` / ``EXITWITHTIMEOUT`` / ``EXITEMPTY`` / ``EXITWITHKEY`` ends it
  unanswered at that line, even after a CONNECT.

Lines of a queue call whose ``ENTERQUEUE`` is not in the log make nothing; a call
not ended yet stays in `QueueCallPairing.open`, and its open version
(`QueueCallPairing.live`: ``end`` None, ``answer`` and member those of its CONNECT
if any) has the id the ended call will have. ``QUEUESTART`` (Asterisk
restarted) gives up the calls still open, as does a second ``ENTERQUEUE`` of the
same callid and queue before the first ended.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ccstats.importers.queue_log.calls import END_EVENTS, calltime, is_member, talked_until
from ccstats.importers.queue_log.log_events import DAY, event_id
from ccstats.importers.queue_log.records import Record

ENTER = "ENTERQUEUE"
UNANSWERED_ENDS = frozenset({"ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY"})
QUEUE_CALL_EVENTS = END_EVENTS | UNANSWERED_ENDS | {ENTER, "CONNECT"}


@dataclass(frozen=True, slots=True)
class QueueCall:
    """A queue call; `answer` and `member` are None when nobody answered (yet), `end`
    None while it goes on."""

    id: str
    queue: str
    start: int
    answer: int | None
    end: int | None
    member: str | None

    def as_json(self, project_id: int, user_id: int | None) -> dict[str, Any]:
        """The ``queuecall`` event; the queue's id is its project's (queue → project)."""
        return {"id": self.id, "type": "queuecall", "projectId": project_id,
                "queueId": project_id, "start": self.start, "answer": self.answer,
                "end": self.end, "userId": user_id}


@dataclass(slots=True)
class OpenQueueCall:
    """A queue call whose end is not in the log yet: its ENTERQUEUE and CONNECT lines."""

    id: str
    enter: Record
    connect: Record | None = None

    def version(self, answer: int | None, stop: int | None, member: str | None) -> QueueCall:
        """The call answered at `answer` (None: not answered) by `member` and ended at
        `stop` (None: not yet); neither precedes the ENTERQUEUE."""
        start = self.enter.time
        if answer is not None:
            answer = max(answer, start)
        end = None if stop is None else max(stop, answer if answer is not None else start)
        return QueueCall(self.id, self.enter.queue, start, answer, end, member)

    def live(self) -> QueueCall:
        """The open version: waiting, or answered by the member of its CONNECT."""
        if self.connect is None:
            return self.version(None, None, None)
        return self.version(self.connect.time, None, self.connect.agent)


@dataclass(slots=True)
class QueueCallPairing:
    """The queue calls of a log read so far (`take` line by line), and the open ones."""

    calls: list[QueueCall] = field(default_factory=list)
    open: dict[tuple[str, str], OpenQueueCall] = field(default_factory=dict)
    #: Open calls given up: Asterisk restarted, or the caller entered the queue again.
    lost: int = 0
    #: End lines of calls that would be longer than a day (not importable).
    implausible: list[int] = field(default_factory=list)
    entered: Counter[tuple[str, str, int]] = field(default_factory=Counter)

    def live(self) -> list[QueueCall]:
        """The open versions of the calls still open."""
        return [call.live() for call in self.open.values()]

    def take(self, r: Record) -> None:
        """One line of the log (lines of no queue call are passed over)."""
        if r.event == "QUEUESTART":
            self.lost += len(self.open)
            self.open.clear()
        elif r.event == ENTER and is_member(r.queue):
            self._enter(r)
        elif (call := self.open.get((r.callid, r.queue))) is not None:
            self._next(call, r)

    def _next(self, call: OpenQueueCall, r: Record) -> None:
        """A line of the callid and queue of `call`, which is open."""
        if r.event in UNANSWERED_ENDS:
            del self.open[(r.callid, r.queue)]
            self._close(call, None, r.time, None, r.line)
        elif not is_member(r.agent):
            return
        elif r.event == "CONNECT" and call.connect is None:
            call.connect = r
        elif r.event in END_EVENTS:
            del self.open[(r.callid, r.queue)]
            self._answered(call, r)

    def _enter(self, r: Record) -> None:
        identity = (r.callid, r.queue, r.time)
        self.entered[identity] += 1
        if (r.callid, r.queue) in self.open:
            self.lost += 1
        self.open[(r.callid, r.queue)] = OpenQueueCall(
            event_id("queuecall", *identity, self.entered[identity]), r)

    def _answered(self, call: OpenQueueCall, end: Record) -> None:
        if call.connect is not None:
            answer, member = call.connect.time, call.connect.agent
            stop = talked_until(answer, end)
        else:
            answer, member, stop = end.time - min(calltime(end) or 0, end.time), end.agent, end.time
        self._close(call, answer, stop, member, end.line)

    def _close(self, call: OpenQueueCall, answer: int | None, stop: int,
               member: str | None, line: int) -> None:
        closed = call.version(answer, stop, member)
        if closed.end is not None and closed.end - closed.start > DAY:
            self.implausible.append(line)
        else:
            self.calls.append(closed)


def pair_queue_calls(records: Iterable[Record]) -> QueueCallPairing:
    """The queue calls of `records` (see the module docstring)."""
    pairing = QueueCallPairing()
    for r in records:
        pairing.take(r)
    return pairing
