"""Rings, answered calls and outbound calls of members, paired from their lines.

- ``RINGNOANSWER`` / ``RINGCANCELED`` (ring time in **milliseconds**): a missed
  inbound call of the member, ``[time - ring, time)``, and a ``ringing`` state.
- ``CONNECT`` (``holdtime|bridged channel[|ringtime]``, ring time in seconds and
  only since Asterisk 1.6) opens an answered call; it is ended by the member's
  ``COMPLETECALLER`` / ``COMPLETEAGENT`` (``holdtime|calltime|...``),
  ``TRANSFER`` / ``BLINDTRANSFER`` (``exten|context|holdtime|calltime|...``) or
  ``ATTENDEDTRANSFER`` (``...|holdtime|calltime|origposition``) of the same
  callid: ``start`` = CONNECT - ring time, ``answer`` = CONNECT, ``end`` =
  CONNECT + calltime. An end line without its CONNECT (a log that begins
  mid-call) still makes a call: ``answer`` = end - calltime.
- PBXware's outbound lines: ``OUTDIAL`` opens, ``OUTANSWER`` / ``OUTTRANSFER``
  (ring and talk seconds in the last two fields) end an answered outbound call,
  ``OUTCANCEL``, ``OUTCHANUNAVAIL``, ``OUTCONGESTION``, ``OUTBUSY``,
  ``OUTNOANSWER`` an unanswered one. The routes PBXware tries one after another
  for one call (several OUTDIAL … end pairs of one callid) are one call, from the
  first OUTDIAL to the last end, answered at the first answering end line minus
  its talk seconds (a call answered, then transferred with OUTTRANSFER, is talked
  until the transfer's end).

A call whose end is not in the log yet is an `OpenItem`, and its open version
(`Calls.live`) is the call and the member's ``call`` state with ``end`` None under
the ids the ended call will have (an answered inbound call's ``ringing`` state is
left out: it is stored with the ended call, as is everything that has ended). An
inbound one is given up as lost when the member connects to another call or
``QUEUESTART`` (Asterisk restarted) is logged. A second end line of an inbound
call already ended (a log that repeats a line) is ignored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ccstats.importers.queue_log.log_events import DAY, LogEvent, event_id
from ccstats.importers.queue_log.records import NO_NAME, Record

RING_EVENTS = frozenset({"RINGNOANSWER", "RINGCANCELED"})
END_EVENTS = frozenset({"COMPLETEAGENT", "COMPLETECALLER", "TRANSFER", "BLINDTRANSFER",
                        "ATTENDEDTRANSFER"})
OUT_ANSWERED = frozenset({"OUTANSWER", "OUTTRANSFER"})
OUT_UNANSWERED = frozenset({"OUTCANCEL", "OUTCHANUNAVAIL", "OUTCONGESTION", "OUTBUSY",
                            "OUTNOANSWER"})
CALL_EVENTS = RING_EVENTS | END_EVENTS | OUT_ANSWERED | OUT_UNANSWERED | {"CONNECT", "OUTDIAL"}


@dataclass(frozen=True, slots=True)
class OpenItem:
    """A call, session or pause of `member` that began at `since` and has not ended yet."""

    member: str
    since: int


@dataclass(slots=True)
class Calls:
    events: list[LogEvent] = field(default_factory=list)
    open: list[OpenItem] = field(default_factory=list)
    #: The open versions (``end`` None) of the calls still going on.
    live: list[LogEvent] = field(default_factory=list)
    #: Lines whose call would be longer than a day (not importable).
    implausible: list[int] = field(default_factory=list)
    #: Calls whose end will never be logged: the member connected again, or Asterisk restarted.
    lost: int = 0


def is_member(agent: str) -> bool:
    return agent not in ("", NO_NAME)


def calltime(end: Record) -> int | None:
    """The talk seconds an answered call's end line gives, if it gives them."""
    if end.event in ("COMPLETEAGENT", "COMPLETECALLER"):
        return end.number(1)
    if end.event in ("TRANSFER", "BLINDTRANSFER"):
        return end.number(3)
    return end.number(-2)  # ATTENDEDTRANSFER: method|data...|holdtime|calltime|origposition


@dataclass(slots=True)
class _Outbound:
    """The lines of one outbound call: PBXware logs one OUTDIAL and one end per route tried."""

    first: Record
    ends: list[Record] = field(default_factory=list)
    dialing: Record | None = None  # an OUTDIAL not ended yet

    def event(self) -> tuple[LogEvent, int] | None:
        """The call and its latest line; ``end`` None while a route is being dialled.
        None for a dialling given up before any route ended (Asterisk restarted)."""
        last = self.ends[-1] if self.ends else None
        latest = self.dialing or last
        if latest is None:
            return None
        start = self.first.time
        if last is not None and self.first.event != "OUTDIAL":  # the log begins after it
            start = last.time - min((last.number(2) or 0) + (last.number(3) or 0), last.time)
        end = None if self.dialing is not None else max(latest.time, start)
        answered = next((e for e in self.ends if e.event in OUT_ANSWERED), None)
        answer = None if answered is None else max(answered.time - (answered.number(3) or 0),
                                                   start)
        if answer is not None and end is not None:
            answer = min(answer, end)
        identity = (self.first.callid, self.first.agent, self.first.time)
        return (LogEvent(event_id("out", *identity), "call", "out",
                         latest.queue, latest.agent, start, end, answer), latest.line)


