"""The KPI formulas and the inbound fields against the tables of queues-and-kpis.md."""

from __future__ import annotations

import pytest

from ccstats import catalog, inbound, kpis
from ccstats.field import Field
from ccstats.pipeline.resource import INBOUND, USERBASED

#: queues-and-kpis.md §3, row by row as printed: kpi, source, numerator, denominator, unit.
SPEC_KPIS = (
    ("aht", "userbased", "callInAnswered.sum + callOutReached.sum + userstateAfterwork.sum",
     "N", "seconds"),
    ("avgTalkIn", "userbased", "callInAnswered.sum", "callInAnswered.count", "seconds"),
    ("avgTalkOut", "userbased", "callOutReached.sum", "callOutReached.count", "seconds"),
    ("avgAfterwork", "userbased", "userstateAfterwork.sum", "N", "seconds"),
    ("occupancy", "userbased", "H", "H + I", "ratio"),
    ("utilisation", "userbased", "H",
     "H + I + userstateBreak.sum + userstateUnavailable.sum", "ratio"),
    ("callInAnswerRate", "userbased", "callInAnswered.count",
     "callInAnswered.count + callInMissed.count", "ratio"),
    ("callOutReachRate", "userbased", "callOutReached.count", "callOutAttempt.count", "ratio"),
    ("dispositionSuccessRate", "userbased", "dispositionStatusSuccess.count",
     "sum of the four `disposition*` counts", "ratio"),
    ("serviceLevel", "inbound", "answeredWithinSla.count", "offered.count", "ratio"),
    ("serviceLevelExShortAbandons", "inbound", "answeredWithinSla.count",
     "offered.count \N{MINUS SIGN} abandonedWithinSla.count", "ratio"),
    ("asa", "inbound", "answerWait.sum", "answerWait.count", "seconds"),
    ("abandonmentRate", "inbound", "abandoned.count", "offered.count", "ratio"),
    ("avgAbandonWait", "inbound", "abandoned.sum", "abandoned.count", "seconds"),
    ("avgTalk", "inbound", "answered.sum", "answered.count", "seconds"),
)

#: The page's notation, and its one formula in words.
SPEC_NOTATION = {
    "H": "userstateCall.sum + userstateAfterwork.sum + userstatePrework.sum + "
         "userstateRinging.sum",
    "I": "userstateAvailable.sum + userstateWaitingForCall.sum + userstateWaitingForRecall.sum",
    "N": "callInAnswered.count + callOutReached.count",
    "sum of the four `disposition*` counts":
        "dispositionStatusSuccess.count + dispositionStatusRecall.count + "
        "dispositionStatusFailed.count + dispositionReachFailed.count",
}


def expanded(text: str) -> str:
    """A formula of the table with its notation written out (published ASCII minus)."""
    terms = text.split(" + ")
    return " + ".join(SPEC_NOTATION.get(term, term) for term in terms) \
        .replace(" \N{MINUS SIGN} ", " - ")


def test_definitions_publish_every_formula_of_the_spec_in_its_order() -> None:
    published = kpis.definitions()
    assert [d["kpi"] for d in published] == [row[0] for row in SPEC_KPIS]
    for found, (name, source, numerator, denominator, unit) in zip(published, SPEC_KPIS,
                                                                   strict=True):
        assert set(found) == {"kpi", "description", "source", "numerator", "denominator",
                              "unit"}
        assert (found["source"], found["unit"]) == (source, unit), name
        assert found["numerator"] == expanded(numerator), name
        assert found["denominator"] == expanded(denominator), name
        assert found["description"].endswith("."), name


def test_every_term_reads_a_measure_its_source_field_shows() -> None:
    fields: dict[str, dict[str, Field]] = {"userbased": dict(catalog.BY_NAME),
                                           "inbound": dict(inbound.BY_NAME)}
    for formula in kpis.FORMULAS:
        for term in formula.terms:
            field = fields[formula.source][term.field]
            assert field.has_count if term.measure == "count" else field.has_sum


def test_a_formula_naming_an_unknown_field_or_a_null_measure_is_refused() -> None:
    wrong = (
        kpis.KpiFormula("x", "x.", kpis.Source.INBOUND, kpis.Unit.RATIO,
                        (kpis.Term("callInAnswered", kpis.Measure.COUNT),),
                        (kpis.Term("offered", kpis.Measure.COUNT),)),
        kpis.KpiFormula("y", "y.", kpis.Source.INBOUND, kpis.Unit.RATIO,
                        (kpis.Term("answeredWithinSla", kpis.Measure.SUM),),
                        (kpis.Term("offered", kpis.Measure.COUNT),)),
    )
    for formula in wrong:
        with pytest.raises(ValueError, match=formula.name):
            kpis._check([formula])


def test_base_fields_are_the_fields_read_in_catalog_order() -> None:
    wanted = [kpis.BY_NAME["asa"], kpis.BY_NAME["serviceLevelExShortAbandons"]]
    assert [f.name for f in kpis.base_fields(wanted)] == [
        "offered", "answeredWithinSla", "abandonedWithinSla", "answerWait"]
    assert [f.name for f in kpis.base_fields([kpis.BY_NAME["avgAfterwork"]])] == [
        "userstateAfterwork", "callOutReached", "callInAnswered"]
    with pytest.raises(ValueError, match="one source"):
        kpis.base_fields([kpis.BY_NAME["asa"], kpis.BY_NAME["aht"]])


#: queues-and-kpis.md §2: field, whether it has a count, whether it has a sum.
SPEC_INBOUND_FIELDS = (
    ("offered", True, True),
    ("answered", True, True),
    ("abandoned", True, True),
    ("answeredWithinSla", True, False),
    ("abandonedWithinSla", True, False),
    ("answerWait", True, True),
)


def test_inbound_fields_publish_the_spec_table() -> None:
    published = [found.public() for found in INBOUND.fields]
    assert [(p["field"], p["count"] is not None, p["sum"] is not None)
            for p in published] == list(SPEC_INBOUND_FIELDS)
    for found, public in zip(INBOUND.fields, published, strict=True):
        assert set(public) == {"field", "description", "count", "sum", "unit"}
        assert (public["unit"] is None) == (public["sum"] is None)
        assert (found.has_count, found.has_sum) == (public["count"] is not None,
                                                    public["sum"] is not None)
    ids = [found.field_id for found in (*USERBASED.fields, *INBOUND.fields)]
    assert len(set(ids)) == len(ids), "a field id names two fields"
    assert inbound.lookup("offered") is inbound.INBOUND_FIELDS[0]
    assert inbound.lookup("callIn") is None


def test_inbound_resource_groups_by_queue() -> None:
    assert [(d.name, d.key, d.column) for d in INBOUND.dimensions] == [
        ("date", "date", "day"), ("time", "time", "minute"),
        ("project", "projectId", "project_id"), ("queue", "queueId", "queue_id")]
    assert INBOUND.id_columns == (("projects", "project_id"), ("queues", "queue_id"))
    assert [d.key for d in INBOUND.ordered(("queue", "date"))] == ["date", "queueId"]
