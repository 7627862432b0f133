"""Login sessions, pauses, and the available time of a member between calls.

- Logins: ``AGENTLOGIN`` … ``AGENTLOGOFF``, ``AGENTCALLBACKLOGIN`` …
  ``AGENTCALLBACKLOGOFF`` (per agent) and ``ADDMEMBER`` … ``REMOVEMEMBER`` (per
  queue and member). A logoff whose login is not in the log starts at logoff -
  its logged-in seconds (second data field). Overlapping logins of one user are
  one session (a user is logged in while any of them is).
- Pauses: ``PAUSE`` … ``UNPAUSE`` (per queue and member), ``PAUSEALL`` …
  ``UNPAUSEALL``; overlapping pauses of one user are one ``break``, whether or not
  the user is logged in (static queue members pause without logging in). A pause
  also ends when its member leaves: ``REMOVEMEMBER`` ends its pause in that queue,
  and a logoff after which the member has no login left ends all its pauses.
- ``available``: the session minus the user's ringing, calls and breaks.

Something still open at the end of the log (a session without its logoff, a pause
without its unpause) is not among the events until it has ended, nor is the
available time of a session while a call, ring or pause inside it is still open:
so an interval is stored once with its final length. Intervals are cut at UTC
midnights (no event may be longer than a day); their ids derive from the member
that opened them and the start of the piece.

What goes on at the end of the log has an open version (`States.live`, ``end``
None) under the id of the first piece it will have once ended: a pause still open
is a ``break`` from its start; a session still open, while none of the user's
calls and pauses is, is ``available`` since the end of the last of them (or the
login). Only the open time is in it: the earlier available time of that session
waits for its logoff, as above.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ccstats.events import MAX_EPOCH
from ccstats.importers.queue_log.calls import OpenItem, is_member
from ccstats.importers.queue_log.log_events import DAY, LogEvent, day_pieces, event_id
from ccstats.importers.queue_log.records import NO_NAME, Record

LOGINS = {"AGENTLOGIN": "AGENTLOGOFF", "AGENTCALLBACKLOGIN": "AGENTCALLBACKLOGOFF",
          "ADDMEMBER": "REMOVEMEMBER"}
LOGOFFS = {logoff: login for login, logoff in LOGINS.items()}
SESSION_EVENTS = frozenset(LOGINS) | frozenset(LOGOFFS) | {
    "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL"}

_ALL_QUEUES = "\x00all"
#: The end given to a session still going on, to subtract the user's busy time from it.
_GOING_ON = MAX_EPOCH


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
    #: The open versions (``end`` None) of the breaks and the available time going on.
    live: list[LogEvent] = field(default_factory=list)
    open_sessions: int = 0
    open_pauses: int = 0


def _login_key(r: Record) -> tuple[str, str, str]:
    """What a login or logoff line opens or closes: its kind of login, the queue of an
    ``ADDMEMBER``, the member."""
    login = LOGOFFS.get(r.event, r.event)
    return login, r.queue if login == "ADDMEMBER" else "", r.agent


def login_spans(records: Iterable[Record]) -> list[Span]:
    spans: list[Span] = []
    opened: dict[tuple[str, str, str], Record] = {}
    for r in records:
        if not is_member(r.agent):
            continue
        if r.event in LOGINS:
            opened.setdefault(_login_key(r), r)
        elif r.event in LOGOFFS:
            opener = opened.pop(_login_key(r), None)
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
    logins: dict[str, set[tuple[str, str, str]]] = {}
    for r in records:
        if not is_member(r.agent) or r.event not in SESSION_EVENTS:
            continue
        if r.event in ("PAUSE", "PAUSEALL"):
            opened.setdefault((_ALL_QUEUES if r.event == "PAUSEALL" else r.queue, r.agent), r)
        for key in _pauses_ended(r, [k for k in opened if k[1] == r.agent], logins):
            opener = opened.pop(key)
            spans.append(Span(opener.agent, opener.queue, opener.time, max(r.time, opener.time)))
    spans.extend(Span(o.agent, o.queue, o.time, None) for o in opened.values())
    return spans


def _pauses_ended(r: Record, paused: list[tuple[str, str]],
                  logins: dict[str, set[tuple[str, str, str]]]) -> list[tuple[str, str]]:
    """Which of the open pauses `paused` of its member line `r` ends; `logins` are the
    logins open of each member, kept up to date here."""
    member_logins = logins.setdefault(r.agent, set())
    if r.event in LOGINS:
        member_logins.add(_login_key(r))
    elif r.event in LOGOFFS:
        member_logins.discard(_login_key(r))
        if not member_logins:  # logged out of everything
            return paused
    if r.event == "UNPAUSEALL":
        return paused
    if r.event in ("UNPAUSE", "REMOVEMEMBER"):
        return [key for key in paused if key[0] == r.queue]
    return []


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
    busy: dict[int, list[tuple[int, int]]] = {}
    still_open: dict[int, list[int]] = {}
    for event in call_events:
        if event.type == "userstate" and event.end is not None:
            busy.setdefault(user_of(event.member), []).append((event.start, event.end))
    for item in open_calls:
        still_open.setdefault(user_of(item.member), []).append(item.since)
    for user, breaks in merge(pause_spans(records), user_of).items():
        for pause in breaks:
            if pause.end is None:
                states.open_pauses += 1
                still_open.setdefault(user, []).append(pause.start)
                states.live.extend(_break(pause, sessions.get(user, [])))
            else:
                busy.setdefault(user, []).extend(day_pieces(pause.start, pause.end))
                states.events.extend(_break(pause, sessions.get(user, [])))
    for user, found in sessions.items():
        taken = sorted(busy.get(user, []))
        since = still_open.get(user, [])
        for session in found:
            if session.end is not None and all(s >= session.end for s in since):
                states.events.extend(_available(session, session.end, taken))
                continue
            states.open_sessions += 1
            if session.end is None and not since:
                states.live.extend(e for e in _available(session, None, taken)
                                   if e.end is None)
    return states


def _break(pause: Merged, sessions: Sequence[Merged]) -> list[LogEvent]:
    """A pause of a user whose login sessions are `sessions`: ``break`` pieces, or one
    ``break`` from its start with ``end`` None while it goes on."""
    opener = pause.spans[0]
    queue = pause.queue()
    if queue == NO_NAME:
        queue = next((s.queue() for s in sessions
                      if s.start <= pause.start and (s.end is None or pause.start < s.end)),
                     NO_NAME)
    pieces: Sequence[tuple[int, int | None]] = [(pause.start, None)] if pause.end is None \
        else day_pieces(pause.start, pause.end)
    return [LogEvent(event_id("break", opener.member, start), "userstate", "break", queue,
                     opener.member, start, end) for start, end in pieces]


def _available(session: Merged, end: int | None, taken: Sequence[tuple[int, int]]
               ) -> list[LogEvent]:
    """The ``available`` time of a session until `end` (None: it goes on, and so does
    its last free time), minus the intervals `taken` (sorted)."""
    opener = session.spans[0]
    pieces: list[tuple[int, int | None]] = []
    for free_start, free_end in _subtract(session.start, _GOING_ON if end is None else end,
                                           taken):
        if free_end == _GOING_ON:
            pieces.append((free_start, None))
        else:
            pieces.extend(day_pieces(free_start, free_end))
    return [LogEvent(event_id("available", opener.member, start), "userstate", "available",
                     session.queue(), opener.member, start, stop) for start, stop in pieces]
