"""Crash durability: the server is SIGKILLed during continuous ingestion, several times.

Every round starts ``ccstats serve`` on the same database file, runs writer threads
that post batches one after another, kills the server with SIGKILL at a random
moment (after a random number of acknowledged batches, plus a random fraction of a
second, so that the kill often lands inside a write), restarts it and checks every
batch sent so far. A batch is identifiable: its events, and only they, belong to
its own project, and each counts once in ``userstateAvailable``. So the count of
that field per project says whether a batch is fully present, absent or partial.

- every acknowledged (200) batch is fully present, and its project listed;
- no batch is partly present: one whose answer never came is present whole or
  absent whole (and its project listed exactly when its events are there).

At the end the sums are recomputed from the raw events (``ccstats rebuild``): the
answers must not change, so the sums that survived the crashes match the events.
No assertion depends on timing; waits are bounded by counts and generous timeouts.
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from api.conftest import CCSTATS, create_customers, start_server, stop
from api.identifiable_batches import batch_body
from backends import ON_CLICKHOUSE

CUSTOMER, ZONE, PASSWORD = "crash", "Europe/Budapest", "crash-pass"
ROUNDS = 4
WRITERS = 3
STATS = ("/v2/statistics/userbased?from=20240531&to=20240602&dimensions=project"
         "&fields=userstateAvailable")


@dataclass
class Batch:
    project: int
    size: int
    acknowledged: bool = False


@dataclass
class Ledger:
    """Every batch sent, by project id; shared by the writer threads."""

    batches: dict[int, Batch] = field(default_factory=dict)
    acknowledged: int = 0
    failures: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    projects: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def new(self, size: int) -> Batch:
        with self.lock:
            batch = Batch(next(self.projects), size)
            self.batches[batch.project] = batch
            return batch

    def acknowledge(self, batch: Batch) -> None:
        with self.lock:
            batch.acknowledged = True
            self.acknowledged += 1


class Server:
    """``ccstats serve`` on one database file, started again after each kill."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db = folder / "ccstats.duckdb"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.starts = 0

    def start(self) -> str:
        self.starts += 1
        self.process, self.url = start_server(
            str(self.db), [], self.folder / f"server-{self.starts}.log")
        return self.url

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop(self.process)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    create_customers(str(tmp_path / "ccstats.duckdb"), [(CUSTOMER, ZONE, PASSWORD)], {})
    running = Server(tmp_path)
    try:
        yield running
    finally:
        running.stop()


def write(url: str, ledger: Ledger, seed: float, stopped: threading.Event) -> None:
    """Post batches until the server is gone (or `stopped`); sizes from 1 to 1,000.

    Anything but a 200 or a broken connection is kept in `ledger.failures`.
    """
    rng = random.Random(seed)
    try:
        with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=120) as client:
            while not stopped.is_set():
                batch = ledger.new(rng.choice([1, 10, 100, 1000]))
                body = batch_body(batch.project, batch.size, rng)
                try:
                    response = client.post("/v2/events", content=body,
                                           headers={"Content-Type": "application/x-ndjson"})
                except httpx.TransportError:
                    return
                assert response.status_code == 200, response.text
                assert response.json() == {"response": {"stored": batch.size}, "errors": []}
                ledger.acknowledge(batch)
    except BaseException as failure:  # re-raised by the test thread
        ledger.failures.append(failure)


def present(url: str) -> tuple[dict[int, int], set[int]]:
    """(events per project, listed projects) as the restarted server answers."""
    with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=120) as client:
        stats = client.get(STATS)
        assert stats.status_code == 200, stats.text
        counts = {record["projectId"]: record["data"][0]["count"]
                  for record in stats.json()["response"]}
        projects = client.get("/v2/projects")
        assert projects.status_code == 200, projects.text
        listed = {project["projectid"] for project in projects.json()["response"]}
    return counts, listed


