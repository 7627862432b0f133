"""`Client.send_events` against real servers: batches, a refused batch named by its event
and member, and retries of 429 on a server with a rate limit of one request a second."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from api.conftest import create_customers, start_server, stop
from backends import drop_database, new_database
from ccstats.client import Client, EventsRefused, RetriesExhausted
from client.conftest import CUSTOMER, PASSWORD, ZONE

DAY = dt.date(2021, 1, 5)


def disposition(number: int, user: int, **changed: Any) -> dict[str, Any]:
    """A successful disposition of `user` on `DAY` (id ``d<user>-<number>``)."""
    return {"id": f"d{user}-{number}", "type": "disposition", "status": "success",
            "time": f"2021-01-05T10:{number % 60:02d}:00+01:00", "projectId": 7,
            "userId": user, **changed}


def successes(api: Client, user: int) -> int:
    """The count of successful dispositions of `user` on `DAY` (0 with no record)."""
    found = api.userbased(DAY, DAY, "user", users=[user], fields=["dispositionStatusSuccess"])
    return int(found["count"].sum())


def test_events_are_stored_in_batches_and_once_however_often_sent(api: Client) -> None:
    events: list[Any] = [disposition(n, 30) for n in range(10)]
    events[3] = orjson.dumps(events[3]).decode() + "\n"  # a line of JSON text
    events[4] = orjson.dumps(events[4])  # bytes
    assert api.send_events(events, batch_size=3) == 10
    assert successes(api, 30) == 10
    assert api.send_events(iter(events), batch_size=4) == 10
    assert successes(api, 30) == 10


def test_a_refused_batch_names_the_event_and_member(api: Client) -> None:
    events = [disposition(n, 31) for n in range(7)]
    del events[5]["time"]
    with pytest.raises(EventsRefused) as refused:
        api.send_events(events, batch_size=2)
    error = refused.value
    assert (error.status, error.code) == (417, "error.required")
    assert (error.line, error.member, error.batch_line, error.stored) == (6, "time", 2, 4)
    assert error.param == "line 2: time"
    assert "event 6 (time)" in str(error) and "4 events before it" in str(error)
    assert successes(api, 31) == 4  # the batches before it, none of its own


def test_an_event_of_several_lines_is_refused_before_its_batch_is_sent(api: Client) -> None:
    events: list[Any] = [disposition(n, 32) for n in (1, 2, 3)] + ['{"id":\n"x"}']
    with pytest.raises(ValueError, match="event 4 holds a line break"):
        api.send_events(events, batch_size=2)
    assert successes(api, 32) == 2


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A server allowing one request a second per customer: its URL and its log."""
    folder = tmp_path_factory.mktemp("limited")
    db = new_database(folder, "limited")
    create_customers(db, [(CUSTOMER, ZONE, PASSWORD)], {})
    log = folder / "server.log"
    process, url = start_server(db, ["--rate-limit", "1"], log)
    try:
        yield url, log
    finally:
        stop(process)
        drop_database(db)


def _statuses(log: Path, path: str) -> list[int]:
    lines = (orjson.loads(line) for line in log.read_bytes().splitlines()
             if line.startswith(b"{"))
    return [line["status"] for line in lines if line.get("path") == path]


def test_answers_429_are_retried_after_retry_after_and_every_event_lands_once(
        limited: tuple[str, Path]) -> None:
    url, log = limited
    events = [disposition(n, 40) for n in range(5)]
    started = time.monotonic()
    with Client(url, CUSTOMER, PASSWORD) as api:
        assert api.send_events(events, batch_size=1) == 5
        assert successes(api, 40) == 5
    statuses = _statuses(log, "/v2/events")
    assert statuses.count(200) == 5 and 429 in statuses
    assert time.monotonic() - started >= statuses.count(429) * 0.5


def test_a_client_that_may_not_retry_raises_after_the_429(limited: tuple[str, Path]) -> None:
    url, _ = limited
    with Client(url, CUSTOMER, PASSWORD, max_retries=0) as api, \
            pytest.raises(RetriesExhausted) as exhausted:
        for _ in range(20):
            api.realtime_queues()
    error = exhausted.value
    assert (error.status, error.code, error.attempts) == (429, "error.too_many_requests", 1)
    assert "gave up after 1 attempts" in str(error)
