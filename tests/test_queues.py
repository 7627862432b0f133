"""Queues as metadata, and the inbound and KPI endpoints' options, on every store.

(Queue calls themselves and the inbound figures are checked against the oracle
once the queue call event is accepted; here the store answers for queues that
exist without calls: no records, and every refused option named.)
"""

from __future__ import annotations

import pytest

from ccstats.errors import InvalidRequest, NotFound
from ccstats.model import Queue, Status
from ccstats.query import Endpoint
from ccstats.service import Service
from conftest import CUSTOMER, call, ndjson

DAY = {"from": "20240501", "to": "20240501"}


@pytest.fixture
def acme(service: Service) -> Service:
    service.create_customer(CUSTOMER, timezone="Europe/Budapest", password="secret")
    return service


def test_queues_are_created_changed_and_listed(acme: Service) -> None:
    acme.create_queue(CUSTOMER, Queue(7, "Sales", Status.ACTIVE))
    acme.create_queue(CUSTOMER, Queue(3, "Billing", Status.ACTIVE))
    with pytest.raises(InvalidRequest, match="already exists"):
        acme.create_queue(CUSTOMER, Queue(7, "Other", Status.ACTIVE))
    assert acme.update_queue(CUSTOMER, 3, status=Status.INACTIVE) == \
        Queue(3, "Billing", Status.INACTIVE)
    with pytest.raises(NotFound):
        acme.update_queue(CUSTOMER, 99, name="x")
    assert acme.queues(CUSTOMER) == [Queue(3, "Billing", Status.INACTIVE),
                                     Queue(7, "Sales", Status.ACTIVE)]


def test_queues_without_calls_answer_no_records(acme: Service) -> None:
    acme.create_queue(CUSTOMER, Queue(7, "Sales", Status.ACTIVE))
    acme.ingest(CUSTOMER, ndjson(call("c1", "in", "2024-05-01T08:00:00Z",
                                      "2024-05-01T08:00:05Z", "2024-05-01T08:01:00Z")))
    for of in ("json", "csv"):
        params = {**DAY, "dimensions": "queue,time", "of": of, "queues": "7"}
        inbound = acme.query(CUSTOMER, params, Endpoint.INBOUND)
        kpis = acme.query(CUSTOMER, {**params, "kpis": "serviceLevel"}, Endpoint.KPIS)
        if of == "json":
            assert inbound == kpis == b'{"response":[],"errors":[]}'
        else:
            assert inbound == b"time,queueId,level,field,count,sum\r\n"
            assert kpis == b"time,queueId,level,kpi,value,numerator,denominator\r\n"


@pytest.mark.parametrize(("endpoint", "param", "params"), [
    (Endpoint.INBOUND, "manual_sla", {"manual_sla": "0"}),
    (Endpoint.INBOUND, "manual_sla", {"manual_sla": "3601"}),
    (Endpoint.INBOUND, "manual_sla", {"manual_sla": "20s"}),
    (Endpoint.INBOUND, "users", {"users": "1"}),
    (Endpoint.INBOUND, "queues", {"queues": "404"}),
    (Endpoint.INBOUND, "dimensions", {"dimensions": "user"}),
    (Endpoint.INBOUND, "fields", {"fields": "callOut"}),
    (Endpoint.USERBASED, "dimensions", {"dimensions": "queue"}),
    (Endpoint.KPIS, "kpis", {"kpis": "nonsense"}),
    (Endpoint.KPIS, "kpis", {"kpis": "aht,serviceLevel"}),
    (Endpoint.KPIS, "kpis", {}),
    (Endpoint.KPIS, "dimensions", {"kpis": "aht", "dimensions": "queue"}),
    (Endpoint.KPIS, "users", {"kpis": "asa", "users": "1"}),
])
def test_refused_options_are_named(acme: Service, endpoint: Endpoint, param: str,
                                   params: dict[str, str]) -> None:
    with pytest.raises(InvalidRequest) as refused:
        acme.plan(CUSTOMER, {**DAY, "dimensions": "queue", **params}, endpoint)
    assert param in {error.param for error in refused.value.errors}
