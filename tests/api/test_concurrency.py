"""Writers and readers in parallel against the real server; the end state equals the oracle.

`WRITERS` threads each post `BATCHES` batches of random valid events of every type
(and now and then delete one of their events), while `READERS` threads ask for
statistics in every format, dimension order, slot length and zone, and for the
project and user lists, until the writers are done. Every answer must be a 200
and well-formed. The writers share projects and users, so their events meet in
the same sums; each writer has ids of its own, which its batches replace (also
within one batch), so the order in which a writer's operations took effect is
the order it sent them. The events fall around the end of daylight saving time
in New York (the customer's zone), where one local hour happens twice.

At the end, the statistics must equal what `oracle.py` computes from every
acknowledged operation, in several shapes.
"""

from __future__ import annotations

import csv
import io
import json
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from oracle import CATALOG, Event, Op, apply_ops, expected_csv, expected_response

CUSTOMER, ZONE, PASSWORD = "busy", "America/New_York", "busy-pass"
WRITERS = 3
READERS = 2
BATCHES = 12
IDS_PER_WRITER = 25
STATS = "/v2/statistics/userbased"
FIRST, LAST = date(2024, 11, 2), date(2024, 11, 4)
#: New York falls back at 2024-11-03T06:00Z (02:00 EDT becomes 01:00 EST); local midnights.
ANCHORS = [int(datetime(2024, 11, 3, 6, tzinfo=UTC).timestamp()),
           *(int(datetime(2024, 11, day, tzinfo=ZoneInfo(ZONE)).timestamp()) for day in (3, 4))]
DIMENSIONS = ["project", "user", "date", "time"]


def stamp(rng: random.Random, second: int) -> int | str:
    """`second` as epoch seconds or as ISO-8601 with some offset."""
    if rng.random() < 0.5:
        return second
    offset = timezone(timedelta(minutes=rng.choice([0, -300, -240, 60, 330])))
    return datetime.fromtimestamp(second, offset).isoformat()


def random_event(rng: random.Random, event_id: str) -> Event:
    """A valid event of any type near one of the `ANCHORS`."""
    start = rng.choice(ANCHORS) + rng.randrange(-3 * 3600, 3 * 3600)
    end = start + rng.choice([0, 60, 900, rng.randrange(0, 7200)])
    kind = rng.choice(["userstate", "call", "disposition", "email", "ticket", "chat"])
    event: Event = {"id": event_id, "type": kind, "projectId": rng.randrange(1, 4),
                    "userId": rng.randrange(1, 5)}
    if kind == "userstate":
        event["state"] = rng.choice(["available", "call", "afterwork", "break", "ringing"])
    elif kind == "call":
        event["direction"] = rng.choice(["in", "out"])
        event["answer"] = stamp(rng, rng.randrange(start, end + 1)) if rng.random() < 0.6 else None
    elif kind == "disposition":
        event["status"] = rng.choice(["success", "recall", "failed", "reachFailed"])
    elif kind == "email":
        event["direction"] = rng.choice(["sent", "received"])
    elif kind == "ticket":
        event["action"] = rng.choice(["created", "closed"])
    if kind in ("disposition", "email", "ticket"):
        event["time"] = stamp(rng, start)
    else:
        event["start"], event["end"] = stamp(rng, start), stamp(rng, end)
    return event


@dataclass
class Run:
    """What the threads did: each writer's acknowledged operations, reads, failures."""

    ops: dict[int, list[Op]] = field(default_factory=dict)
    reads: int = 0
    failures: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def write(url: str, writer: int, run: Run) -> None:
    rng = random.Random(writer)
    ops: list[Op] = []
    ids = [f"w{writer}-{n}" for n in range(IDS_PER_WRITER)]
    try:
        with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=120) as client:
            for _ in range(BATCHES):
                events = [random_event(rng, rng.choice(ids))
                          for _ in range(rng.randrange(1, 40))]
                if rng.random() < 0.5:
                    response = client.post("/v2/events", json=events)
                else:
                    response = client.post(
                        "/v2/events", headers={"Content-Type": "application/x-ndjson"},
                        content="".join(json.dumps(e) + "\n" for e in events).encode())
                assert response.json() == {"response": {"stored": len(events)}, "errors": []}
                ops.extend(("put", event) for event in events)
                if rng.random() < 0.3:
                    gone = rng.choice(ids)
                    deleted = client.delete(f"/v2/events/{gone}")
                    assert deleted.status_code in (200, 404), deleted.text
                    ops.append(("delete", gone))
    except BaseException as failure:  # re-raised by the test thread
        with run.lock:
            run.failures.append(failure)
    with run.lock:
        run.ops[writer] = ops


