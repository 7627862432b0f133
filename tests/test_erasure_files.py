"""An erased user's name is in no file of a DuckDB database afterwards: not in the database
file or its log (rewritten at once, or when the store is next opened if reads under way
kept it waiting), and not in a backup taken after the erasure while the file still
waited for its rewrite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Generator
from pathlib import Path

import pytest

from backends import ON_CLICKHOUSE
from ccstats.model import MappingKind, NameMapping
from ccstats.service import Service
from ccstats.store.duckdb_backup import wal_of
from ccstats.store.erasure import Scrub
from conftest import ndjson

pytestmark = pytest.mark.skipif(ON_CLICKHOUSE, reason="searches the files of a DuckDB store")

CCSTATS = Path(sys.executable).parent / "ccstats"
CUSTOMER = "erase-files"
NAME = "Zebulon Quixote-Hapsburg"
MEMBER = "SIP/zebulon-hapsburg-7"


def holds(path: Path, text: str) -> bool:
    """Whether `path`, or its write-ahead log, holds the bytes of `text`."""
    return any(found.exists() and text.encode() in found.read_bytes()
               for found in (path, wal_of(path)))


def fill(db: Path) -> None:
    """A customer with users 7 (named `NAME`, mapped from `MEMBER`) and 8, checkpointed."""
    service = Service.open(str(db))
    try:
        service.create_customer("first", "UTC", "pw")
        service.create_customer(CUSTOMER, "Europe/Budapest", "pw")
        service.ingest(CUSTOMER, ndjson(*(
            {"id": f"{user}-{n}", "type": "userstate", "state": "available",
             "start": 1_718_000_000 + n * 900, "end": 1_718_000_600 + n * 900,
             "projectId": 1, "userId": user} for user in (7, 8) for n in range(50))))
        service.save_name_mapping(CUSTOMER, NameMapping("queue_log", MappingKind.USER,
                                                        MEMBER, 7), NAME)
        service.update_user(CUSTOMER, 7, name=NAME)
    finally:
        service.close()
    assert holds(db, NAME) and holds(db, MEMBER)


def test_the_command_rewrites_the_file_at_once(tmp_path: Path) -> None:
    db = tmp_path / "erase.duckdb"
    fill(db)
    done = subprocess.run([str(CCSTATS), "user", "erase", "7", "--customer", CUSTOMER,
                           "--db", str(db)], capture_output=True, text=True, timeout=120,
                          check=False, env={**os.environ, "CCSTATS_DB": ""})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"erased user 7 ({NAME}) of {CUSTOMER}: 50 events, their sums, the name and 1 "
        "name mapping(s)", "no file of the database holds them any more"]
    assert not holds(db, NAME) and not holds(db, MEMBER) and not wal_of(db).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["erase.duckdb"]
    again = subprocess.run([str(CCSTATS), "user", "erase", "7", "--customer", CUSTOMER,
                            "--db", str(db)], capture_output=True, text=True, timeout=120,
                           check=False)
    assert again.returncode == 2 and "unknown user 7" in again.stderr


def test_an_open_store_rewrites_its_file_at_once_and_serves_on(tmp_path: Path) -> None:
    db, copy = tmp_path / "erase.duckdb", tmp_path / "after.duckdb"
    fill(db)
    service = Service.open(str(db))
    try:
        assert service.erase_user(CUSTOMER, 7).scrub is Scrub.DONE
        assert not holds(db, NAME) and not holds(db, MEMBER)
        assert [u.user_id for u in service.users(CUSTOMER)] == [8]
        assert service.event_count(CUSTOMER) == 50
        store = service._store
        assert store.scalar("SELECT count(*) FROM meta WHERE key = 'scrub_pending'") == 0
        # the rewrite keeps the sequences' values and the events' compression
        service.create_customer("third", "UTC", "pw")
        assert service.customer("third").customer_id == 3
        assert store.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'events' "
                            "AND sql LIKE '%event_id VARCHAR USING COMPRESSION ZSTD%'") == 1
        service.backup(str(copy))  # copies the new file, not the one it replaced
    finally:
        service.close()
    assert not holds(copy, NAME) and not holds(copy, MEMBER)
    backup = Service.open(str(copy))
    try:
        assert [c.name for c in backup.customers()] == ["erase-files", "first", "third"]
        assert backup.event_count(CUSTOMER) == 50
    finally:
        backup.close()


def test_a_read_under_way_leaves_the_rewrite_to_the_next_open_and_backups_are_clean(
        tmp_path: Path) -> None:
    """A read that does not end within the erasure's patience (an answer streamed to a slow
    client) keeps the file as it is: it is rewritten when next opened, and a backup taken
    meanwhile is written without the erased rows."""
    db, copy = tmp_path / "erase.duckdb", tmp_path / "after.duckdb"
    fill(db)
    service = Service.open(str(db))
    try:
        reading = service._store.events(service.customer(CUSTOMER).customer_id)
        assert isinstance(reading, Generator) and next(reading).num_rows == 100
        assert service.erase_user(CUSTOMER, 7).scrub is Scrub.PENDING
        reading.close()
        assert [u.user_id for u in service.users(CUSTOMER)] == [8]
        service.backup(str(copy))
    finally:
        service.close()
    assert holds(db, NAME)  # (DuckDB leaves deleted rows' bytes in free blocks)
    assert not holds(copy, NAME) and not holds(copy, MEMBER)
    service = Service.open(str(db))
    try:
        assert not holds(db, NAME) and not holds(db, MEMBER)
        assert [u.user_id for u in service.users(CUSTOMER)] == [8]
        assert service.event_count(CUSTOMER) == 50
    finally:
        service.close()
    backup = Service.open(str(copy))
    try:
        assert [u.user_id for u in backup.users(CUSTOMER)] == [8]
        assert backup.event_count(CUSTOMER) == 50
    finally:
        backup.close()


def test_reads_and_writes_during_the_rewrite_wait_for_it_and_succeed(tmp_path: Path) -> None:
    """Threads querying and storing all along the erasure: none fails, each read sees the
    user either wholly there or wholly gone, and every batch stored is there after."""
    db = tmp_path / "erase.duckdb"
    fill(db)
    service = Service.open(str(db))
    day = {"from": "20240610", "to": "20240610", "dimensions": "user"}
    erased = threading.Event()
    failures: list[Exception] = []
    seen: list[frozenset[int]] = []
    batches = 0

    def read() -> None:
        while not erased.is_set():
            try:
                answer = json.loads(service.query(CUSTOMER, day))["response"]
                seen.append(frozenset(record["userId"] for record in answer))
                service.event_count(CUSTOMER)
            except Exception as error:  # (collected for the assertion)
                failures.append(error)

    def write() -> None:
        nonlocal batches
        while not erased.is_set():
            try:
                service.ingest(CUSTOMER, ndjson({
                    "id": f"w-{batches}", "type": "userstate", "state": "available",
                    "start": 1_718_100_000 + batches * 60, "end": 1_718_100_030 + batches * 60,
                    "projectId": 1, "userId": 8}))
                batches += 1
            except Exception as error:
                failures.append(error)

    threads = [threading.Thread(target=read), threading.Thread(target=read),
               threading.Thread(target=write)]
    try:
        for thread in threads:
            thread.start()
        while len(seen) < 5:
            time.sleep(0.01)
        assert service.erase_user(CUSTOMER, 7).scrub is Scrub.DONE
        time.sleep(0.5)
        erased.set()
        for thread in threads:
            thread.join(timeout=60)
        assert not failures, failures
        assert service.event_count(CUSTOMER) == 50 + batches
    finally:
        erased.set()
        service.close()
    assert set(seen) == {frozenset({7, 8}), frozenset({8})}
    assert not holds(db, NAME) and not holds(db, MEMBER)
