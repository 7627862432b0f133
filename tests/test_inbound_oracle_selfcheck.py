"""The inbound and KPI oracle alone against hand-computed cases.

Every expected number below was worked out by hand from queues-and-kpis.md (the UTC
instants of DST transitions are noted next to each case), not by running the oracle.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from inbound_oracle import (
    KPIS,
    expected_inbound,
    expected_inbound_csv,
    expected_kpis,
    expected_kpis_csv,
    kpi_value,
)
from oracle import Op, Record, apply_ops


def _qc(
    eid: str,
    start: object,
    answer: object,
    end: object,
    *,
    queue: int = 1,
    project: int = 1,
) -> dict[str, Any]:
    return {
        "id": eid,
        "type": "queuecall",
        "projectId": project,
        "queueId": queue,
        "start": start,
        "answer": answer,
        "end": end,
        "userId": None if answer is None else 7,
    }


def _inbound(
    events: Any,
    zone: str,
    day_from: str,
    day_to: str,
    dimensions: str,
    *,
    interval: int = 60,
    manual_sla: int = 30,
    fields: str | None = None,
    queues: set[int] | None = None,
) -> list[Record]:
    return expected_inbound(
        events,
        zone,
        date.fromisoformat(day_from),
        date.fromisoformat(day_to),
        dimensions.split(","),
        interval,
        None,
        queues,
        manual_sla,
        None if fields is None else fields.split(","),
    )


def _kpis(
    events: Any, dimensions: str, kpis: str, *, manual_sla: int = 30, day: str = "2024-03-01"
) -> list[Record]:
    return expected_kpis(
        events,
        "UTC",
        date.fromisoformat(day),
        date.fromisoformat(day),
        dimensions.split(","),
        60,
        None,
        kpis.split(","),
        manual_sla=manual_sla,
    )


def _values(records: list[Record]) -> list[tuple[Any, ...]]:
    """Records flattened to (dimension values..., field, count, sum)."""
    out: list[tuple[Any, ...]] = []
    for record in records:
        dims = tuple(v for k, v in record.items() if k not in ("data", "level"))
        for entry in record["data"]:
            out.append((*dims, entry["field"], entry["count"], entry["sum"]))
    return out


def _ratios(records: list[Record]) -> list[tuple[Any, ...]]:
    """KPI records flattened to (dimension values..., kpi, value, numerator, denominator)."""
    out: list[tuple[Any, ...]] = []
    for record in records:
        dims = tuple(v for k, v in record.items() if k not in ("kpis", "level"))
        for entry in record["kpis"]:
            out.append((*dims, entry["kpi"], entry["value"], entry["numerator"],
                        entry["denominator"]))
    return out


# Five closed calls in queue 1 on 2024-03-01 (UTC) around the 30 s threshold, and one open.
SLA_CALLS = [
    # waited exactly 30 s: within; talk 120; offered 150
    _qc("a", "2024-03-01T10:00:00Z", "2024-03-01T10:00:30Z", "2024-03-01T10:02:30Z"),
    # waited 31 s: not within; talk 60; offered 91
    _qc("b", "2024-03-01T10:05:00Z", "2024-03-01T10:05:31Z", "2024-03-01T10:06:31Z"),
    # hung up after exactly 30 s: abandoned within
    _qc("c", "2024-03-01T10:10:00Z", None, "2024-03-01T10:10:30Z"),
    # hung up after 60 s
    _qc("d", "2024-03-01T10:20:00Z", None, "2024-03-01T10:21:00Z"),
    # start floors to 10:30:00: waited 20 s, talk 0, offered 20
    _qc("e", "2024-03-01T10:30:00.9Z", "2024-03-01T10:30:20Z", "2024-03-01T10:30:20Z"),
    # still going on: nothing
    _qc("f", "2024-03-01T10:40:00Z", None, None),
]


def test_inbound_fields_and_sla_edges() -> None:
    records = _inbound(SLA_CALLS, "UTC", "2024-03-01", "2024-03-01", "date,queue")
    assert _values(records) == [
        ("2024-03-01", 1, "offered", 5, 150 + 91 + 30 + 60 + 20),
        ("2024-03-01", 1, "answered", 3, 120 + 60 + 0),
        ("2024-03-01", 1, "abandoned", 2, 30 + 60),
        ("2024-03-01", 1, "answeredWithinSla", 2, None),
        ("2024-03-01", 1, "abandonedWithinSla", 1, None),
        ("2024-03-01", 1, "answerWait", 3, 30 + 31 + 20),
    ]
    assert list(records[0]) == ["date", "queueId", "data", "level"]
    assert records[0]["level"] == 1
    # One second more: b is within too; c stays within.
    wide = _inbound(SLA_CALLS, "UTC", "2024-03-01", "2024-03-01", "queue", manual_sla=31,
                    fields="abandonedWithinSla,answeredWithinSla")
    assert _values(wide) == [(1, "abandonedWithinSla", 1, None), (1, "answeredWithinSla", 3, None)]
    # One second less: only e; no abandon is within, so the field is absent.
    narrow = _inbound(SLA_CALLS, "UTC", "2024-03-01", "2024-03-01", "queue", manual_sla=29,
                      fields="answeredWithinSla,abandonedWithinSla")
    assert _values(narrow) == [(1, "answeredWithinSla", 1, None)]
    # No call reached the only requested field: no record at all.
    assert _inbound(SLA_CALLS, "UTC", "2024-03-01", "2024-03-01", "queue", manual_sla=19,
                    fields="answeredWithinSla,abandonedWithinSla") == []


def test_inbound_kpis_at_the_sla_edges() -> None:
    names = ",".join(name for name, kpi in KPIS.items() if kpi.source == "inbound")
    assert _ratios(_kpis(SLA_CALLS, "queue", names)) == [
        (1, "serviceLevel", 0.4, 2, 5),
        (1, "serviceLevelExShortAbandons", 0.5, 2, 4),
        (1, "asa", 27.0, 81, 3),
        (1, "abandonmentRate", 0.4, 2, 5),
        (1, "avgAbandonWait", 45.0, 90, 2),
        (1, "avgTalk", 60.0, 180, 3),
    ]
    narrow = _kpis(SLA_CALLS, "queue", "serviceLevelExShortAbandons,serviceLevel", manual_sla=29)
    assert _ratios(narrow) == [
        (1, "serviceLevelExShortAbandons", 0.2, 1, 5),
        (1, "serviceLevel", 0.2, 1, 5),
    ]


def test_kpi_record_needs_a_base_field_and_null_denominators() -> None:
    calls = [
        _qc("a", "2024-03-01T09:00:00Z", "2024-03-01T09:00:10Z", "2024-03-01T09:01:00Z"),
        _qc("x", "2024-03-01T09:00:00Z", None, "2024-03-01T09:00:05Z", queue=2),
    ]
    # Queue 2 has no answered call: asa has no base field there.
    assert _ratios(_kpis(calls, "queue", "asa")) == [(1, "asa", 10.0, 10, 1)]
    assert _ratios(_kpis(calls, "queue", "asa,abandonmentRate")) == [
        (1, "asa", 10.0, 10, 1),
        (1, "abandonmentRate", 0.0, 0, 1),
        (2, "asa", None, 0, 0),
        (2, "abandonmentRate", 1.0, 1, 1),
    ]
    # Every offered call was a short abandon: the variant's denominator is 0.
    assert _ratios(_kpis(calls[1:], "queue", "serviceLevelExShortAbandons,serviceLevel")) == [
        (2, "serviceLevelExShortAbandons", None, 0, 0),
        (2, "serviceLevel", 0.0, 0, 1),
    ]
    record = _kpis(calls[1:], "project,queue", "avgTalk,abandonmentRate")[0]
    assert json.dumps(record) == (
        '{"projectId": 1, "queueId": 2, "kpis": ['
        '{"kpi": "avgTalk", "value": null, "numerator": 0, "denominator": 0}, '
        '{"kpi": "abandonmentRate", "value": 1.0, "numerator": 1, "denominator": 1}], '
        '"level": 1}'
    )


def test_call_entering_before_midnight_counts_on_its_day() -> None:
    # Budapest in June is +02:00; answered 30 s later, on the next local day.
    call = _qc(
        "m", "2024-06-10T23:59:50+02:00", "2024-06-11T00:00:20+02:00",
        "2024-06-11T00:05:20+02:00",
    )
    zone = "Europe/Budapest"
    both = _inbound([call], zone, "2024-06-10", "2024-06-11", "date,time")
    assert _values(both) == [
        ("2024-06-10", 2300, "offered", 1, 330),
        ("2024-06-10", 2300, "answered", 1, 300),
        ("2024-06-10", 2300, "answeredWithinSla", 1, None),
        ("2024-06-10", 2300, "answerWait", 1, 30),
    ]
    assert _inbound([call], zone, "2024-06-11", "2024-06-11", "date") == []
    assert _values(_inbound([call], zone, "2024-06-10", "2024-06-10", "time", interval=15,
                            fields="answered")) == [(2345, "answered", 1, 300)]
    # In UTC it entered at 21:59:50Z.
    assert _values(_inbound([call], "UTC", "2024-06-10", "2024-06-10", "time",
                            fields="offered")) == [(2100, "offered", 1, 330)]


def test_budapest_dst_days() -> None:
    zone = "Europe/Budapest"
    # 2024-03-31 02:00 CET (01:00Z) -> 03:00 CEST: one second apart, local hours 1 and 3.
    spring = [
        _qc("s1", "2024-03-31T01:59:59+01:00", None, "2024-03-31T03:00:09+02:00"),
        _qc("s2", "2024-03-31T03:00:00+02:00", None, "2024-03-31T03:00:40+02:00"),
    ]
    assert _values(_inbound(spring, zone, "2024-03-31", "2024-03-31", "time",
                            fields="abandoned,abandonedWithinSla")) == [
        (100, "abandoned", 1, 10),
        (100, "abandonedWithinSla", 1, None),
        (300, "abandoned", 1, 40),
    ]
    # 2024-10-27 03:00 CEST (01:00Z) -> 02:00 CET: 00:30Z and 01:30Z are both local 02:30.
    autumn = [
        _qc("f1", "2024-10-27T02:30:00+02:00", "2024-10-27T02:30:05+02:00",
            "2024-10-27T02:31:05+02:00"),
        _qc("f2", "2024-10-27T02:30:00+01:00", "2024-10-27T02:30:45+01:00",
            "2024-10-27T02:32:45+01:00"),
    ]
    assert _values(_inbound(autumn, zone, "2024-10-27", "2024-10-27", "date,time",
                            fields="answered,answerWait,answeredWithinSla")) == [
        ("2024-10-27", 200, "answered", 2, 60 + 120),
        ("2024-10-27", 200, "answerWait", 2, 5 + 45),
        ("2024-10-27", 200, "answeredWithinSla", 1, None),
    ]
    assert _ratios(expected_kpis(autumn, zone, date(2024, 10, 27), date(2024, 10, 27),
                                 ["time"], 30, None, ["serviceLevel", "asa"])) == [
        (230, "serviceLevel", 0.5, 1, 2),
        (230, "asa", 25.0, 50, 2),
    ]


def test_kolkata_half_hour_zone() -> None:
    # +05:30: 10:00Z is 15:30; 18:29:59Z is 23:59:59 on the 1st; 18:30Z is 00:00 on the 2nd.
    calls = [
        _qc("k1", "2024-05-01T10:00:00Z", None, "2024-05-01T10:00:50Z"),
        _qc("k2", "2024-05-01T18:29:59Z", None, "2024-05-01T18:30:09Z"),
        _qc("k3", "2024-05-01T18:30:00Z", None, "2024-05-01T18:30:01Z"),
    ]
    zone = "Asia/Kolkata"
    assert _values(_inbound(calls, zone, "2024-05-01", "2024-05-02", "date,time", interval=30,
                            fields="offered")) == [
        ("2024-05-01", 1530, "offered", 1, 50),
        ("2024-05-01", 2330, "offered", 1, 10),
        ("2024-05-02", 0, "offered", 1, 1),
    ]
    assert _values(_inbound(calls, zone, "2024-05-01", "2024-05-01", "time",
                            fields="offered")) == [
        (1500, "offered", 1, 50),
        (2300, "offered", 1, 10),
    ]


def test_replacement_and_deletion_of_queue_calls() -> None:
    ops: list[Op] = [
        ("put", _qc("q1", 0, None, 100)),
        ("put", _qc("q2", 10, 15, 20)),
        ("put", _qc("q3", 50, None, None)),
        ("put", _qc("q1", 0, 20, 80)),  # replaced: now answered
        ("delete", "q2"),
        ("put", _qc("q3", 50, 60, 90)),  # the open call is closed
    ]
    state = apply_ops(ops)
    assert _values(_inbound(state, "UTC", "1970-01-01", "1970-01-01", "queue")) == [
        (1, "offered", 2, 80 + 40),
        (1, "answered", 2, 60 + 30),
        (1, "answeredWithinSla", 2, None),
        (1, "answerWait", 2, 20 + 10),
    ]
    assert _inbound(apply_ops([*ops, ("delete", "q1"), ("delete", "q3")]), "UTC",
                    "1970-01-01", "1970-01-01", "queue") == []


def test_filters_and_sort_order() -> None:
    calls = [
        _qc("a", 3600, None, 3601, queue=2, project=1),
        _qc("b", 0, None, 1, queue=1, project=2),
        _qc("c", 7200, None, 7202, queue=3, project=1),
    ]
    by_queue = _inbound(calls, "UTC", "1970-01-01", "1970-01-01", "queue,time",
                        fields="offered")
    assert [(r["time"], r["queueId"]) for r in by_queue] == [(0, 1), (100, 2), (200, 3)]
    by_project = _inbound(calls, "UTC", "1970-01-01", "1970-01-01", "project,queue",
                          fields="offered")
    assert [(r["projectId"], r["queueId"]) for r in by_project] == [(1, 2), (1, 3), (2, 1)]
    only = expected_inbound(calls, "UTC", date(1970, 1, 1), date(1970, 1, 1), ["project"], 60,
                            [1], [3], 30, ["offered"])
    assert _values(only) == [(1, "offered", 1, 2)]


def _ub(eid: str, kind: str, **members: Any) -> dict[str, Any]:
    return {"id": eid, "type": kind, "projectId": 1, "userId": 1, **members}


USER_EVENTS = [
    _ub("s1", "userstate", state="call", start=0, end=100),
    _ub("s2", "userstate", state="afterwork", start=100, end=130),
    _ub("s3", "userstate", state="available", start=130, end=200),
    _ub("s4", "userstate", state="break", start=200, end=250),
    _ub("s5", "userstate", state="ringing", start=250, end=None),  # still going on
    _ub("c1", "call", direction="in", start=0, answer=10, end=100),
    _ub("c2", "call", direction="in", start=300, answer=None, end=320),
    _ub("c3", "call", direction="out", start=400, answer=410, end=470),
    _ub("c4", "call", direction="out", start=500, answer=None, end=530),
    _qc("q", 0, 5, 100),  # no userbased field
]


def test_userbased_kpis() -> None:
    names = [name for name, kpi in KPIS.items() if kpi.source == "userbased"]
    records = expected_kpis(USER_EVENTS, "UTC", date(1970, 1, 1), date(1970, 1, 1),
                            ["user"], 60, None, names)
    # H = 100 + 30, I = 70, N = 1 + 1; no disposition: a null value.
    assert _ratios(records) == [
        (1, "aht", 90.0, 90 + 60 + 30, 2),
        (1, "avgTalkIn", 90.0, 90, 1),
        (1, "avgTalkOut", 60.0, 60, 1),
        (1, "avgAfterwork", 15.0, 30, 2),
        (1, "occupancy", 0.65, 130, 200),
        (1, "utilisation", 0.52, 130, 250),
        (1, "callInAnswerRate", 0.5, 1, 2),
        (1, "callOutReachRate", 0.5, 1, 2),
        (1, "dispositionSuccessRate", None, 0, 0),
    ]
    assert list(records[0]) == ["userId", "kpis", "level"]


def test_userbased_kpi_record_needs_a_base_field() -> None:
    recall = [_ub("d", "disposition", status="recall", time=60)]
    day = date(1970, 1, 1)
    assert expected_kpis(recall, "UTC", day, day, ["user"], 60, None, ["aht"]) == []
    assert _ratios(expected_kpis(recall, "UTC", day, day, ["date", "user"], 60, None,
                                 ["aht", "dispositionSuccessRate"])) == [
        ("1970-01-01", 1, "aht", None, 0, 0),
        ("1970-01-01", 1, "dispositionSuccessRate", 0.0, 0, 1),
    ]


def test_kpi_requests_of_two_sources_or_foreign_dimensions_are_rejected() -> None:
    day = date(1970, 1, 1)
    with pytest.raises(ValueError):
        expected_kpis([], "UTC", day, day, ["project"], 60, None, ["asa", "aht"])
    with pytest.raises(ValueError):
        expected_kpis([], "UTC", day, day, ["user"], 60, None, ["asa"])
    with pytest.raises(ValueError):
        expected_kpis([], "UTC", day, day, ["queue"], 60, None, ["aht"])
    with pytest.raises(ValueError):
        expected_kpis([], "UTC", day, day, ["queue"], 60, None, ["nope"])


def test_rounding_half_away_from_zero() -> None:
    assert kpi_value(1, 8) == 0.125
    assert kpi_value(2, 3) == 0.6667
    assert kpi_value(5, 32) == 0.1563  # 0.15625
    assert kpi_value(1, 3) == 0.3333
    assert kpi_value(1, 20000) == 0.0001  # 0.00005
    assert kpi_value(1, 20001) == 0.0
    assert kpi_value(-5, 32) == -0.1563
    assert kpi_value(13, 16) == 0.8125
    assert kpi_value(25, 2) == 12.5
    assert kpi_value(7, 0) is None
    texts = [json.dumps(kpi_value(n, d)) for n, d in ((3, 3), (0, 4), (13, 16), (25, 2))]
    assert texts == ["1.0", "0.0", "0.8125", "12.5"]


def test_rounding_through_queue_calls() -> None:
    # 8 calls, 1 answered within: 1/8; 3 answered of which 2 within: 2/3.
    eighth = [_qc(f"e{i}", 0, 0 if i == 0 else None, 100) for i in range(8)]
    assert _ratios(_kpis(eighth, "queue", "serviceLevel", day="1970-01-01")) == [
        (1, "serviceLevel", 0.125, 1, 8)
    ]
    thirds = [_qc("t1", 0, 10, 20), _qc("t2", 0, 20, 30), _qc("t3", 0, 40, 50)]
    assert _ratios(_kpis(thirds, "queue", "serviceLevel", day="1970-01-01")) == [
        (1, "serviceLevel", 0.6667, 2, 3)
    ]
    # 5 s of waiting over 32 answered calls: 0.15625 s.
    waits = [_qc(f"w{i}", 0, 1 if i < 5 else 0, 10) for i in range(32)]
    assert _ratios(_kpis(waits, "queue", "asa", day="1970-01-01")) == [
        (1, "asa", 0.1563, 5, 32)
    ]


def test_csv_and_tab_rendering() -> None:
    calls = [_qc("a", 0, 10, 70), _qc("b", 3600, None, 3605, queue=2)]
    records = _inbound(calls, "UTC", "1970-01-01", "1970-01-01", "queue,date",
                       fields="answeredWithinSla,offered")
    assert expected_inbound_csv(records, ["queue", "date"], ",") == (
        "date,queueId,level,field,count,sum\r\n"
        "1970-01-01,1,1,answeredWithinSla,1,\r\n"
        "1970-01-01,1,1,offered,1,70\r\n"
        "1970-01-01,2,1,offered,1,5\r\n"
    )
    ratios = _kpis(calls, "time,queue", "asa,serviceLevel", day="1970-01-01")
    assert expected_kpis_csv(ratios, ["time", "queue"], "inbound", "\t") == (
        "time\tqueueId\tlevel\tkpi\tvalue\tnumerator\tdenominator\n"
        "0\t1\t1\tasa\t10.0\t10\t1\n"
        "0\t1\t1\tserviceLevel\t1.0\t1\t1\n"
        "100\t2\t1\tasa\t\t0\t0\n"
        "100\t2\t1\tserviceLevel\t0.0\t0\t1\n"
    )
    users = expected_kpis(USER_EVENTS, "UTC", date(1970, 1, 1), date(1970, 1, 1),
                          ["user", "project"], 60, None, ["occupancy"])
    assert expected_kpis_csv(users, ["user", "project"], "userbased", ",") == (
        "projectId,userId,level,kpi,value,numerator,denominator\r\n"
        "1,1,1,occupancy,0.65,130,200\r\n"
    )
    assert expected_inbound_csv([], ["time"], "\t") == "time\tlevel\tfield\tcount\tsum\n"
