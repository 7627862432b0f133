"""Shared fixtures and helpers of the engine tests.

- `service`: a `Service` on a fresh database (a DuckDB file in ``tmp_path``, or a
  ClickHouse database: see `backends.py`), closed afterwards.
- `seed_dir`: the seed example (``shared/fixtures/seed-example``), found next to the
  repository (CI clones the repository beside ``shared/``).
- `ndjson`: NDJSON bytes from event dicts; `userstate`, `call`, `point` and `chat`
  build valid events with few words.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st

from backends import ON_CLICKHOUSE, drop_database, new_database
from ccstats.query import StatsQuery
from ccstats.service import Service

# Examples of the property tests that do not set their own count: fewer on a server,
# where every batch and query is a round trip.
settings.register_profile("duckdb", max_examples=60)
settings.register_profile("clickhouse", max_examples=20)
# For `make mutants` (``--hypothesis-profile=mutants``): a planted fault only has to be
# seen, so a failing example is not shrunk, and none is saved for the next run.
settings.register_profile("mutants", settings.get_profile("duckdb"),
                          phases=[Phase.explicit, Phase.generate], database=None)
settings.load_profile("clickhouse" if ON_CLICKHOUSE else "duckdb")

SEED_DIR = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "seed-example"

#: A customer most tests use (time zone UTC unless a test creates its own).
CUSTOMER = "acme"

Event = dict[str, Any]


def ndjson(*events: Mapping[str, Any] | str) -> bytes:
    """One line per event: dicts are serialized, strings are taken verbatim."""
    lines = [e if isinstance(e, str) else orjson.dumps(dict(e)).decode() for e in events]
    return ("\n".join(lines) + "\n").encode("utf-8")


def userstate(event_id: str, state: str, start: int | str, end: int | str | None,
              project: int = 1, user: int = 1) -> Event:
    return {"id": event_id, "type": "userstate", "state": state, "start": start, "end": end,
            "projectId": project, "userId": user}


def call(event_id: str, direction: str, start: int | str, answer: float | str | None,
         end: int | str | None, project: int = 1, user: int = 1) -> Event:
    return {"id": event_id, "type": "call", "direction": direction, "start": start,
            "answer": answer, "end": end, "projectId": project, "userId": user}


def point(event_id: str, event_type: str, subtype: str, time: float | str, project: int = 1,
          user: int = 1) -> Event:
    member = {"disposition": "status", "email": "direction", "ticket": "action"}[event_type]
    return {"id": event_id, "type": event_type, member: subtype, "time": time,
            "projectId": project, "userId": user}


def chat(event_id: str, start: int | str, end: int | str | None, project: int = 1,
         user: int = 1) -> Event:
    return {"id": event_id, "type": "chat", "start": start, "end": end, "projectId": project,
            "userId": user}


def queue_call(event_id: str, queue: int, start: int | str, answer: int | str | None,
               end: int | str | None, project: int = 1, user: int | None = 1) -> Event:
    """A queue call; its `user` (the agent who answered) is null when `answer` is."""
    return {"id": event_id, "type": "queuecall", "queueId": queue, "start": start,
            "answer": answer, "end": end, "projectId": project,
            "userId": None if answer is None else user}


#: The README's worked example of the inbound statistics. Queue 5: answered after 10 s,
#: 40 s and 25 s, abandoned after 5 s and 50 s; queue 6: answered after 30 s. All between
#: 09:00 and 09:15 on 2024-05-01 (UTC).
README_QUEUE_CALLS = [
    queue_call("q1", 5, "2024-05-01T09:00:00Z", "2024-05-01T09:00:10Z", "2024-05-01T09:02:10Z",
               project=2, user=17),
    queue_call("q2", 5, "2024-05-01T09:01:00Z", "2024-05-01T09:01:40Z", "2024-05-01T09:02:00Z",
               project=2, user=17),
    queue_call("q3", 5, "2024-05-01T09:03:00Z", None, "2024-05-01T09:03:05Z", project=2),
    queue_call("q4", 5, "2024-05-01T09:04:00Z", None, "2024-05-01T09:04:50Z", project=2),
    queue_call("q5", 6, "2024-05-01T09:05:00Z", "2024-05-01T09:05:30Z", "2024-05-01T09:06:30Z",
               project=2, user=18),
    queue_call("q6", 5, "2024-05-01T09:10:00Z", "2024-05-01T09:10:25Z", "2024-05-01T09:15:25Z",
               project=2, user=18),
]


def records(body: bytes) -> list[dict[str, Any]]:
    """The records of a successful JSON answer (asserting the envelope)."""
    document = orjson.loads(body)
    assert document["errors"] == []
    result: list[dict[str, Any]] = document["response"]
    return result


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh database (see `backends.new_database`), dropped afterwards."""
    made = new_database(tmp_path)
    yield made
    drop_database(made)


@pytest.fixture
def service(url: str) -> Iterator[Service]:
    opened = Service.open(url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def customer(service: Service) -> str:
    """A customer in UTC, named `CUSTOMER`."""
    service.create_customer(CUSTOMER, "UTC", "pw")
    return CUSTOMER


@pytest.fixture(scope="session")
def seed_dir() -> Path:
    if not SEED_DIR.is_dir():
        pytest.fail(f"seed fixture not found at {SEED_DIR}; clone the repository next to shared/")
    return SEED_DIR


def dimension_values(query: StatsQuery, dimension: str) -> st.SearchStrategy[int]:
    """Values of `dimension` in the cells of `query`: its dates, its slots' minutes,
    projects 1 to 3, other ids up to 10**12."""
    if dimension == "date":
        return st.integers(query.local.first_day, query.local.last_day)
    if dimension == "time":
        return st.integers(0, 24 * 60 // query.interval - 1).map(lambda s: s * query.interval)
    return st.integers(1, 3) if dimension == "project" else st.integers(1, 10**12)
