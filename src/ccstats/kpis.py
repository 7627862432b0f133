"""The KPIs of `GET /v2/statistics/kpis` (queues-and-kpis.md §3) as data.

A KPI is a ratio of two exact integers computed from the base fields of one
source's grouping: its numerator and its denominator are each a linear
combination, with integer coefficients, of fields' counts and sums (a field
absent from a record counts as 0). Returning both, not only their ratio, lets a
client roll records up by adding numerators and denominators.

Every term is checked at import against its source's catalog (the userbased
`ccstats.catalog` or the inbound `ccstats.inbound` fields): the field exists and
shows the measure the term reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ccstats import catalog, inbound
from ccstats.field import Field


class Source(StrEnum):
    """The statistics resource whose fields a KPI is computed from."""

    USERBASED = "userbased"
    INBOUND = "inbound"


class Unit(StrEnum):
    SECONDS = "seconds"
    RATIO = "ratio"
    """A fraction (0.8125, not 81.25)."""


class Measure(StrEnum):
    """Which value of a field a term reads."""

    COUNT = "count"
    SUM = "sum"


@dataclass(frozen=True, slots=True)
class Term:
    """``coefficient * field.measure``."""

    field: str
    measure: Measure
    coefficient: int = 1

    def text(self) -> str:
        """The term without its sign, e.g. ``offered.count`` or ``2 * answered.sum``."""
        scale = abs(self.coefficient)
        return f"{self.field}.{self.measure}" if scale == 1 \
            else f"{scale} * {self.field}.{self.measure}"


Linear = tuple[Term, ...]


def formula_text(terms: Linear) -> str:
    """A linear combination as published: ``a.count + b.sum - c.count``."""
    first, *rest = terms
    text = ("-" if first.coefficient < 0 else "") + first.text()
    for term in rest:
        text += (" - " if term.coefficient < 0 else " + ") + term.text()
    return text


@dataclass(frozen=True, slots=True)
class KpiFormula:
    """One KPI: ``numerator / denominator`` over the base fields of `source`."""

    name: str
    description: str
    source: Source
    unit: Unit
    numerator: Linear
    denominator: Linear

    @property
    def terms(self) -> Linear:
        return self.numerator + self.denominator

    def public(self) -> dict[str, str]:
        """The object published by `GET /v2/statistics/kpis/definitions`."""
        return {
            "kpi": self.name,
            "description": self.description,
            "source": str(self.source),
            "numerator": formula_text(self.numerator),
            "denominator": formula_text(self.denominator),
            "unit": str(self.unit),
        }


def _count(field: str, coefficient: int = 1) -> Term:
    return Term(field, Measure.COUNT, coefficient)


def _sum(field: str) -> Term:
    return Term(field, Measure.SUM)


_HANDLING: Linear = (_sum("userstateCall"), _sum("userstateAfterwork"),
                     _sum("userstatePrework"), _sum("userstateRinging"))
_IDLE: Linear = (_sum("userstateAvailable"), _sum("userstateWaitingForCall"),
                 _sum("userstateWaitingForRecall"))
_HANDLED: Linear = (_count("callInAnswered"), _count("callOutReached"))
_DISPOSITIONS: Linear = (_count("dispositionStatusSuccess"), _count("dispositionStatusRecall"),
                         _count("dispositionStatusFailed"), _count("dispositionReachFailed"))

_USERBASED, _INBOUND = Source.USERBASED, Source.INBOUND
_SECONDS, _RATIO = Unit.SECONDS, Unit.RATIO

FORMULAS: tuple[KpiFormula, ...] = (
    KpiFormula("aht", "Average handle time: talk time of answered inbound and reached "
               "outbound calls plus after-call work, per call handled.", _USERBASED, _SECONDS,
               (_sum("callInAnswered"), _sum("callOutReached"), _sum("userstateAfterwork")),
               _HANDLED),
    KpiFormula("avgTalkIn", "Average talk time of answered inbound calls.", _USERBASED,
               _SECONDS, (_sum("callInAnswered"),), (_count("callInAnswered"),)),
    KpiFormula("avgTalkOut", "Average talk time of reached outbound calls.", _USERBASED,
               _SECONDS, (_sum("callOutReached"),), (_count("callOutReached"),)),
    KpiFormula("avgAfterwork", "Average after-call work per call handled.", _USERBASED,
               _SECONDS, (_sum("userstateAfterwork"),), _HANDLED),
    KpiFormula("occupancy", "Share of the ready time spent handling calls (call, after-call "
               "work, pre-call work, ringing) rather than idle.", _USERBASED, _RATIO,
               _HANDLING, _HANDLING + _IDLE),
    KpiFormula("utilisation", "Share of the logged-in time, breaks and unavailability "
               "included, spent handling calls.", _USERBASED, _RATIO, _HANDLING,
               _HANDLING + _IDLE + (_sum("userstateBreak"), _sum("userstateUnavailable"))),
    KpiFormula("callInAnswerRate", "Share of the inbound calls offered to agents that they "
               "answered.", _USERBASED, _RATIO, (_count("callInAnswered"),),
               (_count("callInAnswered"), _count("callInMissed"))),
    KpiFormula("callOutReachRate", "Share of the outbound call attempts that reached the "
               "called party.", _USERBASED, _RATIO, (_count("callOutReached"),),
               (_count("callOutAttempt"),)),
    KpiFormula("dispositionSuccessRate", "Share of the dispositions whose status is success.",
               _USERBASED, _RATIO, (_count("dispositionStatusSuccess"),), _DISPOSITIONS),
    KpiFormula("serviceLevel", "Share of the closed queue calls answered within manual_sla "
               "seconds.", _INBOUND, _RATIO, (_count("answeredWithinSla"),),
               (_count("offered"),)),
    KpiFormula("serviceLevelExShortAbandons", "Share of the closed queue calls answered "
               "within manual_sla seconds, calls abandoned within manual_sla seconds not "
               "counted.", _INBOUND, _RATIO, (_count("answeredWithinSla"),),
               (_count("offered"), _count("abandonedWithinSla", -1))),
    KpiFormula("asa", "Average speed of answer: the wait of answered queue calls.", _INBOUND,
               _SECONDS, (_sum("answerWait"),), (_count("answerWait"),)),
    KpiFormula("abandonmentRate", "Share of the closed queue calls that ended without an "
               "answer.", _INBOUND, _RATIO, (_count("abandoned"),), (_count("offered"),)),
    KpiFormula("avgAbandonWait", "Average wait of the queue calls that ended without an "
               "answer.", _INBOUND, _SECONDS, (_sum("abandoned"),), (_count("abandoned"),)),
    KpiFormula("avgTalk", "Average talk time of answered queue calls.", _INBOUND, _SECONDS,
               (_sum("answered"),), (_count("answered"),)),
)
"""In the order of the definitions."""

BY_NAME: dict[str, KpiFormula] = {formula.name: formula for formula in FORMULAS}


def lookup(name: str) -> KpiFormula | None:
    """The KPI called `name` (case-sensitive, as in the API), or None."""
    return BY_NAME.get(name)


def fields_of(source: Source) -> tuple[Field, ...]:
    """The catalog of `source`'s fields, in its order."""
    return catalog.CATALOG if source is Source.USERBASED else inbound.INBOUND_FIELDS


