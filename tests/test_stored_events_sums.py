"""Sums recomputed from events at rest: several row groups, dictionary-compressed strings.

`contributions.sums_sql` joins events to the catalog's rules, then unnests the
quarter-hours of each span: the shape of a DuckDB fault of its dictionary
caching after joins ("dict-surviving cache: global dictionary column 1 changed
identity"), which invalidates the database. Here the embedded store's own paths
run it over events read back from disk after a checkpoint, in several row
groups whose ``type`` and ``subtype`` columns are dictionary-compressed:
`rebuild`, replacing stored events with other versions, and deleting events.
Each must leave the answers that storing the final events once gives.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import pytest

from backends import ON_CLICKHOUSE
from ccstats import demo, duckdb_connect
from ccstats.service import Service

pytestmark = pytest.mark.skipif(ON_CLICKHOUSE, reason="about DuckDB's storage of events")

START = dt.date(2025, 3, 3)
DAYS, AGENTS = 28, 110  # about 250,000 events: three row groups of 122,880 rows
ZONE = "Europe/Budapest"
QUERIES = (
    {"dimensions": "user,date"},  # the customer's zone by day: the local-day sums
    {"dimensions": "project,time", "interval": "15"},  # quarter-hour sums
    {"dimensions": "project,user,date,time", "timezone": "America/New_York"},
)


def generated(folder: Path, seed: int) -> Path:
    """Demo events; another seed gives other versions of mostly the same ids."""
    path = folder / f"events-{seed}.ndjson"
    demo.write_file(path, seed=seed, agents=AGENTS, projects=6, days=DAYS, start=START,
                    timezone=ZONE)
    return path


def answers(service: Service) -> list[bytes]:
    last = START + dt.timedelta(days=DAYS - 1)
    return [service.query("acme", {"from": START.strftime("%Y%m%d"),
                                   "to": last.strftime("%Y%m%d"), **options})
            for options in QUERIES]


def stored_once(db: Path, files: list[Path]) -> Service:
    """A service on a new database holding `files` imported as one batch."""
    service = Service.open(str(db))
    service.create_customer("acme", ZONE, "pw")
    assert not service.import_files("acme", files).rejected
    return service


def test_rebuild_replace_and_delete_over_dictionary_compressed_row_groups(
        tmp_path: Path) -> None:
    first, second = generated(tmp_path, 1), generated(tmp_path, 2)
    db = tmp_path / "store.duckdb"
    stored_once(db, [first]).close()  # closing checkpoints: the events are now at rest
    with duckdb_connect.connect(str(db)) as stored:
        row_groups, dictionaries = stored.execute(
            """SELECT count(DISTINCT row_group_id),
                      count(*) FILTER (column_name IN ('type', 'subtype')
                                       AND compression ILIKE '%dict%')
               FROM pragma_storage_info('events')"""
        ).fetchall()[0]
    assert row_groups >= 3 and dictionaries >= 6, (row_groups, dictionaries)
    lines = second.read_bytes().splitlines()
    gone = [orjson.loads(lines[n])["id"] for n in (0, len(lines) // 2, -1)]

    service = Service.open(str(db))
    try:
        before = answers(service)
        service.rebuild()
        assert answers(service) == before
        service.import_files("acme", [second])  # replaces most events by other versions
        replaced = answers(service)
        service.rebuild()
        assert answers(service) == replaced
        assert all(service.delete_event("acme", event) for event in gone)
        deleted = answers(service)
        service.rebuild()
        assert answers(service) == deleted
    finally:
        service.close()

    once = stored_once(tmp_path / "once.duckdb", [first, second])
    try:
        assert answers(once) == replaced
        assert all(once.delete_event("acme", event) for event in gone)
        assert answers(once) == deleted
    finally:
        once.close()
