"""The ClickHouse tables of ccstats, and `migrate`, which creates them.

Every table carries ``customer_id`` first in its sort key, and on a cluster every
table is sharded by ``customer_id``: one customer's rows (metadata, events, sums,
batch markers) all live on one shard, so a customer's query is answered by one
shard reading one contiguous key range, and the batch markers that decide what
is visible (see `ccstats.store.clickhouse_store`) sit next to the rows they
govern. Customers spread over the shards by their id, a hash of their name.

On a cluster, each server gets the local table (``<name>_local``) and a
``Distributed`` table ``<name>`` over the local tables of all shards; ccstats
reads and writes only the ``Distributed`` tables (inserts synchronously). On one
server, ``<name>`` is the MergeTree table itself.

Tables
------
``meta``         schema version.
``customers``    id (a hash of the name), name, zone; written once.
``customer_access`` allowed client networks, rate limit and retention (``keep_days``);
                 the latest version wins.
``api_keys``     salted key hashes; the latest version wins (it may say revoked).
``name_mappings`` names of outside systems → project and user ids; latest version wins.
``projects``, ``queues``, ``users``, ``presets``
                 ReplacingMergeTree rows with a ``version``; the latest version wins
                 (a preset's latest version may say it is deleted).
``batches``      batch markers: ``committed`` makes a batch's events and sums visible,
                 ``folded`` hides its sums again (they were merged into a later batch).
``events``       every stored version of every event, with its batch, its block
                 within the batch (``seq``) and a ``deleted`` flag for deletions;
                 ``t_end`` is `OPEN_END` for an interval still going on (a sentinel
                 rather than a Nullable column, which older tables would need
                 rewritten to become).
``sums``, ``sums_hour``, ``sums_day``
                 SummingMergeTree deltas per UTC quarter-hour, local hour and local
                 day, keyed by batch last: merges add up a batch's rows per key,
                 withdrawals are negative rows, and rows that reach zero disappear.
``queue_calls``  SummingMergeTree deltas of the queue calls by the UTC quarter-hour of
                 their start, project, queue, answer and wait (`ccstats.pipeline.
                 queue_call_sql`), likewise.
``live_events``  the versions of open intervals and of queue calls, by start: what the
                 real-time answers read (`ccstats.store.clickhouse_live`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from clickhouse_driver import Client

from ccstats.events import NORMALIZED_SCHEMA
from ccstats.store.clickhouse_target import Target, cluster_hosts

#: Version 2 added the queues, the queue calls and the events' ``queue_id``; version 3
#: the open intervals (``OPEN_END``) and ``live_events``; version 4 the customers'
#: ``keep_days``.
SCHEMA_VERSION = 4


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: str
    engine: str
    shard_key: str = "customer_id"
    added: tuple[tuple[str, str], ...] = ()
    """Columns (name, type) a later schema version added: a table made before it gets
    them by `migrate` (they are also in `columns`, for a new table)."""


#: The ``t_end`` of an open interval (``end`` null) in the ``events`` table: no timestamp.
OPEN_END = -1

_SUMS = "cnt Int64, secs Int64, hits Int64"
_KEY = "customer_id UInt64, project_id Int64, user_id Int64"

TABLES = (
    Table("meta", "key String, value String, version UInt64",
          "ReplacingMergeTree(version) ORDER BY key", shard_key="rand()"),
    Table("customers", "customer_id UInt64, name String, timezone String",
          "ReplacingMergeTree() ORDER BY (customer_id, name)"),
    Table("customer_access", "customer_id UInt64, networks Array(String), "
                             "rate_limit Nullable(Int32), version UInt64, "
                             "keep_days Nullable(Int32)",
          "ReplacingMergeTree(version) ORDER BY customer_id",
          added=(("keep_days", "Nullable(Int32)"),)),
    Table("api_keys", "customer_id UInt64, key_id String, salt String, digest String, "
                      "scopes Array(String), revoked UInt8, version UInt64",
          "ReplacingMergeTree(version) ORDER BY (customer_id, key_id)"),
    Table("name_mappings", "customer_id UInt64, source String, kind String, name String, "
                           "target_id Int64, version UInt64",
          "ReplacingMergeTree(version) ORDER BY (customer_id, source, kind, name)"),
    Table("projects", "customer_id UInt64, project_id Int64, name String, status String, "
                      "version UInt64",
          "ReplacingMergeTree(version) ORDER BY (customer_id, project_id)"),
    Table("queues", "customer_id UInt64, queue_id Int64, name String, status String, "
                    "version UInt64",
          "ReplacingMergeTree(version) ORDER BY (customer_id, queue_id)"),
    Table("users", "customer_id UInt64, user_id Int64, name String, kind String, "
                   "status String, version UInt64",
          "ReplacingMergeTree(version) ORDER BY (customer_id, user_id)"),
    Table("presets", "customer_id UInt64, preset_id UInt32, name String, "
                     "fields Array(String), deleted UInt8, version UInt64",
          "ReplacingMergeTree(version) ORDER BY (customer_id, preset_id)"),
    Table("batches", "customer_id UInt64, batch UInt64, state String",
          "MergeTree() ORDER BY (customer_id, batch)"),
    Table("events", "customer_id UInt64, event_id String, batch UInt64, seq UInt32, "
                    "deleted UInt8, type String, subtype Nullable(String), project_id Int64, "
                    "user_id Int64, t_start Int64, t_answer Nullable(Int64), t_end Int64, "
                    "queue_id Int64 DEFAULT 0",
          "MergeTree() ORDER BY (customer_id, event_id, batch, seq)",
          added=(("queue_id", "Int64 DEFAULT 0"),)),
    Table("sums", f"{_KEY}, qh Int32, field_id Int16, batch UInt64, {_SUMS}",
          "SummingMergeTree((cnt, secs, hits)) PARTITION BY intDiv(qh, 35040) "
          "ORDER BY (customer_id, qh, project_id, user_id, field_id, batch)"),
    Table("sums_hour", f"{_KEY}, day Int32, hour Int8, field_id Int16, batch UInt64, {_SUMS}",
          "SummingMergeTree((cnt, secs, hits)) PARTITION BY intDiv(day, 365) "
          "ORDER BY (customer_id, day, hour, project_id, user_id, field_id, batch)"),
    Table("sums_day", f"{_KEY}, day Int32, field_id Int16, batch UInt64, {_SUMS}",
          "SummingMergeTree((cnt, secs, hits)) PARTITION BY intDiv(day, 365) "
          "ORDER BY (customer_id, day, project_id, user_id, field_id, batch)"),
    Table("queue_calls", "customer_id UInt64, project_id Int64, queue_id Int64, qh Int32, "
                         "answered UInt8, wait Int32, batch UInt64, cnt Int64, talk Int64",
          "SummingMergeTree((cnt, talk)) PARTITION BY intDiv(qh, 35040) "
          "ORDER BY (customer_id, qh, project_id, queue_id, answered, wait, batch)"),
    Table("live_events", "customer_id UInt64, event_id String, batch UInt64, seq UInt32, "
                         "gone UInt8, type String, subtype Nullable(String), project_id Int64, "
                         "user_id Int64, t_start Int64, t_answer Nullable(Int64), t_end Int64, "
                         "queue_id Int64",
          "MergeTree() ORDER BY (customer_id, t_start, event_id, batch, seq)"),
)

SUMS_TABLES = ("sums", "sums_hour", "sums_day")
#: The columns of a normalized event (`ccstats.events`), as the event tables name them.
EVENT_COLUMNS = [field.name for field in NORMALIZED_SCHEMA]
#: The normalized columns as read from ``events`` or ``live_events``.
READ_EVENT_COLUMNS = ", ".join(f"nullIf(t_end, {OPEN_END}) AS t_end" if name == "t_end"
                               else name for name in EVENT_COLUMNS)


def event_values(events: pa.Table) -> list[list[Any]]:
    """The values of each of `EVENT_COLUMNS` of `events` (normalized), as the event tables
    hold them."""
    return [(events.column(name).fill_null(OPEN_END) if name == "t_end"
             else events.column(name)).to_pylist() for name in EVENT_COLUMNS]


def read_events(rows: list[Any]) -> pa.Table:
    """Normalized events from the columns of a ``SELECT {READ_EVENT_COLUMNS}``."""
    if not rows:
        return pa.Table.from_batches([], NORMALIZED_SCHEMA)
    return pa.table(dict(zip(EVENT_COLUMNS, rows, strict=True)), schema=NORMALIZED_SCHEMA)


def insert_columns(client: Client, table: str, columns: Sequence[str],
                   values: Sequence[list[Any]]) -> None:
    """Insert rows given as one list of values per column (nothing when there are none)."""
    if values and values[0]:
        client.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES", list(values),
                       columnar=True)


def local_name(table: str, target: Target) -> str:
    """The name of `table`'s MergeTree table (on every shard, on a cluster)."""
    return f"{table}_local" if target.cluster else table


