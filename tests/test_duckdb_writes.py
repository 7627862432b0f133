"""The DuckDB store's write path: temporary tables of a batch never outlive it, and the
cache follows the transactions (changes reach it when they commit, never when they roll
back)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from backends import ON_CLICKHOUSE
from ccstats.events import NORMALIZED_SCHEMA
from ccstats.model import ALL_SCOPES, ApiKey
from ccstats.store.duckdb_cache import Entities, StoreCache
from ccstats.store.duckdb_store import DuckDBStore
from ccstats.store.temp_tables import TempTables

pytestmark = pytest.mark.skipif(ON_CLICKHOUSE, reason="about the DuckDB store")

T = 1_718_000_000


def events(*rows: tuple[str, int, int]) -> pa.Table:
    """Chats (event id, project, start) of 60 seconds, numbered as lines in order."""
    table = pa.table({"event_id": [r[0] for r in rows], "type": ["chat"] * len(rows),
                      "subtype": [None] * len(rows), "project_id": [r[1] for r in rows],
                      "user_id": [1] * len(rows), "t_start": [r[2] for r in rows],
                      "t_answer": [r[2] for r in rows], "t_end": [r[2] + 60 for r in rows]},
                     schema=NORMALIZED_SCHEMA)
    return table.append_column("line_no", pa.array(range(len(rows)), pa.int64()))


def leftovers(db: duckdb.DuckDBPyConnection) -> list[str]:
    """The temporary tables and views (registered Arrow tables) of connection `db`."""
    rows = db.execute("SELECT table_name FROM duckdb_tables() WHERE temporary UNION ALL "
                      "SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal"
                      ).fetchall()
    return sorted(str(row[0]) for row in rows)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    opened = DuckDBStore(tmp_path / "s.duckdb")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def customer_id(store: DuckDBStore) -> int:
    created = store.create_customer("acme", "Europe/Budapest",
                                    ApiKey("k", bytes(16), bytes(32), ALL_SCOPES))
    assert created is not None
    return created.customer_id


def test_two_pieces_of_work_never_share_a_table_and_leave_none() -> None:
    db = duckdb.connect()
    with TempTables(db) as first, TempTables(db) as second:
        a = first.create("previous", "SELECT 1 AS x")
        b = second.create("previous", "SELECT 2 AS x")
        view = second.register("incoming", pa.table({"x": [3]}))
        assert a != b
        assert db.execute(f"SELECT x FROM {a} UNION ALL SELECT x FROM {b} "
                          f"UNION ALL SELECT x FROM {view} ORDER BY x").fetchall() == [
            (1,), (2,), (3,)]
    assert leftovers(db) == []


def test_a_failing_block_keeps_its_error_and_leaves_no_table() -> None:
    db = duckdb.connect()
    with pytest.raises(duckdb.CatalogException, match="nosuch"), TempTables(db) as temp:
        temp.create("previous", "SELECT 1 AS x")
        temp.register("incoming", pa.table({"x": [1]}))
        db.execute("SELECT * FROM nosuch")
    assert leftovers(db) == []
    # inside a transaction the error aborts it: the drop fails, the error stays
    db.execute("BEGIN TRANSACTION")
    with pytest.raises(duckdb.CatalogException, match="nosuch"), TempTables(db) as temp:
        temp.create("previous", "SELECT 1 AS x")
        db.execute("SELECT * FROM nosuch")
    db.execute("ROLLBACK")
    assert leftovers(db) == []


def test_no_temporary_table_outlives_a_write(store: DuckDBStore, customer_id: int) -> None:
    c = customer_id
    with store.writer(c) as writer:
        writer.add(events(("a", 1, T), ("b", 2, T + 900)))
    with store.writer(c) as writer:  # replaces one, stores one again unchanged, repeats one
        writer.add(events(("a", 1, T + 60), ("b", 2, T + 900), ("c", 3, T), ("c", 3, T + 5)))
    with pytest.raises(RuntimeError), store.writer(c) as writer:
        writer.add(events(("d", 4, T)))
        raise RuntimeError
    assert store.delete_event(c, "b")
    assert not store.delete_event(c, "nope")
    store.rebuild()
    store.compact()
    assert leftovers(store._db) == []
    assert sorted(e for t in store.events(c) for e in t.column("event_id").to_pylist()) == [
        "a", "c"]


def test_a_batch_rolled_back_teaches_the_cache_nothing(store: DuckDBStore,
                                                       customer_id: int) -> None:
    """The aborted batch registered project 7; the next batch must register it again."""
    c = customer_id
    with store.writer(c) as writer:
        writer.add(events(("a", 1, T)))
    with store.writer(c) as writer:
        writer.add(events(("b", 7, T)))
        writer.abort()
    with pytest.raises(RuntimeError), store.writer(c) as writer:
        writer.add(events(("b", 8, T)))
        raise RuntimeError
    assert [p.project_id for p in store.projects(c)] == [1]
    with store.writer(c) as writer:
        writer.add(events(("b", 7, T), ("e", 8, T)))
    assert [p.project_id for p in store.projects(c)] == [1, 7, 8]


def test_the_cache_takes_staged_changes_only_when_they_commit() -> None:
    loads: list[int] = []

    def load_ids(customer_id: int) -> np.ndarray:
        loads.append(customer_id)
        return np.array([5], dtype=np.uint64)

    cache = StoreCache(load_ids, lambda customer_id: Entities({1}, {1}))
    ids = np.array([9], dtype=np.uint64)
    dropped = cache.stage()
    dropped.add_ids(1, ids)
    dropped.entities_of(1).note(Entities({2}))
    assert dropped.may_hold_any(1, ids)
    assert not cache.stage().may_hold_any(1, ids)  # never committed
    assert cache.entities(1) == Entities({1}, {1})
    kept = cache.stage()
    kept.add_ids(1, ids)
    kept.entities_of(1).note(Entities({3}))
    cache.commit(kept)
    assert cache.stage().may_hold_any(1, ids)
    assert cache.entities(1) == Entities({1, 3}, {1})
    assert cache.get("k", lambda: "old") == "old"
    cache.commit(cache.stage())  # any commit forgets the metadata
    assert cache.get("k", lambda: "new") == "new"
    cache.forget()
    assert not cache.stage().may_hold_any(1, ids)  # read again from the file
    assert loads == [1, 1]
