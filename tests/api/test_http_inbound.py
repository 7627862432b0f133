"""Queue calls, queues, `GET /v2/statistics/inbound` and `/kpis` over real HTTP.

The module's server holds customer ``acme`` (UTC). A handful of queue calls are
posted once; the answers are checked against figures worked out by hand from
them, and every refused option or member must be a 417 naming it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from conftest import README_QUEUE_CALLS as CALLS
from conftest import queue_call

CUSTOMER, ZONE, PASSWORD = "acme", "UTC", "acme-pass"


@pytest.fixture(scope="module")
def accounts() -> list[tuple[str, str, str]]:
    return [(CUSTOMER, ZONE, PASSWORD)]


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, auth=(CUSTOMER, PASSWORD), timeout=30) as opened:
        posted = opened.post("/v2/events", content=b"".join(
            orjson.dumps(call) + b"\n" for call in CALLS))
        assert posted.status_code == 200, posted.text
        yield opened


def _get(client: httpx.Client, path: str, **params: str) -> Any:
    answer = client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()["response"]


def _refused(client: httpx.Client, path: str, param: str, **params: str) -> None:
    answer = client.get(path, params=params)
    assert answer.status_code == 417, answer.text
    assert param in {error["param"] for error in answer.json()["errors"]}, answer.text


DAY = {"from": "20240501", "to": "20240501"}


def test_inbound_per_queue_by_hand(client: httpx.Client) -> None:
    records = _get(client, "/v2/statistics/inbound", dimensions="queue", **DAY)
    assert records == [
        {"queueId": 5, "data": [
            {"field": "offered", "count": 5, "sum": 130 + 60 + 5 + 50 + 325},
            {"field": "answered", "count": 3, "sum": 120 + 20 + 300},
            {"field": "abandoned", "count": 2, "sum": 5 + 50},
            {"field": "answeredWithinSla", "count": 2, "sum": None},
            {"field": "abandonedWithinSla", "count": 1, "sum": None},
            {"field": "answerWait", "count": 3, "sum": 10 + 40 + 25}], "level": 0},
        {"queueId": 6, "data": [
            {"field": "offered", "count": 1, "sum": 90},
            {"field": "answered", "count": 1, "sum": 60},
            {"field": "answeredWithinSla", "count": 1, "sum": None},
            {"field": "answerWait", "count": 1, "sum": 30}], "level": 0},
    ]


def test_manual_sla_is_chosen_per_request(client: httpx.Client) -> None:
    records = _get(client, "/v2/statistics/inbound", dimensions="queue", manual_sla="40",
                   fields="answeredWithinSla,abandonedWithinSla", queues="5", **DAY)
    assert records == [{"queueId": 5, "data": [
        {"field": "answeredWithinSla", "count": 3, "sum": None},
        {"field": "abandonedWithinSla", "count": 1, "sum": None}], "level": 0}]


def test_the_readmes_worked_example(client: httpx.Client) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text().splitlines()
    shown = next(line for line in readme if line.startswith('{"response":[{"queueId":5,'))
    answer = client.get("/v2/statistics/kpis", params={
        "kpis": "serviceLevel,asa,abandonmentRate", "dimensions": "queue", **DAY})
    assert answer.text == shown


def test_kpis_of_queues(client: httpx.Client) -> None:
    records = _get(client, "/v2/statistics/kpis", kpis="serviceLevel,asa,abandonmentRate",
                   dimensions="queue", of="json", **DAY)
    assert records[0] == {"queueId": 5, "kpis": [
        {"kpi": "serviceLevel", "value": 0.4, "numerator": 2, "denominator": 5},
        {"kpi": "asa", "value": 25.0, "numerator": 75, "denominator": 3},
        {"kpi": "abandonmentRate", "value": 0.4, "numerator": 2, "denominator": 5}],
        "level": 0}
    csv = client.get("/v2/statistics/kpis", params={
        "kpis": "avgAbandonWait", "dimensions": "queue,time", "of": "csv", **DAY}).text
    assert csv == ("time,queueId,level,kpi,value,numerator,denominator\r\n"
                   "900,5,1,avgAbandonWait,27.5,55,2\r\n")  # no abandoned call in 6
    csv = client.get("/v2/statistics/kpis", params={
        "kpis": "avgAbandonWait,avgTalk", "dimensions": "queue", "of": "csv", **DAY}).text
    assert csv.endswith("6,0,avgAbandonWait,,0,0\r\n6,0,avgTalk,60.0,60,1\r\n")


def test_queues_are_registered_and_managed(client: httpx.Client) -> None:
    assert _get(client, "/v2/queues") == [
        {"queueid": 5, "name": "Queue 5", "status": "active"},
        {"queueid": 6, "name": "Queue 6", "status": "active"}]
    changed = client.put("/v2/queues/6", json={"name": "Billing"})
    assert changed.json()["response"] == {"queueid": 6, "name": "Billing", "status": "active"}
    created = client.post("/v2/queues", json={"queueid": 9, "name": "Sales"})
    assert created.status_code == 200, created.text
    again = client.post("/v2/queues", json={"queueid": 9, "name": "Sales"})
    assert again.status_code == 417
    assert client.put("/v2/queues/77", json={"name": "x"}).status_code == 404


def test_catalogs(client: httpx.Client) -> None:
    fields = _get(client, "/v2/statistics/inbound/fields")
    assert [f["field"] for f in fields] == ["offered", "answered", "abandoned",
                                            "answeredWithinSla", "abandonedWithinSla",
                                            "answerWait"]
    definitions = _get(client, "/v2/statistics/kpis/definitions")
    assert len(definitions) == 15
    assert definitions[9] == {"kpi": "serviceLevel", "description": definitions[9][
        "description"], "source": "inbound", "numerator": "answeredWithinSla.count",
        "denominator": "offered.count", "unit": "ratio"}


@pytest.mark.parametrize(("path", "param", "params"), [
    ("/v2/statistics/inbound", "manual_sla", {"manual_sla": "0"}),
    ("/v2/statistics/inbound", "manual_sla", {"manual_sla": "3601"}),
    ("/v2/statistics/inbound", "manual_sla", {"manual_sla": "twenty"}),
    ("/v2/statistics/inbound", "users", {"users": "17"}),
    ("/v2/statistics/inbound", "queues", {"queues": "404"}),
    ("/v2/statistics/inbound", "dimensions", {"dimensions": "user"}),
    ("/v2/statistics/inbound", "fields", {"fields": "callOut"}),
    ("/v2/statistics/userbased", "dimensions", {"dimensions": "queue"}),
    ("/v2/statistics/kpis", "kpis", {"kpis": "nonsense"}),
    ("/v2/statistics/kpis", "kpis", {"kpis": "aht,serviceLevel"}),
    ("/v2/statistics/kpis", "kpis", {}),
    ("/v2/statistics/kpis", "dimensions", {"kpis": "aht", "dimensions": "queue"}),
    ("/v2/statistics/kpis", "users", {"kpis": "asa", "dimensions": "queue", "users": "17"}),
])
def test_refused_options_are_named(client: httpx.Client, path: str, param: str,
                                   params: dict[str, str]) -> None:
    _refused(client, path, param, **{"dimensions": "queue", **DAY, **params})


@pytest.mark.parametrize(("member", "event"), [
    ("answer", queue_call("bad1", 5, "2024-05-01T09:00:10Z", "2024-05-01T09:00:00Z",
                          "2024-05-01T09:01:00Z")),
    ("userId", {**queue_call("bad2", 5, "2024-05-01T09:00:00Z", None, "2024-05-01T09:01:00Z"),
                "userId": 17}),
    ("userId", {**queue_call("bad3", 5, "2024-05-01T09:00:00Z", "2024-05-01T09:00:10Z",
                             "2024-05-01T09:01:00Z"), "userId": None}),
    ("queueId", {**queue_call("bad4", 5, "2024-05-01T09:00:00Z", None, "2024-05-01T09:01:00Z"),
                 "queueId": 0}),
])
def test_refused_queue_calls_are_named(client: httpx.Client, member: str,
                                       event: dict[str, Any]) -> None:
    answer = client.post("/v2/events", content=orjson.dumps(event) + b"\n")
    assert answer.status_code == 417, answer.text
    assert [error["param"] for error in answer.json()["errors"]] == [f"line 1: {member}"]


def test_queue_calls_add_nothing_to_the_userbased_fields(client: httpx.Client) -> None:
    assert _get(client, "/v2/statistics/userbased", dimensions="user", **DAY) == []
    assert [user["userid"] for user in _get(client, "/v2/users")] == [17, 18]
