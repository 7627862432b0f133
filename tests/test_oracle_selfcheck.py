"""The oracle alone against the seed example and hand-computed cases.

Every expected number below was worked out by hand from the spec (the UTC instants of
the DST transitions are noted next to each case), not by running the oracle.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from oracle import (
    CATALOG,
    Op,
    Record,
    apply_ops,
    expected_csv,
    expected_response,
    parse_timestamp,
)

SEED = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "seed-example"


def _ymd(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _query(
    events: list[dict[str, Any]],
    zone: str,
    day_from: str,
    day_to: str,
    dimensions: str,
    *,
    fields: str | None = None,
    interval: int = 60,
) -> list[Record]:
    return expected_response(
        events,
        zone=zone,
        interval=interval,
        date_from=date.fromisoformat(day_from),
        date_to=date.fromisoformat(day_to),
        dimensions=dimensions.split(","),
        fields=None if fields is None else fields.split(","),
        projects=None,
        users=None,
    )


def _values(records: list[Record]) -> list[tuple[Any, ...]]:
    """Records flattened to (dimension values..., field, count, sum) for compact asserts."""
    out: list[tuple[Any, ...]] = []
    for record in records:
        dims = tuple(v for k, v in record.items() if k not in ("data", "level"))
        for entry in record["data"]:
            out.append((*dims, entry["field"], entry["count"], entry["sum"]))
    return out


def _state(
    state: str, start: object, end: object, *, eid: str = "e", user: int = 1
) -> dict[str, Any]:
    return {
        "id": eid,
        "type": "userstate",
        "state": state,
        "start": start,
        "end": end,
        "projectId": 1,
        "userId": user,
    }


@pytest.mark.skipif(not SEED.is_dir(), reason="shared fixtures not present")
def test_seed_example_reproduced_exactly() -> None:
    lines = (SEED / "events.ndjson").read_text().splitlines()
    events = [json.loads(line) for line in lines if line.strip()]
    url = (SEED / "request.txt").read_text().split()[1]
    options = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    records = expected_response(
        events,
        zone="Europe/Budapest",
        interval=60,
        date_from=_ymd(options["from"]),
        date_to=_ymd(options["to"]),
        dimensions=options["dimensions"].split(","),
        fields=options["fields"].split(","),
        projects={int(p) for p in options["projects"].split(",")},
        users={int(u) for u in options["users"].split(",")},
    )
    expected = json.loads((SEED / "expected.json").read_text())
    # json.dumps keeps key order, so equal text means equal values *and* key order.
    assert json.dumps(records) == json.dumps(expected["response"])


def test_parse_timestamp() -> None:
    assert parse_timestamp("2020-06-15T15:00:00+02:00") == 1592226000
    assert parse_timestamp("2020-06-15T13:00:00Z") == 1592226000
    assert parse_timestamp("2020-06-15T13:00:00.999+00:00") == 1592226000
    assert parse_timestamp("1969-12-31T23:59:59.5Z") == -1
    assert parse_timestamp(1592226000) == 1592226000
    assert parse_timestamp(1592226000.75) == 1592226000
    assert parse_timestamp(-0.5) == -1
    for bad in ("2020-06-15T15:00:00", True, None, float("nan")):
        with pytest.raises(ValueError):
            parse_timestamp(bad)


def test_apply_ops_replace_delete_last_wins() -> None:
    a1 = _state("available", 0, 10, eid="a")
    a2 = _state("break", 0, 20, eid="a")
    b = _state("available", 0, 5, eid="b")
    ops: list[Op] = [("put", a1), ("put", b), ("put", a2), ("delete", "b"), ("delete", "zz")]
    assert apply_ops(ops) == {"a": a2}


def test_interval_across_local_midnight() -> None:
    # Budapest in June is +02:00: 23:50 -> 00:20 is 600 s on the 10th, 1200 s on the 11th.
    chat = {
        "id": "c",
        "type": "chat",
        "start": "2024-06-10T23:50:00+02:00",
        "end": "2024-06-11T00:20:00+02:00",
        "projectId": 1,
        "userId": 1,
    }
    zone = "Europe/Budapest"
    assert _values(_query([chat], zone, "2024-06-10", "2024-06-11", "date,time")) == [
        ("2024-06-10", 2300, "chatHandled", 1, 600),
        ("2024-06-11", 0, "chatHandled", 0, 1200),
    ]
    # Only the in-range seconds; the count stays with the (out of range) start bucket.
    assert _values(_query([chat], zone, "2024-06-11", "2024-06-11", "user")) == [
        (1, "chatHandled", 0, 1200),
    ]
    assert _values(_query([chat], zone, "2024-06-10", "2024-06-10", "user")) == [
        (1, "chatHandled", 1, 600),
    ]
    assert _values(_query([chat], zone, "2024-06-10", "2024-06-11", "user")) == [
        (1, "chatHandled", 1, 1800),
    ]
    # In UTC the whole chat is on the 10th, 21:50 -> 22:20.
    assert _values(_query([chat], "UTC", "2024-06-10", "2024-06-11", "date,time")) == [
        ("2024-06-10", 2100, "chatHandled", 1, 600),
        ("2024-06-10", 2200, "chatHandled", 0, 1200),
    ]


def test_budapest_fall_back_repeated_hour() -> None:
    # 2024-10-27: 03:00 CEST (01:00Z) -> 02:00 CET. 02:00+02:00 is 00:00Z, 03:00+01:00 is 02:00Z:
    # two real hours, all of them with local hour 2.
    event = _state("available", "2024-10-27T02:00:00+02:00", "2024-10-27T03:00:00+01:00")
    zone = "Europe/Budapest"
    assert _values(_query([event], zone, "2024-10-27", "2024-10-27", "date,time")) == [
        ("2024-10-27", 200, "userstateAvailable", 1, 7200),
    ]
    assert _values(_query([event], zone, "2024-10-27", "2024-10-27", "time", interval=30)) == [
        (200, "userstateAvailable", 1, 3600),
        (230, "userstateAvailable", 0, 3600),
    ]


def test_budapest_spring_forward_skipped_hour() -> None:
    # 2024-03-31: 02:00 CET (01:00Z) -> 03:00 CEST. 00:30Z..01:30Z is local 01:30..02:00
    # then 03:00..03:30; local hour 2 has no bucket.
    event = _state("break", 1711845000, 1711848600)
    assert parse_timestamp("2024-03-31T01:30:00+01:00") == 1711845000
    assert parse_timestamp("2024-03-31T03:30:00+02:00") == 1711848600
    zone = "Europe/Budapest"
    assert _values(_query([event], zone, "2024-03-31", "2024-03-31", "time")) == [
        (100, "userstateBreak", 1, 1800),
        (300, "userstateBreak", 0, 1800),
    ]


def test_kolkata_half_hour_offset() -> None:
    # +05:30: 10:00Z..10:40Z is local 15:30..16:10, answered at 15:40; a disposition at
    # 10:29:59Z is 15:59:59.
    call = {
        "id": "k1",
        "type": "call",
        "direction": "in",
        "start": "2024-05-01T10:00:00Z",
        "answer": "2024-05-01T10:10:00Z",
        "end": "2024-05-01T10:40:00Z",
        "projectId": 1,
        "userId": 1,
    }
    disposition = {
        "id": "k2",
        "type": "disposition",
        "status": "success",
        "time": "2024-05-01T10:29:59.999Z",
        "projectId": 1,
        "userId": 1,
    }
    events = [call, disposition]
    zone = "Asia/Kolkata"
    fields = "callIn,callInAnswered,callInMissed,dispositionStatusSuccess"
    assert _values(_query(events, zone, "2024-05-01", "2024-05-01", "time", fields=fields)) == [
        (1500, "callIn", None, 1800),
        (1500, "callInAnswered", 1, 1200),
        (1500, "dispositionStatusSuccess", 1, None),
        (1600, "callIn", None, 600),
        (1600, "callInAnswered", 0, 600),
    ]
    assert _values(
        _query(events, zone, "2024-05-01", "2024-05-01", "time", fields=fields, interval=15)
    ) == [
        (1530, "callIn", None, 900),
        (1530, "callInAnswered", 1, 300),
        (1545, "callIn", None, 900),
        (1545, "callInAnswered", 0, 900),
        (1545, "dispositionStatusSuccess", 1, None),
        (1600, "callIn", None, 600),
        (1600, "callInAnswered", 0, 600),
    ]


def test_kathmandu_quarter_hour_offset() -> None:
    # +05:45: 10:00Z..10:30Z is local 15:45..16:15.
    event = _state("prework", "2024-05-01T10:00:00Z", "2024-05-01T10:30:00Z")
    assert _values(_query([event], "Asia/Kathmandu", "2024-05-01", "2024-05-01", "time")) == [
        (1500, "userstatePrework", 1, 900),
        (1600, "userstatePrework", 0, 900),
    ]


def test_lord_howe_half_hour_dst() -> None:
    zone = "Australia/Lord_Howe"
    # DST ends 2024-04-07 02:00+11:00 (15:00Z) -> 01:30+10:30: 01:30..02:00 happens twice.
    # 01:00+11:00 (14:00Z) .. 02:00+10:30 (15:30Z) is 5400 s, all in local hour 1.
    back = _state("ringing", "2024-04-07T01:00:00+11:00", "2024-04-07T02:00:00+10:30")
    assert _values(_query([back], zone, "2024-04-07", "2024-04-07", "date,time")) == [
        ("2024-04-07", 100, "userstateRinging", 1, 5400),
    ]
    assert _values(_query([back], zone, "2024-04-07", "2024-04-07", "time", interval=30)) == [
        (100, "userstateRinging", 1, 1800),
        (130, "userstateRinging", 0, 3600),
    ]
    # DST starts 2024-10-06 02:00+10:30 (15:30Z) -> 02:30+11:00: 02:00..02:30 is skipped.
    # 01:45+10:30 (15:15Z) .. 02:45+11:00 (15:45Z) is 1800 s.
    forward = _state("waitingForCall", "2024-10-06T01:45:00+10:30", "2024-10-06T02:45:00+11:00")
    assert _values(_query([forward], zone, "2024-10-06", "2024-10-06", "time")) == [
        (100, "userstateWaitingForCall", 1, 900),
        (200, "userstateWaitingForCall", 0, 900),
    ]
    assert _values(_query([forward], zone, "2024-10-06", "2024-10-06", "time", interval=30)) == [
        (130, "userstateWaitingForCall", 1, 900),
        (230, "userstateWaitingForCall", 0, 900),
    ]


def test_zero_length_and_call_kpis() -> None:
    out_call = {
        "id": "o",
        "type": "call",
        "direction": "out",
        "start": 3600,
        "answer": 3600 + 3599,
        "end": 3600 + 3599,
        "projectId": 2,
        "userId": 3,
    }
    zero_state = _state("call", 7300, 7300, eid="z", user=3)
    records = _query([out_call, zero_state], "UTC", "1970-01-01", "1970-01-01", "user,time")
    # Keys come in the fixed order time, userId whatever the dimension order.
    assert _values(records) == [
        (100, 3, "callOut", None, 3599),
        (100, 3, "callOutAttempt", 1, None),
        (100, 3, "callOutReached", 1, 0),
        (200, 3, "userstateCall", None, 0),
    ]
    assert [r["level"] for r in records] == [1, 1]
    assert list(records[0]) == ["time", "userId", "data", "level"]


def test_sort_by_request_order_and_field_filter() -> None:
    events = [
        _state("available", 0, 60, eid="a", user=2),
        _state("available", 3600, 3660, eid="b", user=1),
    ]
    by_time_user = _query(events, "UTC", "1970-01-01", "1970-01-01", "time,user")
    assert [(r["time"], r["userId"]) for r in by_time_user] == [(0, 2), (100, 1)]
    by_user_time = _query(events, "UTC", "1970-01-01", "1970-01-01", "user,time")
    assert [(r["time"], r["userId"]) for r in by_user_time] == [(100, 1), (0, 2)]
    # A record needs a requested field: asking only for breaks gives nothing.
    assert _query(events, "UTC", "1970-01-01", "1970-01-01", "user", fields="userstateBreak") == []
    assert len(CATALOG) == 24


def test_csv_and_tab_rendering() -> None:
    events = [_state("call", 0, 30, eid="a"), _state("available", 30, 60, eid="b")]
    records = _query(events, "UTC", "1970-01-01", "1970-01-01", "user,date")
    assert expected_csv(records, ["user", "date"], ",") == (
        "date,userId,level,field,count,sum\r\n"
        "1970-01-01,1,1,userstateAvailable,1,30\r\n"
        "1970-01-01,1,1,userstateCall,,30\r\n"
    )
    assert expected_csv(records, ["user", "date"], "\t") == (
        "date\tuserId\tlevel\tfield\tcount\tsum\n"
        "1970-01-01\t1\t1\tuserstateAvailable\t1\t30\n"
        "1970-01-01\t1\t1\tuserstateCall\t\t30\n"
    )
    assert expected_csv([], ["time"], ",") == "time,level,field,count,sum\r\n"
