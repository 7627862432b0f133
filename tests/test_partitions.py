"""A large query answered in parts gives exactly the answer of the whole query."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends import drop_database, new_database
from ccstats import demo
from ccstats.pipeline import parts
from ccstats.pipeline.plan import plan_of
from ccstats.pipeline.sql import record_estimate_sql
from ccstats.service import Service
from ccstats.store import duckdb_store

CUSTOMER = "parts"
FIRST = dt.date(2024, 3, 25)  # spans the spring-forward day in Europe/Budapest


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    folder: Path = tmp_path_factory.mktemp("parts")
    url = new_database(folder, "parts")
    service = Service.open(url)
    service.create_customer(CUSTOMER, "Europe/Budapest", "pw")
    events = folder / "events.ndjson"
    demo.write_file(events, seed=7, agents=6, projects=3, days=9, start=FIRST,
                    timezone="Europe/Budapest")
    service.import_files(CUSTOMER, [events])
    yield service
    service.close()
    drop_database(url)


ORDERS = [",".join(p) for n in (1, 2, 4) for p in itertools.permutations(
    ("project", "user", "date", "time"), n)][::3]


@pytest.mark.parametrize("dimensions", ORDERS)
@pytest.mark.parametrize(("interval", "output"), [("60", "json"), ("15", "csv")])
def test_parts_concatenate_to_the_whole(service: Service, monkeypatch: pytest.MonkeyPatch,
                                        dimensions: str, interval: str, output: str) -> None:
    params = {"from": "20240325", "to": "20240402", "dimensions": dimensions,
              "interval": interval, "of": output}
    whole = service.query(CUSTOMER, params)
    plan = service.plan(CUSTOMER, params)
    estimate = math.prod(parts.cardinality(plan, d, 8) for d in plan.dimensions)
    monkeypatch.setattr(parts, "RECORDS_PER_PART", max(estimate // 6, 1))
    monkeypatch.setattr(parts, "FIRST_PART_RECORDS", max(estimate // 30, 1))
    assert len(parts.split(plan, lambda dimension: list(range(1, 9)))) > 1
    assert service.query(CUSTOMER, params) == whole


@pytest.mark.parametrize("dimensions", ["project,user,date,time", "user,date", "date,project",
                                        "time", "user"])
def test_estimate_from_the_sums_bounds_the_records(service: Service, dimensions: str) -> None:
    params = {"from": "20240326", "to": "20240330", "dimensions": dimensions, "of": "csv"}
    plan = service.plan(CUSTOMER, params)
    lines = service.query(CUSTOMER, params).decode().splitlines()[1:]  # without the header
    records = len({tuple(line.split(",")[:len(plan.dimensions)]) for line in lines})
    product = math.prod(parts.cardinality(plan, d, 8) for d in plan.dimensions)
    estimate = service._store.scalar(record_estimate_sql(plan_of(plan)))
    assert records <= estimate
    if "project" in dimensions and "user" in dimensions:
        assert estimate < product  # agents work on few of the projects


@pytest.mark.parametrize("dimensions", ["project,user,date,time", "time", "user,date"])
@pytest.mark.parametrize("output", ["json", "tab"])
def test_parts_fetched_whole_or_streamed_in_any_batches_agree(
        service: Service, monkeypatch: pytest.MonkeyPatch, dimensions: str, output: str) -> None:
    if not isinstance(service._store, duckdb_store.DuckDBStore):
        pytest.skip("a DuckDB store's choice")
    params = {"from": "20240325", "to": "20240402", "dimensions": dimensions,
              "interval": "15", "of": output}
    answers = []
    for small, batch in ((0, 65_536), (10**9, 65_536), (0, 5)):
        monkeypatch.setattr(duckdb_store, "SMALL_ANSWER_CELLS", small)
        monkeypatch.setattr(duckdb_store, "CELLS_PER_BATCH", batch)
        answers.append(service.query(CUSTOMER, params))
    assert answers[0] == answers[1] == answers[2]
    assert len(answers[0]) > 1000
