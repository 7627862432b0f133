"""Writing events on ClickHouse: the steps of a batch, and its `Writer`.

A batch (`ccstats.store.clickhouse_batches.Batch`) is written block by block: of
each table of events the writer is given, it keeps the last line of each id, reads
the current versions of those ids (`current_versions`), appends the sums and queue-call
deltas of replacing them (`append_sums`, computed in an in-memory DuckDB with the
embedded store's SQL) and appends the new versions (`append_events`); all rows carry the
batch, which becomes visible when it commits. A deletion (`delete_event`, and
`withdraw_events` of many) is a batch of one block that withdraws the events' sums
and appends them flagged deleted.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import duckdb
import pyarrow as pa
from clickhouse_driver import Client

from ccstats import duckdb_connect
from ccstats.events import NO_ID, NORMALIZED_SCHEMA
from ccstats.model import MappingKind, NameMapping
from ccstats.store import clickhouse_entities
from ccstats.store.base import ChooseId, map_new_names
from ccstats.store.clickhouse_batches import Batch, visible_events, visible_sums
from ccstats.store.clickhouse_live import append_live
from ccstats.store.clickhouse_schema import (
    EVENT_COLUMNS,
    READ_EVENT_COLUMNS,
    SUMS_TABLES,
    event_values,
    insert_columns,
    read_events,
)
from ccstats.store.contributions import sums_sql
from ccstats.store.grains import derive_grains
from ccstats.store.queue_call_rows import (
    QUEUE_CALL_KEYS,
    QUEUE_CALL_MEASURES,
    merged_sql,
    queue_call_rows_sql,
)
from ccstats.store.selection import EventSelection
from ccstats.store.temp_tables import TempTables

#: The key columns of each sums table, besides the customer and the batch.
SUMS_KEYS = {
    "sums": ["project_id", "user_id", "qh", "field_id"],
    "sums_hour": ["project_id", "user_id", "day", "hour", "field_id"],
    "sums_day": ["project_id", "user_id", "day", "field_id"],
}
#: The tables of delta rows merged by ``SUM``: their keys (besides the customer and the
#: batch) and their measures.
DELTA_TABLES = {
    **{table: (keys, ["cnt", "secs", "hits"]) for table, keys in SUMS_KEYS.items()},
    "queue_calls": (list(QUEUE_CALL_KEYS), list(QUEUE_CALL_MEASURES)),
}


def fold_deltas_sql(table: str, customer_id: int, batch: int, condition: str = "1",
                    sign: int = 1) -> str:
    """The INSERT that adds to `batch`, for each key of delta table `table` (one of
    `DELTA_TABLES`) whose visible rows meeting `condition` do not add up to nothing, one
    row of their sum (times `sign`)."""
    key_columns, measures = DELTA_TABLES[table]
    keys, c = ", ".join(key_columns), int(customer_id)
    sums = ", ".join(f"{int(sign)} * sum({m})" for m in measures)
    return f"""INSERT INTO {table} (customer_id, {keys}, batch, {', '.join(measures)})
               SELECT customer_id, {keys}, {int(batch)}, {sums}
               FROM {table} WHERE customer_id = {c} AND {visible_sums(c)} AND {condition}
               GROUP BY customer_id, {keys}
               HAVING {' OR '.join(f"sum({m}) <> 0" for m in measures)}"""


def current_versions(client: Client, customer_id: int, event_ids: list[str] | None = None,
                     own_batch: int | None = None, condition: str | None = None) -> pa.Table:
    """The current (visible, not deleted) versions of `event_ids` (None: of every id), as
    normalized events; the rows of batch `own_batch` count as visible. With `condition`
    (SQL on the stored columns), only the current versions that meet it."""
    wanted = "" if event_ids is None else " AND event_id IN wanted"
    external = None if event_ids is None else [
        {"name": "wanted", "structure": [("event_id", "String")],
         "data": [(event_id,) for event_id in event_ids]}]
    current = f"""SELECT {READ_EVENT_COLUMNS} FROM (
                      SELECT * FROM events
                      WHERE customer_id = {int(customer_id)}{wanted}
                        AND {visible_events(customer_id, own_batch)}
                      ORDER BY event_id, batch DESC, seq DESC LIMIT 1 BY event_id)
                  WHERE deleted = 0"""
    if condition is not None:  # on the columns as read (an open end is null)
        current = f"SELECT * FROM ({current}) WHERE {condition}"
    rows = client.execute(current, columnar=True, external_tables=external)
    return read_events(rows)


def append_events(client: Client, customer_id: int, batch: int, seq: int,
                  events: pa.Table, deleted: int = 0) -> None:
    """Append `events` as block `seq` of `batch` (flagged deleted if `deleted`)."""
    n = events.num_rows
    insert_columns(
        client, "events",
        ["customer_id", "batch", "seq", "deleted", *EVENT_COLUMNS],
        [[customer_id] * n, [batch] * n, [seq] * n, [deleted] * n,
         *event_values(events)])


def append_sums(client: Client, local: duckdb.DuckDBPyConnection, customer_id: int,
                zone: str, batch: int, new: pa.Table, previous: pa.Table) -> None:
    """Append the sums deltas of replacing `previous` by `new` (either may be empty) to
    `batch`, computed in `local`."""
    with TempTables(local) as temp:
        old_events = temp.register("old_events", previous)
        new_events = temp.register("new_events", new)
        deltas = f"""SELECT project_id, user_id, qh, field_id,
                            sum(cnt) AS cnt, sum(secs) AS secs, sum(hits) AS hits
                     FROM (SELECT * FROM ({sums_sql(old_events, -1)})
                           UNION ALL SELECT * FROM ({sums_sql(new_events)}))
                     GROUP BY ALL
                     HAVING sum(cnt) <> 0 OR sum(secs) <> 0 OR sum(hits) <> 0"""
        grains = derive_grains(temp, zone, deltas)
        for table, delta in zip(SUMS_TABLES, grains, strict=True) if grains else ():
            _insert_deltas(client, local, customer_id, batch, table, delta)
        queue_calls = local.sql(merged_sql([queue_call_rows_sql(old_events, -1),
                                            queue_call_rows_sql(new_events)])).to_arrow_table()
        _insert_table(client, "queue_calls", customer_id, batch, queue_calls)


def _insert_table(client: Client, table: str, customer_id: int, batch: int,
                  rows: pa.Table) -> None:
    """Insert `rows` (named as the columns of ClickHouse table `table`) into it."""
    n = rows.num_rows
    insert_columns(client, table, ["customer_id", "batch", *rows.column_names],
                   [[customer_id] * n, [batch] * n, *(c.to_pylist() for c in rows.columns)])


def _insert_deltas(client: Client, local: duckdb.DuckDBPyConnection, customer_id: int,
                   batch: int, table: str, delta: str) -> None:
    """Insert the rows of `delta` (a table of `local`) into sums table `table`."""
    found = local.sql(
        f"SELECT {', '.join(SUMS_KEYS[table])}, cnt::BIGINT AS cnt, "
        f"secs::BIGINT AS secs, hits::BIGINT AS hits FROM {delta}").to_arrow_table()
    _insert_table(client, table, customer_id, batch, found)


def delete_event(client: Client, customer_id: int, zone: str, event_id: str) -> bool:
    """Withdraw event `event_id` in a batch of its own; False if it is not stored."""
    previous = current_versions(client, customer_id, [event_id])
    withdraw(client, customer_id, zone, previous)
    return bool(previous.num_rows > 0)


def withdraw_events(client: Client, customer_id: int, zone: str,
                    selection: EventSelection) -> int:
    """Withdraw the current events `selection` takes in a batch of its own; how many."""
    previous = current_versions(client, customer_id, condition=selection.condition())
    withdraw(client, customer_id, zone, previous)
    return int(previous.num_rows)


def withdraw(client: Client, customer_id: int, zone: str, previous: pa.Table) -> None:
    """Append `previous` (current versions) flagged deleted, and the withdrawal of their
    sums, as one batch that commits (nothing if `previous` is empty)."""
    if not previous.num_rows:
        return
    batch = Batch(client, customer_id)
    with duckdb_connect.connect() as local:
        append_sums(client, local, customer_id, zone, batch.batch, previous.slice(0, 0),
                    previous)
    seq = batch.next_block()
    append_events(client, customer_id, batch.batch, seq, previous, deleted=1)
    append_live(client, customer_id, batch.batch, seq, previous.slice(0, 0), previous)
    batch.commit()


def _latest(local: duckdb.DuckDBPyConnection, events: pa.Table) -> pa.Table:
    """`events` (normalized, without line numbers), of an id repeated only its last line."""
    with TempTables(local) as temp:
        source = temp.register("incoming", events)
        repeats = local.execute(
            f"SELECT count(*) <> count(DISTINCT event_id) FROM {source}").fetchall()[0][0]
        if repeats:
            source = temp.create(
                "latest", f"""SELECT * FROM {source} QUALIFY row_number()
                              OVER (PARTITION BY event_id ORDER BY line_no DESC) = 1""")
        return local.sql(f"SELECT {', '.join(EVENT_COLUMNS)} FROM {source}").to_arrow_table()


class Writer:
    """`ccstats.store.base.EventWriter` of one open batch (see `clickhouse_batches`).

    `metadata_lock` is the store's lock of metadata changes, held while the batch's
    name mappings are written.
    """

    def __init__(self, client: Client, customer_id: int, zone: str,
                 metadata_lock: threading.Lock) -> None:
        self._client = client
        self._customer_id = customer_id
        self._zone = zone
        self._metadata_lock = metadata_lock
        self.batch = Batch(client, customer_id)
        self._local = duckdb_connect.connect()
        self._had_events = bool(client.execute(
            "SELECT count() FROM (SELECT 1 FROM events WHERE customer_id = %(c)s LIMIT 1)",
            {"c": customer_id})[0][0])
        self.projects: set[int] = set()
        self.users: set[int] = set()
        self.queues: set[int] = set()
        # the batch's new name mappings, each with the name of the project or user it
        # creates (None: its id has one)
        self._mappings: list[tuple[NameMapping, str | None]] = []
        self.aborted = False

    def add(self, events: pa.Table) -> None:
        if self.aborted or not events.num_rows:
            return
        new = _latest(self._local, events)
        seq = self.batch.next_block()
        batch = self.batch.batch
        # (the first block of a customer without events has nothing to replace)
        previous = (current_versions(self._client, self._customer_id,
                                     new.column("event_id").to_pylist(), batch)
                    if self._had_events or seq > 0
                    else pa.Table.from_batches([], NORMALIZED_SCHEMA))
        append_sums(self._client, self._local, self._customer_id, self._zone, batch, new,
                    previous)
        append_events(self._client, self._customer_id, batch, seq, new)
        append_live(self._client, self._customer_id, batch, seq, new, previous)
        self.projects.update(new.column("project_id").unique().to_pylist())
        self.users.update(new.column("user_id").unique().to_pylist())
        self.queues.update(new.column("queue_id").unique().to_pylist())

    def map_names(self, source: str, kind: MappingKind, names: Sequence[str],
                  choose: ChooseId) -> dict[str, int]:
        """Reads the stored mappings and ids; the new mappings wait for `commit`."""
        client, c = self._client, self._customer_id
        mapped = clickhouse_entities.stored_mappings(client, c, source, kind)
        taken = clickhouse_entities.entity_ids(client, c, kind) | (
            self.projects if kind is MappingKind.PROJECT else self.users)
        for mapping, _ in self._mappings:
            if (mapping.source, mapping.kind) == (source, kind):
                mapped[mapping.name] = mapping.target_id
                taken.add(mapping.target_id)

        def save(name: str, target: int, title: str | None) -> None:
            self._mappings.append((NameMapping(source, kind, name, target), title))

        return map_new_names(names, mapped, taken, choose, save)

    def abort(self) -> None:
        self.aborted = True

    def commit(self) -> None:
        if self.batch.blocks or self._mappings:  # (an empty batch has nothing to show)
            self.batch.commit(before_marker=self._write_metadata)

    def _write_metadata(self) -> None:
        """The batch's name mappings and their projects and users, then the projects and
        users its events name that are still unknown."""
        if self._mappings:
            with self._metadata_lock:
                clickhouse_entities.insert_mappings(self._client, self._customer_id,
                                                    self._mappings)
        clickhouse_entities.register(self._client, self._customer_id, self.projects,
                                     self.users - {NO_ID}, self.queues - {NO_ID})

    def close(self) -> None:
        self._local.close()
