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
  ``OUTNOANSWER`` an unanswered one.

A call whose end is not in the log yet produces nothing but an `OpenItem`; it is
given up as lost when the member connects to another call or ``QUEUESTART``
(Asterisk restarted) is logged. A
second end line of a call already ended (a log that repeats a line) is ignored.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ccstats.importers.queue_log.log_events import DAY, LogEvent, event_id
from ccstats.importers.queue_log.records import NO_NAME, Record

RING_EVENTS = frozenset({"RINGNOANSWER", "RINGCANCELED"})
END_EVENTS = frozenset({"COMPLETEAGENT", "COMPLETECALLER", "TRANSFER", "BLINDTRANSFER",
                        "ATTENDEDTRANSFER"})
OUT_ANSWERED = frozenset({"OUTANSWER", "OUTTRANSFER"})
OUT_UNANSWERED = frozenset({"OUTCANCEL", "OUTCHANUNAVAIL", "OUTCONGESTION", "OUTBUSY",
                            "OUTNOANSWER"})
_Add = Callable[[LogEvent, int], None]

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
    #: Lines whose call would be longer than a day (not importable).
    implausible: list[int] = field(default_factory=list)
    #: Calls whose end will never be logged: the member connected again, or Asterisk restarted.
    lost: int = 0


def is_member(agent: str) -> bool:
    return agent not in ("", NO_NAME)


def _calltime(end: Record) -> int | None:
    if end.event in ("COMPLETEAGENT", "COMPLETECALLER"):
        return end.number(1)
    if end.event in ("TRANSFER", "BLINDTRANSFER"):
        return end.number(3)
    return end.number(-2)  # ATTENDEDTRANSFER: method|data...|holdtime|calltime|origposition


def pair_calls(records: Iterable[Record]) -> Calls:
    calls = Calls()
    connects: dict[tuple[str, str], list[Record]] = defaultdict(list)
    dials: dict[tuple[str, str], Record] = {}
    seen: Counter[tuple[object, ...]] = Counter()
    ended: set[tuple[str, str]] = set()

    def add(event: LogEvent, line: int) -> None:
        if event.end - event.start > DAY:
            calls.implausible.append(line)
        else:
            calls.events.append(event)

    for r in records:
        if r.event == "QUEUESTART":
            calls.lost += sum(map(len, connects.values())) + len(dials)
            connects.clear()
            dials.clear()
        if not is_member(r.agent) or r.event not in CALL_EVENTS:
            continue
        key = (r.callid, r.agent)
        if r.event in RING_EVENTS:
            ring = (r.number(0) or 0) // 1000
            identity = (r.callid, r.queue, r.agent, r.time, r.event)
            seen[identity] += 1
            start = r.time - min(ring, r.time)
            add(LogEvent(event_id("missed", *identity, seen[identity]), "call", "in", r.queue,
                         r.agent, start, r.time), r.line)
            if start < r.time:
                add(LogEvent(event_id("ringing", *identity, seen[identity]), "userstate",
                             "ringing", r.queue, r.agent, start, r.time), r.line)
        elif r.event == "CONNECT":
            for other, pending in connects.items():
                if other[1] == r.agent and pending:
                    calls.lost += len(pending)
                    pending.clear()
            connects[key].append(r)
        elif r.event == "OUTDIAL":
            dials[key] = r
        elif r.event in END_EVENTS:
            if connects[key]:
                _answered(r, connects[key].pop(0), add)
            elif key not in ended:  # not a repeated end line of a call already ended
                _answered(r, None, add)
            ended.add(key)
        else:
            if key in dials:
                _outbound(r, dials.pop(key), add)
            elif key not in ended:
                _outbound(r, None, add)
            ended.add(key)
    for pending in connects.values():
        calls.open.extend(OpenItem(c.agent, c.time - (c.number(2) or 0)) for c in pending)
    calls.open.extend(OpenItem(d.agent, d.time) for d in dials.values())
    return calls


def _answered(end: Record, connect: Record | None, add: _Add) -> None:
    calltime = _calltime(end)
    if connect is not None:
        answer = connect.time
        ring = connect.number(2) or 0  # CONNECT's ring time: seconds, since Asterisk 1.6
        stop = answer + calltime if calltime is not None else max(end.time, answer)
        queue = connect.queue
    else:
        stop, ring, queue = end.time, 0, end.queue
        answer = stop - min(calltime or 0, stop)
    start = answer - min(ring, answer)
    identity = (end.callid, queue, end.agent, answer)
    add(LogEvent(event_id("in", *identity), "call", "in", queue, end.agent, start, stop,
                 answer), end.line)
    if start < answer:
        add(LogEvent(event_id("in-ringing", *identity), "userstate", "ringing", queue,
                     end.agent, start, answer), end.line)
    add(LogEvent(event_id("in-call", *identity), "userstate", "call", queue, end.agent,
                 answer, stop), end.line)


def _outbound(end: Record, dial: Record | None, add: _Add) -> None:
    ring, talk = end.number(2) or 0, end.number(3) or 0
    stop = end.time
    start = dial.time if dial is not None else stop - min(ring + talk, stop)
    answer = max(stop - talk, start) if end.event in OUT_ANSWERED else None
    identity = (end.callid, end.agent, start)
    add(LogEvent(event_id("out", *identity), "call", "out", end.queue, end.agent, start, stop,
                 answer), end.line)
    add(LogEvent(event_id("out-call", *identity), "userstate", "call", end.queue, end.agent,
                 start, stop), end.line)

