"""`ccstats backup` and `ccstats restore` of the embedded DuckDB store, on real servers.

A server with the operator routes takes identifiable batches from writer threads
(one project per batch, each event counting once in ``userstateAvailable``, as in
test_crash_durability) while `ccstats backup --server` runs. The backup, restored
into a new file, must hold every batch whole or not at all, every batch
acknowledged before the backup started, and, with any batch, every batch
acknowledged before that one was sent: the state of one moment between two
commits.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx
import pytest

from api import operating
from api.conftest import create_customers, start_server, stop
from api.identifiable_batches import batch_body
from api.operating import operator, write_key_file
from backends import ON_CLICKHOUSE
from ccstats.query import Endpoint
from ccstats.service import Service

pytestmark = pytest.mark.skipif(ON_CLICKHOUSE, reason="backs up a DuckDB file of its own")

CUSTOMER, ZONE, PASSWORD = "backup", "Europe/Budapest", "backup-pass"
WRITERS = 3
#: (a backup of the whole store with --db takes a while)
ccstats = partial(operating.ccstats, timeout=300)
BY_PROJECT = {"from": "20240531", "to": "20240602", "dimensions": "project",
              "fields": "userstateAvailable"}


@dataclass
class Batch:
    project: int
    size: int
    sent_after: int  # batches acknowledged when this one was sent
    acknowledged: bool = False


@dataclass
class Ledger:
    """Every batch sent, by project id; shared by the writer threads."""

    batches: dict[int, Batch] = field(default_factory=dict)
    order: list[int] = field(default_factory=list)  # projects in the order acknowledged
    failures: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    projects: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def new(self, size: int) -> Batch:
        with self.lock:
            batch = Batch(next(self.projects), size, len(self.order))
            self.batches[batch.project] = batch
            return batch

    def acknowledge(self, batch: Batch) -> None:
        with self.lock:
            batch.acknowledged = True
            self.order.append(batch.project)

    def acknowledged(self) -> int:
        with self.lock:
            return len(self.order)


def write(url: str, ledger: Ledger, seed: int, stopped: threading.Event) -> None:
    rng = random.Random(seed)
    try:
        with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=120) as client:
            while not stopped.is_set():
                batch = ledger.new(rng.choice([1, 10, 100, 1000]))
                body = batch_body(batch.project, batch.size, rng)
                response = client.post("/v2/events", content=body,
                                       headers={"Content-Type": "application/x-ndjson"})
                assert response.status_code == 200, response.text
                ledger.acknowledge(batch)
    except BaseException as failure:  # re-raised by the test thread
        ledger.failures.append(failure)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(URL, database file) of a server with the operator routes."""
    db = tmp_path / "source.duckdb"
    create_customers(str(db), [(CUSTOMER, ZONE, PASSWORD)], {})
    key_file = write_key_file(tmp_path)
    process, url = start_server(str(db), ["--rate-limit", "0", "--operator-key-file",
                                          str(key_file)], tmp_path / "server.log")
    try:
        yield url, db
    finally:
        stop(process)


def answer(db: Path, params: dict[str, str]) -> bytes:
    """What ``GET /v2/statistics/userbased`` answers with `params` on the file `db`."""
    service = Service.open(str(db))
    try:
        return b"".join(service.stream(service.plan(CUSTOMER, params, Endpoint.USERBASED)))
    finally:
        service.close()


def counts(db: Path) -> dict[int, int]:
    """Events per project in the file `db`."""
    service = Service.open(str(db))
    try:
        plan = service.plan(CUSTOMER, {**BY_PROJECT, "of": "json"}, Endpoint.USERBASED)
        body = json.loads(b"".join(service.stream(plan)))
    finally:
        service.close()
    return {record["projectId"]: record["data"][0]["count"] for record in body["response"]}


