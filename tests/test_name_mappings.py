"""Name mappings in the store: kept per customer and source, replaced by name; migration."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ccstats.model import MappingKind, NameMapping
from ccstats.service import Service
from ccstats.store.duckdb_store import SCHEMA_VERSION
from conftest import ndjson, userstate


def test_mappings_are_kept_per_customer_and_source(service: Service) -> None:
    service.create_customer("a", "UTC", "pw")
    service.create_customer("b", "UTC", "pw")
    save = service.save_name_mapping
    save("a", NameMapping("queue_log", MappingKind.USER, "SIP/2", 7), "2")
    save("a", NameMapping("queue_log", MappingKind.PROJECT, "sales", 1), "sales")
    save("a", NameMapping("other", MappingKind.USER, "SIP/2", 9), "2")
    save("a", NameMapping("queue_log", MappingKind.USER, "SIP/2", 8), "2")
    assert service.name_mappings("a", "queue_log") == [
        NameMapping("queue_log", MappingKind.PROJECT, "sales", 1),
        NameMapping("queue_log", MappingKind.USER, "SIP/2", 8),
    ]
    assert service.name_mappings("b", "queue_log") == []


def test_a_version_2_database_gains_the_table_and_keeps_its_events(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    service = Service.open(str(path))
    service.create_customer("acme", "UTC", "pw")
    service.ingest("acme", ndjson(userstate("a", "available", 1_704_103_200, 1_704_103_260)))
    params = {"from": "20240101", "to": "20240101", "dimensions": "user"}
    before = service.query("acme", params)
    service.close()
    with duckdb.connect(str(path)) as db:  # what version 2 wrote
        db.execute("DROP TABLE name_mappings")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")

    service = Service.open(str(path))
    try:
        assert service.query("acme", params) == before
        service.save_name_mapping(
            "acme", NameMapping("queue_log", MappingKind.USER, "SIP/1", 1), "1")
        assert len(service.name_mappings("acme", "queue_log")) == 1
    finally:
        service.close()
    with duckdb.connect(str(path)) as db:
        rows = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    assert rows == [(str(SCHEMA_VERSION),)]