def check_answer(response: httpx.Response, params: dict[str, str]) -> None:
    """A 200 whose body is well-formed for the requested format."""
    assert response.status_code == 200, response.text
    if params.get("of", "json") == "json":
        document = json.loads(response.content, object_pairs_hook=list)
        assert [key for key, _ in document] == ["response", "errors"]
        body = response.json()
        assert body["errors"] == []
        for record in body["response"]:
            assert list(record)[-2:] == ["data", "level"]
            assert record["level"] == len(params["dimensions"].split(",")) - 1
            assert {entry["field"] for entry in record["data"]} <= set(CATALOG)
    else:
        delimiter = "," if params["of"] == "csv" else "\t"
        rows = list(csv.reader(io.StringIO(response.text), delimiter=delimiter))
        width = len(params["dimensions"].split(",")) + 4
        assert rows[0][-4:] == ["level", "field", "count", "sum"]
        assert all(len(row) == width for row in rows), response.text[:500]


def read(url: str, reader: int, writers: list[threading.Thread], run: Run) -> None:
    """Ask random questions until the writers are done (at least 20, at most 5,000)."""
    rng = random.Random(100 + reader)
    try:
        with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=120) as client:
            for asked in range(5000):
                if asked >= 20 and not any(writer.is_alive() for writer in writers):
                    break
                if rng.random() < 0.1:
                    path = rng.choice(["/v2/projects", "/v2/users"])
                    listed = client.get(path)
                    assert listed.status_code == 200, listed.text
                    assert listed.json()["errors"] == []
                    continue
                dimensions = rng.sample(DIMENSIONS, rng.randrange(1, 5))
                params = {"from": "20241102", "to": "20241104",
                          "dimensions": ",".join(dimensions),
                          "of": rng.choice(["json", "csv", "tab"]),
                          "interval": rng.choice(["15", "30", "60"]),
                          "timezone": rng.choice([ZONE, "UTC", "Asia/Kathmandu"])}
                check_answer(client.get(STATS, params=params), params)
                with run.lock:
                    run.reads += 1
    except BaseException as failure:  # re-raised by the test thread
        with run.lock:
            run.failures.append(failure)


@pytest.fixture(scope="module")
def accounts() -> list[tuple[str, str, str]]:
    return [(CUSTOMER, ZONE, PASSWORD)]


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, auth=(CUSTOMER, PASSWORD), timeout=120) as opened:
        yield opened


def expected(stored: dict[str, Event], zone: str, interval: int,
             dimensions: list[str]) -> list[dict[str, Any]]:
    return expected_response(stored.values(), zone=zone, interval=interval, date_from=FIRST,
                             date_to=LAST, dimensions=dimensions, fields=None, projects=None,
                             users=None)


def test_parallel_writers_and_readers_end_at_the_oracle(server: str,
                                                        client: httpx.Client) -> None:
    run = Run()
    writers = [threading.Thread(target=write, args=(server, n, run)) for n in range(WRITERS)]
    readers = [threading.Thread(target=read, args=(server, n, writers, run))
               for n in range(READERS)]
    for thread in [*writers, *readers]:
        thread.start()
    for thread in [*writers, *readers]:
        thread.join(timeout=600)
        assert not thread.is_alive()
    if run.failures:
        raise run.failures[0]
    assert run.reads > 0
    stored = apply_ops(op for writer in sorted(run.ops) for op in run.ops[writer])
    assert stored

    for zone, interval, dimensions in [
        (ZONE, 60, ["project", "user", "date", "time"]),
        (ZONE, 15, ["time", "user"]),
        ("UTC", 30, ["date", "project", "time"]),
        ("Asia/Kathmandu", 60, ["user", "date"]),
    ]:
        params = {"from": "20241102", "to": "20241104", "dimensions": ",".join(dimensions),
                  "interval": str(interval), "timezone": zone}
        response = client.get(STATS, params=params)
        assert response.status_code == 200, response.text
        assert response.json()["response"] == expected(stored, zone, interval, dimensions)
    params = {"from": "20241102", "to": "20241104", "dimensions": "project,date,time",
              "of": "csv"}
    response = client.get(STATS, params=params)
    assert response.text == expected_csv(
        expected(stored, ZONE, 60, ["project", "date", "time"]), ["project", "date", "time"],
        ",")
    print(f"{sum(len(ops) for ops in run.ops.values())} operations, {len(stored)} events "
          f"stored, {run.reads} reads")
