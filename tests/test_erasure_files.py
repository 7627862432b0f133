"""An erased user's name is in no file of a DuckDB database afterwards: not in the database
file or its log (rewritten at once by ``ccstats user erase --db``, else when the store is
next opened), and not in a backup taken after the erasure while the file still waited
for its rewrite."""

from __future__ import annotations

import os
import subprocess
import sys
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


def test_an_open_store_is_rewritten_when_next_opened_and_backs_up_without_the_name(
        tmp_path: Path) -> None:
    db, copy = tmp_path / "erase.duckdb", tmp_path / "after.duckdb"
    fill(db)
    service = Service.open(str(db))
    try:
        assert service.erase_user(CUSTOMER, 7).scrub is Scrub.PENDING
        service.backup(str(copy))
    finally:
        service.close()
    assert not holds(copy, NAME) and not holds(copy, MEMBER)
    service = Service.open(str(db))
    try:
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
    finally:
        service.close()
    backup = Service.open(str(copy))
    try:
        assert [u.user_id for u in backup.users(CUSTOMER)] == [8]
        assert backup.event_count(CUSTOMER) == 50
    finally:
        backup.close()