def check(ledger: Ledger, url: str) -> tuple[int, int]:
    """Assert whole-or-nothing for every batch; (acknowledged, unacknowledged present)."""
    counts, listed = present(url)
    assert set(counts) <= set(ledger.batches), "events of a project that was never sent"
    extra = 0
    for project, batch in ledger.batches.items():
        found = counts.get(project, 0)
        assert found in (0, batch.size), f"batch {project}: {found} of {batch.size} events"
        assert (project in listed) == (found > 0), f"batch {project}: project registered alone"
        if batch.acknowledged:
            assert found == batch.size, f"acknowledged batch {project} lost"
        elif found:
            extra += 1
    return sum(b.acknowledged for b in ledger.batches.values()), extra


@pytest.mark.skipif(ON_CLICKHOUSE, reason="kills a server on a DuckDB file of its own")
def test_acknowledged_batches_survive_sigkill_whole(server: Server) -> None:
    rng = random.Random(20240601)
    ledger = Ledger()
    url = server.start()
    for round_number in range(ROUNDS):
        start_acks = ledger.acknowledged
        stopped = threading.Event()
        writers = [threading.Thread(target=write, args=(url, ledger, rng.random(), stopped))
                   for _ in range(WRITERS)]
        for writer in writers:
            writer.start()
        target = start_acks + rng.randrange(1, 12)
        while ledger.acknowledged < target and any(w.is_alive() for w in writers):
            threading.Event().wait(0.01)
        threading.Event().wait(rng.uniform(0, 0.5))
        server.kill()
        stopped.set()
        for writer in writers:
            writer.join(timeout=180)
            assert not writer.is_alive()
        if ledger.failures:
            raise ledger.failures[0]
        assert ledger.acknowledged >= target, f"round {round_number}: the writers stopped"
        url = server.start()
        acknowledged, extra = check(ledger, url)
        print(f"round {round_number}: {len(ledger.batches)} batches sent, {acknowledged} "
              f"acknowledged and present, {extra} unacknowledged present whole")

    before = present(url)
    server.stop()
    rebuilt = subprocess.run([str(CCSTATS), "rebuild", "--db", str(server.db)],
                             capture_output=True, text=True, timeout=300, check=False)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert present(server.start()) == before


@pytest.mark.skipif(ON_CLICKHOUSE, reason="kills a server on a DuckDB file of its own")
def test_closing_events_survive_sigkill(server: Server) -> None:
    """Agents go online (open userstates), then their states are closed one batch at a
    time; the server is killed right after a closing is acknowledged. Restarted, it
    shows no closed agent online, and the closed intervals count in the statistics."""
    rng = random.Random(20261206)
    now = int(time.time())
    agents = range(1, 41)
    url = server.start()
    with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=120) as client:
        opened = client.post("/v2/events", json=[
            {"id": f"live-{u}", "type": "userstate", "state": "available", "start": now - 600,
             "end": None, "projectId": 500, "userId": u} for u in agents])
        assert opened.status_code == 200, opened.text
    closed: list[int] = []
    for _ in range(ROUNDS):
        with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=120) as client:
            for _ in range(rng.randrange(1, 6)):
                user = len(closed) + 1
                closing = client.post("/v2/events", json=[{
                    "id": f"live-{user}", "type": "userstate", "state": "available",
                    "start": now - 600, "end": now - 60, "projectId": 500, "userId": user}])
                assert closing.status_code == 200, closing.text
                closed.append(user)
        server.kill()
        url = server.start()
    with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=120) as client:
        online = {r["userId"] for r in client.get("/v2/onlineusers").json()["response"]}
        counted = client.get("/v2/statistics/userbased", params={  # (any zone's today)
            "from": time.strftime("%Y%m%d", time.gmtime(now - 86_400)),
            "to": time.strftime("%Y%m%d", time.gmtime(now + 86_400)),
            "dimensions": "user", "fields": "userstateAvailable", "projects": "500"}).json()
    assert online == set(agents) - set(closed)
    assert {r["userId"] for r in counted["response"]} == set(closed)
