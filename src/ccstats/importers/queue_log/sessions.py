"""Login sessions, pauses, and the available time of a member between calls.

- Logins: ``AGENTLOGIN`` … ``AGENTLOGOFF``, ``AGENTCALLBACKLOGIN`` …
  ``AGENTCALLBACKLOGOFF`` (per agent) and ``ADDMEMBER`` … ``REMOVEMEMBER`` (per
  queue and member). A logoff whose login is not in the log starts at logoff -
  its logged-in seconds (second data field). Overlapping logins of one user are
  one session (a user is logged in while any of them is).
- Pauses: ``PAUSE`` … ``UNPAUSE`` (per queue and member), ``PAUSEALL`` …
  ``UNPAUSEALL``; overlapping pauses of one user are one ``break``, whether or not
  the user is logged in (static queue members pause without logging in).
- ``available``: the session minus the user's ringing, calls and breaks.

Something still open at the end of the log (a session without its logoff, a pause
without its unpause) is not imported until it has ended, nor is the available
time of a session while a call, ring or pause inside it is still open: so an
interval is stored once with its final length. Intervals are cut at UTC
midnights (no event may be longer than a day); their ids derive from the member
that opened them and the start of the piece.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ccstats.importers.queue_log.calls import OpenItem, is_member
from ccstats.importers.queue_log.log_events import DAY, LogEvent, day_pieces, event_id
from ccstats.importers.queue_log.records import NO_NAME, Record

LOGINS = {"AGENTLOGIN": "AGENTLOGOFF", "AGENTCALLBACKLOGIN": "AGENTCALLBACKLOGOFF",
          "ADDMEMBER": "REMOVEMEMBER"}
LOGOFFS = {logoff: login for login, logoff in LOGINS.items()}
PAUSE_EVENTS = frozenset({"PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL"})
SESSION_EVENTS = frozenset(LOGINS) | frozenset(LOGOFFS) | PAUSE_EVENTS

_ALL_QUEUES = "\x00all"


@dataclass(frozen=True, slots=True)
class Span:
    """One login or pause: the member and queue of its opening line; `end` None while open."""

    member: str
    queue: str
    start: int
    end: int | None


@dataclass(slots=True)
class Merged:
    """Overlapping spans of one user."""

    start: int
    end: int | None
    spans: list[Span]

    def queue(self) -> str:
        """The first real queue of its spans, else ``NONE``."""
        return next((s.queue for s in self.spans if s.queue not in ("", NO_NAME)), NO_NAME)


@dataclass(slots=True)
class States:
    events: list[LogEvent] = field(default_factory=list)
    open_sessions: int = 0
    open_pauses: int = 0


def login_spans(records: Iterable[Record]) -> list[Span]:
    spans: list[Span] = []
    opened: dict[tuple[str, str, str], Record] = {}
    for r in records:
        if not is_member(r.agent):
            continue
        if r.event in LOGINS:
            opened.setdefault((r.event, r.queue if r.event == "ADDMEMBER" else "", r.agent), r)
        elif r.event in LOGOFFS:
            login = LOGOFFS[r.event]
            opener = opened.pop((login, r.queue if login == "ADDMEMBER" else "", r.agent), None)
            if opener is not None:
                spans.append(Span(opener.agent, opener.queue, opener.time, max(r.time,
                                                                               opener.time)))
            elif (logged_in := r.number(1)) is not None and r.event != "REMOVEMEMBER":
                spans.append(Span(r.agent, r.queue, r.time - min(logged_in, r.time), r.time))
    spans.extend(Span(o.agent, o.queue, o.time, None) for o in opened.values())
    return spans


def pause_spans(records: Iterable[Record]) -> list[Span]:
    spans: list[Span] = []
    opened: dict[tuple[str, str], Record] = {}
    for r in records:
        if not is_member(r.agent) or r.event not in PAUSE_EVENTS:
            continue
        if r.event in ("PAUSE", "PAUSEALL"):
            opened.setdefault((_ALL_QUEUES if r.event == "PAUSEALL" else r.queue, r.agent), r)
        else:
            keys = [k for k in opened if k[1] == r.agent] if r.event == "UNPAUSEALL" \
                else [(r.queue, r.agent)]
            for key in keys:
                if (opener := opened.pop(key, None)) is not None:
                    spans.append(Span(opener.agent, opener.queue, opener.time,
                                      max(r.time, opener.time)))
    spans.extend(Span(o.agent, o.queue, o.time, None) for o in opened.values())
    return spans


def merge(spans: Iterable[Span], user_of: Callable[[str], int]) -> dict[int, list[Merged]]:
    """The spans of each user, overlapping (or touching) ones merged, in time order."""
    by_user: dict[int, list[Span]] = {}
    for span in spans:
        by_user.setdefault(user_of(span.member), []).append(span)
    result: dict[int, list[Merged]] = {}
    for user, found in by_user.items():
        merged: list[Merged] = []
        for span in sorted(found, key=lambda s: (s.start, s.end is None, s.end or 0)):
            last = merged[-1] if merged else None
            if last is not None and (last.end is None or span.start <= last.end):
                last.end = None if span.end is None or last.end is None \
                    else max(last.end, span.end)
                last.spans.append(span)
            else:
                merged.append(Merged(span.start, span.end, [span]))
        result[user] = merged
    return result


def _subtract(start: int, end: int, busy: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """[start, end) minus the intervals `busy` (sorted by start, none longer than a day)."""
    free, cursor = [], start
    for b_start, b_end in busy[bisect.bisect_left(busy, (start - DAY, 0)):]:
        if b_start >= end:
            break
        if b_end <= cursor:
            continue
        if b_start > cursor:
            free.append((cursor, b_start))
        cursor = max(cursor, b_end)
    if cursor < end:
        free.append((cursor, end))
    return free


def user_states(records: Sequence[Record], call_events: Sequence[LogEvent],
                open_calls: Sequence[OpenItem], user_of: Callable[[str], int]) -> States:
    """``break`` and ``available`` intervals of every user (see the module docstring)."""
    states = States()
    sessions = merge(login_spans(records), user_of)
    pauses = merge(pause_spans(records), user_of)
    busy: dict[int, list[tuple[int, int]]] = {}
    still_open: dict[int, list[int]] = {}
    for event in call_events:
        if event.type == "userstate":
            busy.setdefault(user_of(event.member), []).append((event.start, event.end))
    for item in open_calls:
        still_open.setdefault(user_of(item.member), []).append(item.since)
    for user, breaks in pauses.items():
        for pause in breaks:
            if pause.end is None:
                states.open_pauses += 1
                still_open.setdefault(user, []).append(pause.start)
                continue
            busy.setdefault(user, []).extend(day_pieces(pause.start, pause.end))
            opener = pause.spans[0]
            queue = pause.queue()
            if queue == NO_NAME:
                queue = next((s.queue() for s in sessions.get(user, [])
                              if s.start <= pause.start and (s.end is None
                                                             or pause.start < s.end)),
                             NO_NAME)
            states.events.extend(
                LogEvent(event_id("break", opener.member, piece_start), "userstate", "break",
                         queue, opener.member, piece_start, piece_end)
                for piece_start, piece_end in day_pieces(pause.start, pause.end))
    for user, found in sessions.items():
        taken = sorted(busy.get(user, []))
        for session in found:
            end = session.end
            if end is None or any(since < end for since in still_open.get(user, [])):
                states.open_sessions += 1
                continue
            opener = session.spans[0]
            states.events.extend(
                LogEvent(event_id("available", opener.member, piece_start), "userstate",
                         "available", session.queue(), opener.member, piece_start, piece_end)
                for free_start, free_end in _subtract(session.start, end, taken)
                for piece_start, piece_end in day_pieces(free_start, free_end))
    return states
