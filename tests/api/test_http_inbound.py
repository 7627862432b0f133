"""Queues, the inbound and KPI catalogs and options over real HTTP.

The module's server holds customer ``acme`` (UTC); every refused option must be
a 417 naming it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

CUSTOMER, ZONE, PASSWORD = "acme", "UTC", "acme-pass"


@pytest.fixture(scope="module")
def accounts() -> list[tuple[str, str, str]]:
    return [(CUSTOMER, ZONE, PASSWORD)]


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, auth=(CUSTOMER, PASSWORD), timeout=30) as opened:
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


def test_queues_are_created_changed_and_listed(client: httpx.Client) -> None:
    for queue_id, name in ((5, "Queue 5"), (6, "Queue 6")):
        created = client.post("/v2/queues", json={"queueid": queue_id, "name": name})
        assert created.status_code == 200, created.text
    changed = client.put("/v2/queues/6", json={"name": "Billing"})
    assert changed.json()["response"] == {"queueid": 6, "name": "Billing", "status": "active"}
    assert _get(client, "/v2/queues") == [
        {"queueid": 5, "name": "Queue 5", "status": "active"},
        {"queueid": 6, "name": "Billing", "status": "active"}]
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