def definitions() -> list[dict[str, str]]:
    """The response of `GET /v2/statistics/kpis/definitions`."""
    return [formula.public() for formula in FORMULAS]


def base_fields(kpis: Sequence[KpiFormula]) -> tuple[Field, ...]:
    """The fields whose values `kpis` (all of one source) read, in their catalog's order.

    A KPI query's cells are these fields' cells: a cell's ``position`` indexes this tuple.
    """
    sources = {formula.source for formula in kpis}
    if len(sources) != 1:
        raise ValueError(f"KPIs of exactly one source are needed, not {sorted(sources)}")
    read = {term.field for formula in kpis for term in formula.terms}
    return tuple(found for found in fields_of(sources.pop()) if found.name in read)


def _problems(formula: KpiFormula) -> list[str]:
    """What is wrong with `formula`'s terms, against its source's catalog."""
    fields = {found.name: found for found in fields_of(formula.source)}
    problems = [f"{formula.name}: an empty {side}"
                for side, terms in (("numerator", formula.numerator),
                                    ("denominator", formula.denominator)) if not terms]
    for term in formula.terms:
        found = fields.get(term.field)
        shown = found is not None and (found.has_count if term.measure is Measure.COUNT
                                       else found.has_sum)
        if not shown or term.coefficient == 0:
            problems.append(f"{formula.name}: {term} names no {term.measure} of a "
                            f"{formula.source} field")
    return problems


def _check(formulas: Sequence[KpiFormula]) -> None:
    problems = [problem for formula in formulas for problem in _problems(formula)]
    if len({formula.name for formula in formulas}) != len(formulas):
        problems.append("two KPIs share a name")
    if problems:
        raise ValueError("; ".join(problems))


_check(FORMULAS)