def statements(target: Target) -> list[str]:
    """The DDL one server of `target` runs (idempotent)."""
    found = [f"CREATE DATABASE IF NOT EXISTS {target.database}"]
    for table in TABLES:
        local = local_name(table.name, target)
        found.append(f"CREATE TABLE IF NOT EXISTS {target.database}.{local} "
                     f"({table.columns}) ENGINE = {table.engine}")
        if target.cluster:
            found.append(
                f"CREATE TABLE IF NOT EXISTS {target.database}.{table.name} "
                f"AS {target.database}.{local} ENGINE = Distributed({target.cluster}, "
                f"{target.database}, {local}, {table.shard_key})")
    return found


def _added_columns(client: Client, target: Target) -> list[str]:
    """The DDL that gives the tables of one server the columns added since they were made
    (ClickHouse 18 has no ``ADD COLUMN IF NOT EXISTS``)."""
    found = []
    for table in TABLES:
        names = [local_name(table.name, target)] + ([table.name] if target.cluster else [])
        for name in names:
            present = {str(row[0]) for row in client.execute(
                "SELECT name FROM system.columns WHERE database = %(db)s AND table = %(t)s",
                {"db": target.database, "t": name})}
            found += [f"ALTER TABLE {target.database}.{name} ADD COLUMN {column} {kind}"
                      for column, kind in table.added if column not in present]
    return found


