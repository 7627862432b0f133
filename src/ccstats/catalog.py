"""The KPI catalog (events-and-kpis.md §3) as data.

Every KPI is declared once here. Ingestion derives its contribution rules from
these declarations, the query validator checks `fields` against them, the
`/v2/statistics/fields` resource publishes them, and the docs list them.

A KPI selects events by type, an optional sub-type (the `state`, `direction`,
`status` or `action` member) and an optional answered/unanswered condition, and
takes one *span* of the event:

- ``start_end``: the interval ``[start, end)``;
- ``answer_end``: the talk interval ``[answer, end)`` of an answered call;
- ``point``: the instant ``time`` (stored as a zero-length span).

An interval KPI with a sum splits its seconds over every quarter-hour it
overlaps and counts once, at its first instant. A KPI without a sum (count only)
counts once at its first instant and contributes nothing elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ccstats.field import Described


class Span(StrEnum):
    """Which part of an event a KPI measures."""

    START_END = "start_end"
    ANSWER_END = "answer_end"
    POINT = "point"


@dataclass(frozen=True, slots=True)
class Kpi(Described):
    """One field of the statistics answer."""

    field_id: int
    name: str
    description: str
    event_type: str
    subtype: str | None
    answered: bool | None
    span: Span
    count_meaning: str | None
    sum_meaning: str | None
    unit: str | None


def _userstate(field_id: int, name: str, state: str, what: str, counted: bool = True) -> Kpi:
    return Kpi(
        field_id=field_id,
        name=name,
        description=f"Time the agent spent in the {what} state.",
        event_type="userstate",
        subtype=state,
        answered=None,
        span=Span.START_END,
        count_meaning=f"times the {what} state was entered" if counted else None,
        sum_meaning=f"seconds in the {what} state",
        unit="seconds",
    )


def _point(field_id: int, name: str, event_type: str, subtype: str, description: str,
           counted: str) -> Kpi:
    return Kpi(
        field_id=field_id,
        name=name,
        description=description,
        event_type=event_type,
        subtype=subtype,
        answered=None,
        span=Span.POINT,
        count_meaning=counted,
        sum_meaning=None,
        unit=None,
    )


CATALOG: tuple[Kpi, ...] = (
    _userstate(1, "userstateAvailable", "available", "available"),
    _userstate(2, "userstateCall", "call", "call", counted=False),
    _userstate(3, "userstateAfterwork", "afterwork", "after-call work"),
    _userstate(4, "userstatePrework", "prework", "pre-call work"),
    _userstate(5, "userstateRinging", "ringing", "ringing"),
    _userstate(6, "userstateWaitingForCall", "waitingForCall", "waiting for call"),
    _userstate(7, "userstateWaitingForRecall", "waitingForRecall", "waiting for recall"),
    _userstate(8, "userstateBreak", "break", "break"),
    _userstate(9, "userstateUnavailable", "unavailable", "unavailable"),
    Kpi(10, "callOut", "Duration of outbound calls, from dialling to hang-up.",
        "call", "out", None, Span.START_END, None, "seconds from start to end", "seconds"),
    Kpi(11, "callIn", "Duration of inbound calls, from arrival to hang-up.",
        "call", "in", None, Span.START_END, None, "seconds from start to end", "seconds"),
    Kpi(12, "callOutAttempt", "Outbound call attempts, answered or not.",
        "call", "out", None, Span.START_END, "outbound calls", None, None),
    Kpi(13, "callOutReached", "Outbound calls answered by the called party, and their talk time.",
        "call", "out", True, Span.ANSWER_END, "answered outbound calls",
        "talk seconds from answer to end", "seconds"),
    Kpi(14, "callInAnswered", "Inbound calls answered by the agent, and their talk time.",
        "call", "in", True, Span.ANSWER_END, "answered inbound calls",
        "talk seconds from answer to end", "seconds"),
    Kpi(15, "callInMissed", "Inbound calls offered to the agent and not answered.",
        "call", "in", False, Span.START_END, "missed inbound calls",
        "ringing seconds from start to end", "seconds"),
    _point(16, "dispositionStatusSuccess", "disposition", "success",
           "Calls the agent closed with the disposition status success.", "dispositions"),
    _point(17, "dispositionStatusRecall", "disposition", "recall",
           "Calls the agent closed with a callback scheduled (status recall).", "dispositions"),
    _point(18, "dispositionStatusFailed", "disposition", "failed",
           "Calls the agent closed with the disposition status failed.", "dispositions"),
    _point(19, "dispositionReachFailed", "disposition", "reachFailed",
           "Calls the agent closed because the contact could not be reached.", "dispositions"),
    _point(20, "emailByAgentSent", "email", "sent", "E-mails sent by the agent.", "e-mails"),
    _point(21, "emailReceived", "email", "received", "E-mails received by the agent.", "e-mails"),
    _point(22, "ticketCreated", "ticket", "created", "Tickets created by the agent.", "tickets"),
    _point(23, "ticketClosed", "ticket", "closed", "Tickets closed by the agent.", "tickets"),
    Kpi(24, "chatHandled", "Chats handled by the agent, and their duration.",
        "chat", None, None, Span.START_END, "chats", "seconds from start to end", "seconds"),
)

BY_NAME: dict[str, Kpi] = {kpi.name: kpi for kpi in CATALOG}
BY_ID: dict[int, Kpi] = {kpi.field_id: kpi for kpi in CATALOG}


def lookup(name: str) -> Kpi | None:
    """The KPI called `name` (case-sensitive, as in the API), or None."""
    return BY_NAME.get(name)