def test_a_backup_during_writes_holds_one_moment_between_commits(
        served: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = served
    ledger, stopped = Ledger(), threading.Event()
    writers = [threading.Thread(target=write, args=(url, ledger, seed, stopped))
               for seed in range(WRITERS)]
    for writer in writers:
        writer.start()
    try:
        while ledger.acknowledged() < 10 and not ledger.failures:
            threading.Event().wait(0.01)
        before = ledger.acknowledged()
        destination = tmp_path / "backup.duckdb"
        made = ccstats("backup", str(destination), "--server", url)
        after = ledger.acknowledged()
        while ledger.acknowledged() < after + 5 and not ledger.failures:
            threading.Event().wait(0.01)  # writes go on after the backup
    finally:
        stopped.set()
        for writer in writers:
            writer.join(timeout=180)
    if ledger.failures:
        raise ledger.failures[0]
    assert made.returncode == 0, made.stderr
    assert f"to {destination}" in made.stdout and " events " in made.stdout
    restored = tmp_path / "restored.duckdb"
    done = ccstats("restore", str(destination), "--db", str(restored), key=None)
    assert done.returncode == 0, done.stderr

    found = counts(restored)
    assert set(found) <= set(ledger.batches)
    for project, batch in ledger.batches.items():
        assert found.get(project, 0) in (0, batch.size), f"batch {project} is partly present"
    for project in ledger.order[:before]:
        assert project in found, f"batch {project}, acknowledged before the backup, is lost"
    for project in found:  # the state of one moment: no gap before a present batch
        sent_after = ledger.batches[project].sent_after
        missing = [p for p in ledger.order[:sent_after] if p not in found]
        assert not missing, f"batch {project} is present, but not {missing} before it"
    assert len(found) < len(ledger.batches), "the writes after the backup are in it"
    print(f"{len(ledger.batches)} batches sent, {before} acknowledged before the backup, "
          f"{len(found)} in it; {made.stdout.strip()}")


def test_b_a_stopped_database_backs_up_and_restores_with_the_same_answers(
        tmp_path: Path) -> None:
    source = tmp_path / "source.duckdb"
    create_customers(str(source), [(CUSTOMER, ZONE, PASSWORD)], {})
    service = Service.open(str(source))
    try:
        rng = random.Random(7)
        for project in range(1, 6):
            service.ingest(CUSTOMER, batch_body(project, 200, rng))
    finally:
        service.close()
    copy, restored = tmp_path / "copy.duckdb", tmp_path / "restored.duckdb"
    made = ccstats("backup", str(copy), "--db", str(source), key=None)
    assert made.returncode == 0, made.stderr
    assert "backed up 1000 events" in made.stdout
    again = ccstats("backup", str(copy), "--db", str(source), "--force", key=None)
    assert again.returncode == 0 and "backed up 1000 events" in again.stdout, again.stderr
    done = ccstats("restore", str(copy), "--db", str(restored), key=None)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"restored 1000 events into {restored}"
    for params in (BY_PROJECT, {**BY_PROJECT, "dimensions": "user,date", "of": "csv"},
                   {"from": "20240601", "to": "20240601", "dimensions": "project,user,time",
                    "of": "tab"}):
        assert answer(restored, params) == answer(source, params)


def test_c_mistakes_are_refused(served: tuple[str, Path], tmp_path: Path) -> None:
    url, db = served
    taken = tmp_path / "taken.duckdb"
    taken.write_bytes(b"not mine")
    with operator(url) as client:
        for body, says in (({"path": str(taken)}, "exists"),
                           ({"path": "relative.duckdb"}, "not an absolute path"),
                           ({"path": str(tmp_path / "no" / "such.duckdb")}, "does not exist"),
                           ({}, "path is required")):
            response = client.post("/v2/operator/backup", json=body)
            assert response.status_code == 417, response.text
            [error] = response.json()["errors"]
            assert error["param"] == "path" and says in error["message"], error
    assert taken.read_bytes() == b"not mine"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []

    refused = ccstats("backup", str(tmp_path / "x.duckdb"), "--server", url, key=None)
    assert refused.returncode == 2 and "CCSTATS_OPERATOR_KEY" in refused.stderr
    wrong = ccstats("backup", str(tmp_path / "x.duckdb"), "--server", url, key="wrong-key")
    assert wrong.returncode == 1 and "refused the operator key" in wrong.stderr
    relative = ccstats("backup", "x.duckdb", "--server", url)
    assert relative.returncode == 2 and "not an absolute path" in relative.stderr
    exists = ccstats("backup", str(taken), "--db", str(tmp_path / "other.duckdb"), key=None)
    assert exists.returncode == 2 and "exists" in exists.stderr
    other = str(tmp_path / "other.duckdb")
    itself = ccstats("backup", other, "--db", other, "--force", key=None)
    assert itself.returncode == 2 and "the database itself" in itself.stderr
    # restoring over the file of the running server
    made = ccstats("backup", str(tmp_path / "b.duckdb"), "--server", url)
    assert made.returncode == 0, made.stderr
    busy = ccstats("restore", str(tmp_path / "b.duckdb"), "--db", str(db), "--force", key=None)
    assert busy.returncode == 1 and "in use" in busy.stderr
    over = ccstats("restore", str(tmp_path / "b.duckdb"), "--db", str(taken), key=None)
    assert over.returncode == 2 and "exists" in over.stderr
    alien = ccstats("restore", str(taken), "--db", str(tmp_path / "new.duckdb"), key=None)
    assert alien.returncode == 2 and not (tmp_path / "new.duckdb").exists()