def migrate(target: Target) -> None:
    """Create the database and the tables on every server of `target` (or add the columns
    an older version lacks), record the version."""
    for host, port in cluster_hosts(target):
        client = target.client(host, port, database="default")
        try:
            for statement in statements(target):
                client.execute(statement)
            for statement in _added_columns(client, target):
                client.execute(statement)
        finally:
            client.disconnect()
    client = target.client()
    try:
        client.execute("INSERT INTO meta (key, value, version) VALUES",
                       [("schema_version", str(SCHEMA_VERSION), SCHEMA_VERSION)])
    finally:
        client.disconnect()


def installed_version(target: Target) -> int | None:
    """The schema version of `target`'s database, None if it has none (run `migrate`)."""
    client = target.client(database="default")
    try:
        exists = client.execute(
            "SELECT count() FROM system.tables WHERE database = %(db)s AND name = 'meta'",
            {"db": target.database})[0][0]
        if not exists:
            return None
        rows = client.execute(f"SELECT max(version) FROM {target.database}.meta "
                              "WHERE key = 'schema_version'")
        return int(rows[0][0]) if rows and rows[0][0] else None
    finally:
        client.disconnect()


def drop(target: Target) -> None:
    """Drop `target`'s database on every server (tests and teardown)."""
    for host, port in cluster_hosts(target):
        client = target.client(host, port, database="default")
        try:
            client.execute(f"DROP DATABASE IF EXISTS {target.database}")
        finally:
            client.disconnect()
