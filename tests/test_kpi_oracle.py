"""`GET /v2/statistics/kpis` of userbased KPIs against the independent oracle
(`inbound_oracle.expected_kpis`), on the random scenarios of the userbased oracle test:
every query of a scenario is asked again as a KPI query of random KPIs."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from backends import drop_database, new_database
from ccstats.query import Endpoint
from ccstats.service import Service
from inbound_oracle import KPIS, expected_kpis, expected_kpis_csv
from oracle import Op, apply_ops
from test_oracle import Query, Scenario, run_step, scenarios

USERBASED_KPIS = sorted(name for name, kpi in KPIS.items() if kpi.source == "userbased")
_customer_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def kpi_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    url = new_database(tmp_path_factory.mktemp("kpis"), "kpis")
    svc = Service.open(url)
    yield svc
    svc.close()
    drop_database(url)


def _kpi_params(query: Query, kpis: list[str]) -> dict[str, str]:
    params = {name: value for name, value in query.params.items() if name != "fields"}
    params["kpis"] = ",".join(kpis)
    return params


def _check(body: bytes, query: Query, kpis: list[str], stored: dict[str, Any]) -> None:
    records = expected_kpis(stored, query.zone, query.date_from, query.date_to,
                            query.dimensions, query.interval, query.projects, kpis,
                            users=query.users)
    if query.fmt == "json":
        answer = orjson.loads(body)
        assert answer["errors"] == []
        assert json.dumps(answer["response"], indent=1) == json.dumps(records, indent=1)
    else:
        sep = "," if query.fmt == "csv" else "\t"
        assert body.decode() == expected_kpis_csv(records, query.dimensions, "userbased", sep)


def play(service: Service, scenario: Scenario, kpi_lists: list[list[str]]) -> None:
    """Run `scenario` for a new customer, asking each query as a KPI query."""
    customer = f"k{next(_customer_numbers)}"
    service.create_customer(customer, timezone=scenario.zone, password="secret")
    ops: list[Op] = []
    chosen = iter(itertools.cycle(kpi_lists))
    for step in scenario.steps:
        body = "".join(json.dumps(e) + "\n" for e in step.events).encode()
        run_step(service, customer, ops, step.delete, step.events, body, step.withdraw)
        for query in step.queries:
            kpis = next(chosen)
            params = _kpi_params(query, kpis)
            note(f"kpis query {params}")
            body = service.query(customer, params, Endpoint.KPIS)
            _check(body, query, kpis, apply_ops(ops))


@settings(max_examples=max(settings().max_examples // 2, 10), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenario=scenarios(),
       kpi_lists=st.lists(st.lists(st.sampled_from(USERBASED_KPIS), min_size=1, max_size=5,
                                   unique=True), min_size=1, max_size=3))
def test_userbased_kpis_match_oracle(kpi_service: Service, scenario: Scenario,
                                     kpi_lists: list[list[str]]) -> None:
    play(kpi_service, scenario, kpi_lists)