def pair_calls(records: Iterable[Record]) -> Calls:
    pairing = _Pairing()
    for r in records:
        if r.event == "QUEUESTART":
            pairing.restart()
        if is_member(r.agent) and r.event in CALL_EVENTS:
            pairing.take(r)
    return pairing.finish()


@dataclass(slots=True)
class _Pairing:
    """The calls of a log read so far, and those still waiting for their end line."""

    calls: Calls = field(default_factory=Calls)
    #: The CONNECT of each member's call in progress.
    connects: dict[str, Record] = field(default_factory=dict)
    outbound: dict[tuple[str, str], _Outbound] = field(default_factory=dict)
    seen: Counter[tuple[object, ...]] = field(default_factory=Counter)
    ended: set[tuple[str, str]] = field(default_factory=set)

    def add(self, event: LogEvent, line: int) -> None:
        if event.end is not None and event.end - event.start > DAY:
            self.calls.implausible.append(line)
        else:
            self.calls.events.append(event)

    def restart(self) -> None:
        """Asterisk restarted: the calls in progress will never end."""
        self.calls.lost += len(self.connects)
        self.calls.lost += sum(1 for o in self.outbound.values() if o.dialing and not o.ends)
        self.connects.clear()
        for o in self.outbound.values():
            o.dialing = None

    def take(self, r: Record) -> None:
        """One call line of a member."""
        if r.event in RING_EVENTS:
            self._ring(r)
        elif r.event == "CONNECT":
            if r.agent in self.connects:
                self.calls.lost += 1
            self.connects[r.agent] = r
        elif r.event in END_EVENTS:
            self._end(r)
        else:
            self._outbound(r)

    def _ring(self, r: Record) -> None:
        ring = (r.number(0) or 0) // 1000
        identity = (r.callid, r.queue, r.agent, r.time, r.event)
        self.seen[identity] += 1
        start = r.time - min(ring, r.time)
        self.add(LogEvent(event_id("missed", *identity, self.seen[identity]), "call", "in",
                          r.queue, r.agent, start, r.time), r.line)
        if start < r.time:
            self.add(LogEvent(event_id("ringing", *identity, self.seen[identity]),
                              "userstate", "ringing", r.queue, r.agent, start, r.time), r.line)

    def _end(self, r: Record) -> None:
        key = (r.callid, r.agent)
        if r.agent in self.connects and self.connects[r.agent].callid == r.callid:
            events = _answered(self.connects.pop(r.agent), r)
        elif key not in self.ended:  # not a repeated end line of a call already ended
            events = _answered(r, r)
        else:
            events = []
        for event in events:
            self.add(event, r.line)
        self.ended.add(key)

    def _outbound(self, r: Record) -> None:
        call = self.outbound.setdefault((r.callid, r.agent), _Outbound(r))
        if r.event == "OUTDIAL":
            call.dialing = r
        else:
            call.ends.append(r)
            call.dialing = None

    def finish(self) -> Calls:
        """The calls paired, with those not ended yet as open items."""
        calls = self.calls
        for connect in self.connects.values():
            calls.open.append(OpenItem(connect.agent, connect.time - (connect.number(2) or 0)))
            calls.live.extend(e for e in _answered(connect, None) if e.end is None)
        for call in self.outbound.values():
            if (found := call.event()) is None:
                continue
            event, line = found
            state = LogEvent(event_id("out-call", event.id), "userstate", "call",
                             event.queue, event.member, event.start, event.end)
            if event.end is None:
                calls.open.append(OpenItem(call.first.agent, call.first.time))
                calls.live.extend((event, state))
            else:
                self.add(event, line)
                self.add(state, line)
        return calls


def _answered(call: Record, end: Record | None) -> list[LogEvent]:
    """An answered inbound call: the call, its ``ringing`` state when the ring time is
    known, and its ``call`` state.

    `call` is its CONNECT, or its end line when the CONNECT is not in the log (the log
    begins mid-call: answered at end - calltime). Without `end` (not logged yet) the
    call and its ``call`` state have ``end`` None.
    """
    stop: int | None
    if call.event == "CONNECT":
        answer = call.time
        ring = call.number(2) or 0  # CONNECT's ring time: seconds, since Asterisk 1.6
        stop = None if end is None else talked_until(answer, end)
    else:
        stop, ring = call.time, 0
        answer = stop - min(calltime(call) or 0, stop)
    start = answer - min(ring, answer)
    identity = (call.callid, call.queue, call.agent, answer)
    events = [LogEvent(event_id("in", *identity), "call", "in", call.queue, call.agent, start,
                       stop, answer)]
    if start < answer:
        events.append(LogEvent(event_id("in-ringing", *identity), "userstate", "ringing",
                               call.queue, call.agent, start, answer))
    events.append(LogEvent(event_id("in-call", *identity), "userstate", "call", call.queue,
                           call.agent, answer, stop))
    return events


def talked_until(answer: int, end: Record) -> int:
    """When a call answered at `answer` ended: answer + the calltime of its end line."""
    talk = calltime(end)
    return answer + talk if talk is not None else max(end.time, answer)
