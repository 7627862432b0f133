"""The inbound statistics' fields (queues-and-kpis.md §2) as data.

A closed queue call counts whole in the bucket of its ``start``, never split. Its
*wait* runs from ``start`` to ``answer`` for an answered call and from ``start``
to ``end`` for one that was not answered; its *talk* from ``answer`` to ``end``.
The SLA fields compare the wait with the request's ``manual_sla``: they have a
count and no sum.

Their ids continue after the userbased catalog's range, so that a field id never
names two fields, whichever table a store keeps them in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ccstats.field import Described


class Seconds(StrEnum):
    """Which seconds of a queue call a field's sum adds."""

    DURATION = "duration"
    """From ``start`` to ``end``: the wait and, for an answered call, the talk."""
    TALK = "talk"
    """From ``answer`` to ``end``."""
    WAIT = "wait"
    """From ``start`` to ``answer`` (answered) or to ``end`` (not answered)."""


@dataclass(frozen=True, slots=True)
class InboundField(Described):
    """One field of the inbound answer (satisfies `ccstats.field.Field`)."""

    field_id: int
    name: str
    description: str
    count_meaning: str | None
    sum_meaning: str | None
    unit: str | None
    answered: bool | None
    """The calls it counts: answered ones, ones not answered, or (None) both."""
    within_sla: bool
    """Whether it counts only calls whose wait is at most ``manual_sla`` seconds."""
    seconds: Seconds | None
    """What its sum adds (None: it has no sum)."""


INBOUND_FIELDS: tuple[InboundField, ...] = (
    InboundField(101, "offered", "Closed queue calls, and their time from entering the "
                 "queue to the end.", "closed queue calls", "seconds from start to end",
                 "seconds", None, False, Seconds.DURATION),
    InboundField(102, "answered", "Queue calls answered by an agent, and their talk time.",
                 "answered calls", "talk seconds from answer to end", "seconds",
                 True, False, Seconds.TALK),
    InboundField(103, "abandoned", "Queue calls that ended without an answer, and how long "
                 "the callers waited.", "calls not answered", "wait seconds from start to end",
                 "seconds", False, False, Seconds.WAIT),
    InboundField(104, "answeredWithinSla", "Queue calls answered at most manual_sla seconds "
                 "after entering the queue.", "answered calls that waited at most manual_sla "
                 "seconds", None, None, True, True, None),
    InboundField(105, "abandonedWithinSla", "Queue calls that ended without an answer at most "
                 "manual_sla seconds after entering the queue.", "calls not answered that "
                 "waited at most manual_sla seconds", None, None, False, True, None),
    InboundField(106, "answerWait", "Answered queue calls, and how long the callers waited "
                 "for the answer.", "answered calls", "wait seconds from start to answer",
                 "seconds", True, False, Seconds.WAIT),
)
"""In the field order used when a request names no fields."""

BY_NAME: dict[str, InboundField] = {found.name: found for found in INBOUND_FIELDS}
BY_ID: dict[int, InboundField] = {found.field_id: found for found in INBOUND_FIELDS}


def lookup(name: str) -> InboundField | None:
    """The inbound field called `name` (case-sensitive, as in the API), or None."""
    return BY_NAME.get(name)
