"""The server store: metadata, raw events and sums in ClickHouse, one server or a cluster.

Tables and sharding are described in `ccstats.store.clickhouse_schema`, atomic
batches and read-your-writes in `ccstats.store.clickhouse_batches`. The sums of a
batch are computed where the events are (an in-memory DuckDB of this process,
with the same SQL as the embedded store: `ccstats.store.contributions`,
`ccstats.store.grains`) and appended as delta rows; statistics come from the
pipeline of `ccstats.pipeline`, whose statements this store runs.

Concurrent changes of metadata
------------------------------
ClickHouse has no transaction and no compare-and-set on rows. Within one
process, every metadata change that depends on what is stored (creating a
project or user, changing some of its members, revoking a key, adding a key below
the limit, storing name mappings and their projects and users, presets) runs
under one lock, so concurrent requests to one process are serialised; batches,
which give new names their ids (`clickhouse_writes.Writer.map_names`), are written
one at a time.
Across processes:

- **Creating a customer** is safe: the name is claimed first with DDL, which is
  atomic (`ccstats.store.clickhouse_claims`); of any number of creators exactly
  one gets the customer and its key.
- **Revoking a key** is safe: the revocation is written, then checked, and
  undone if no admin key is left (`ccstats.store.clickhouse_keys`).
- **Projects and users registered by a batch** never overwrite a name or status
  set on purpose, whichever process wrote it and in whatever order
  (`ccstats.store.clickhouse_entities`).
- **Remaining races across processes** (two processes at the same moment):
  both may create the same project, user or preset id (the later row wins,
  while both were told they created it); two changes of different members of
  one project or user may lose one (each writes the whole row it read); two
  `queue_log` importers of one customer may give the same new id to different
  queues or members; two key creations may pass the limit of keys by one. No
  primitive of ClickHouse 18.16 makes these atomic without a lock server: make
  such changes through one process (the API of one server) and run one
  importer per customer.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
from clickhouse_driver import Client
from clickhouse_driver.errors import Error as ClickHouseError
from clickhouse_driver.errors import NetworkError, SocketTimeoutError

from ccstats import duckdb_connect
from ccstats.errors import InvalidRequest, StoreBusy, StoreUnavailable, bad_arguments
from ccstats.model import (
    ApiKey,
    Customer,
    MappingKind,
    NameMapping,
    Preset,
    Project,
    Queue,
    Status,
    User,
    UserKind,
)
from ccstats.pipeline.dialect import CLICKHOUSE
from ccstats.pipeline.sql import Statement
from ccstats.retention import Cutoff
from ccstats.store import (
    clickhouse_entities,
    clickhouse_erasure,
    clickhouse_keys,
    clickhouse_live,
    clickhouse_retention,
    clickhouse_schema,
    clickhouse_writes,
)
from ccstats.store.base import Revocation
from ccstats.store.clickhouse_batches import (
    Batch,
    last_committed,
    tick,
    visible_events,
    visible_sums,
)
from ccstats.store.clickhouse_claims import claim, claim_table
from ccstats.store.clickhouse_schema import local_name
from ccstats.store.clickhouse_target import (
    NOT_SET_UP,
    ClientPool,
    Target,
    cluster_hosts,
    unreachable,
)
from ccstats.store.clickhouse_writes import DELTA_TABLES, Writer, fold_deltas_sql
from ccstats.store.erasure import Erasure
from ccstats.store.metadata_cache import MetadataCache
from ccstats.store.selection import EventSelection

#: Cells fetched from the server at a time, and rendered together.
CELLS_PER_BATCH = 65_536
#: A customer's networks and rate limit, once read, are used for this long (other
#: processes' changes arrive within it; this process's own at once).
ACCESS_SECONDS = 10.0

def customer_id_of(name: str) -> int:
    """A customer's id: 63 bits of a hash of its name (no allocation, spreads over shards)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


class ClickHouseStore:
    """`ccstats.store.base.Store` on a ClickHouse server or cluster (see the module docstring)."""

    def __init__(self, url: str) -> None:
        self.target = Target.parse(url)
        try:
            self._version = clickhouse_schema.installed_version(self.target)
        except (ClickHouseError, OSError) as error:
            raise unreachable(self.target, error) from None
        self._pool = ClientPool(self.target)
        self._write_lock = threading.Lock()
        # Changes of metadata that read before they write (see the module docstring).
        self._metadata_lock = threading.Lock()
        self._customers: dict[str, Customer] = {}
        # customer id -> (networks, rate limit, keep days)
        self._access: MetadataCache[int, tuple[tuple[str, ...], int | None, int | None]] = \
            MetadataCache(max_age=ACCESS_SECONDS)

    def migrate(self) -> None:
        clickhouse_schema.migrate(self.target)
        self._version = clickhouse_schema.SCHEMA_VERSION

    @contextmanager
    def _connection(self) -> Iterator[Client]:
        if self._version is None:
            raise StoreUnavailable(NOT_SET_UP, f"the ClickHouse database {self.target.database!r} "
                                   "has no ccstats tables; create them with: ccstats migrate "
                                   f"--db '{self.target.redacted}'")
        if self._version < clickhouse_schema.SCHEMA_VERSION:
            raise StoreUnavailable(NOT_SET_UP, f"the ClickHouse database {self.target.database!r} "
                                   "was set up by an older ccstats; bring it up to date with: "
                                   f"ccstats migrate --db '{self.target.redacted}'")
        try:
            with self._pool.connection() as client:
                yield client
        except (NetworkError, SocketTimeoutError, OSError) as error:
            raise unreachable(self.target, error) from error

    def _rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        with self._connection() as client:
            rows: list[tuple[Any, ...]] = client.execute(sql, params or {})
            return rows

    def close(self) -> None:
        self._pool.close()

    def backup(self, destination: Path) -> int:
        """Refused: ClickHouse is backed up with its own tools (docs/clickhouse.md)."""
        raise InvalidRequest([bad_arguments(
            "path", "ccstats backup copies the embedded DuckDB store only; back up "
                    "ClickHouse with its own tools (BACKUP DATABASE ... TO, clickhouse-backup, "
                    "ALTER TABLE ... FREEZE): see docs/clickhouse.md")])

    # customers and keys -------------------------------------------------------------
    def create_customer(self, name: str, timezone: str, key: ApiKey) -> Customer | None:
        """Claim the name (`ccstats.store.clickhouse_claims`), then write the key and the
        customer, which makes both visible: no other key can be added before the first.

        A customer made before names were claimed has no claim: its row is looked for
        after the claim. Keys of the customer's id that a creation left when it was
        interrupted (and its claim dropped) are revoked first. Creators in this
        process take turns, so that the later one finds the customer rather than a
        claim without it.
        """
        customer = Customer(customer_id_of(name), name, timezone)
        claim_name = f"customer_{customer.customer_id}"
        with self._metadata_lock, self._connection() as client:
            claimed = claim(self.target, claim_name)
            exists = client.execute("SELECT count() FROM customers WHERE customer_id = %(c)s",
                                    {"c": customer.customer_id})[0][0]
            if exists:
                return None
            if not claimed:
                raise StoreBusy(
                    f"customer {name!r} is being created by another process; if none is, "
                    f"its creation was interrupted: drop the table "
                    f"{claim_table(self.target, claim_name)} (on the first server of the "
                    "cluster) to free the name")
            clickhouse_keys.revoke_all(client, customer.customer_id)
            clickhouse_keys.add(client, customer.customer_id, key)
            client.execute("INSERT INTO customers (customer_id, name, timezone) VALUES",
                           [(customer.customer_id, name, timezone)])
        return customer

    def customer(self, name: str) -> Customer | None:
        found = self._customers.get(name)
        if found is None:
            rows = self._rows("SELECT customer_id, name, timezone FROM customers "
                              "WHERE customer_id = %(c)s AND name = %(n)s LIMIT 1",
                              {"c": customer_id_of(name), "n": name})
            if rows:  # a customer's id and zone never change: remember them
                found = self._customers[name] = Customer(int(rows[0][0]), rows[0][1],
                                                         rows[0][2])
        return None if found is None else self._with_access(found)

    def customers(self) -> list[Customer]:
        rows = self._rows("SELECT customer_id, name, any(timezone) FROM customers "
                          "GROUP BY customer_id, name ORDER BY name")
        return [self._with_access(Customer(int(r[0]), r[1], r[2])) for r in rows]

    def _with_access(self, customer: Customer) -> Customer:
        """`customer` with its networks, rate limit and retention (read again after
        `ACCESS_SECONDS`)."""
        networks, rate_limit, keep_days = self._access.get(
            customer.customer_id, lambda: self._load_access(customer.customer_id))
        return dataclasses.replace(customer, networks=networks, rate_limit=rate_limit,
                                   keep_days=keep_days)

    def _load_access(self, customer_id: int
                     ) -> tuple[tuple[str, ...], int | None, int | None]:
        # (argMax skips the rows whose value is NULL, so the default is read as -1: else a
        # rate limit or retention set back to the default would not be seen)
        rows = self._rows("SELECT count(), argMax(networks, version), "
                          "argMax(ifNull(rate_limit, -1), version), "
                          "argMax(ifNull(keep_days, -1), version) "
                          "FROM customer_access WHERE customer_id = %(c)s", {"c": customer_id})
        if not rows or not rows[0][0]:
            return (), None, None
        _, networks, rate_limit, keep_days = rows[0]
        return (tuple(networks), None if rate_limit < 0 else int(rate_limit),
                None if keep_days < 0 else int(keep_days))

    def set_access(self, customer_id: int, networks: tuple[str, ...],
                   rate_limit: int | None, keep_days: int | None) -> None:
        with self._connection() as client:
            client.execute(
                "INSERT INTO customer_access (customer_id, networks, rate_limit, keep_days, "
                "version) VALUES", [(customer_id, list(networks), rate_limit, keep_days,
                                     tick())])
        self._access.invalidate()

    def add_key(self, customer_id: int, key: ApiKey, limit: int | None = None) -> bool:
        with self._metadata_lock, self._connection() as client:
            if limit is not None and len(clickhouse_keys.current(client, customer_id)) >= limit:
                return False
            clickhouse_keys.add(client, customer_id, key)
        return True

    def keys(self, customer_id: int) -> list[ApiKey]:
        with self._connection() as client:
            return clickhouse_keys.current(client, customer_id)

    def revoke_key(self, customer_id: int, key_id: str) -> Revocation:
        """Write, then check (`ccstats.store.clickhouse_keys`)."""
        with self._metadata_lock, self._connection() as client:
            return clickhouse_keys.revoke(client, customer_id, key_id)

    # projects, queues and users -----------------------------------------------------
    def projects(self, customer_id: int) -> list[Project]:
        with self._connection() as client:
            return clickhouse_entities.projects(client, customer_id)

    def create_project(self, customer_id: int, project: Project) -> bool:
        with self._metadata_lock, self._connection() as client:
            if clickhouse_entities.projects(client, customer_id, project.project_id):
                return False
            clickhouse_entities.insert_project(client, customer_id, project)
        return True

    def update_project(self, customer_id: int, project_id: int, name: str | None,
                       status: Status | None) -> Project | None:
        with self._metadata_lock, self._connection() as client:
            found = clickhouse_entities.projects(client, customer_id, project_id)
            if not found:
                return None
            updated = Project(project_id, found[0].name if name is None else name,
                              found[0].status if status is None else status)
            clickhouse_entities.insert_project(client, customer_id, updated)
        return updated

    def save_project(self, customer_id: int, project: Project) -> None:
        with self._connection() as client:
            clickhouse_entities.insert_project(client, customer_id, project)

    def queues(self, customer_id: int) -> list[Queue]:
        with self._connection() as client:
            return [Queue(*row) for row in clickhouse_entities.named(client, "queues",
                                                                     customer_id)]

    def create_queue(self, customer_id: int, queue: Queue) -> bool:
        with self._metadata_lock, self._connection() as client:
            if clickhouse_entities.named(client, "queues", customer_id, queue.queue_id):
                return False
            clickhouse_entities.insert_named(client, "queues", customer_id, queue.queue_id,
                                             queue.name, queue.status)
        return True

    def update_queue(self, customer_id: int, queue_id: int, name: str | None,
                     status: Status | None) -> Queue | None:
        with self._metadata_lock, self._connection() as client:
            found = clickhouse_entities.named(client, "queues", customer_id, queue_id)
            if not found:
                return None
            _, old_name, old_status = found[0]
            updated = Queue(queue_id, old_name if name is None else name,
                            old_status if status is None else status)
            clickhouse_entities.insert_named(client, "queues", customer_id, queue_id,
                                             updated.name, updated.status)
        return updated

    def users(self, customer_id: int) -> list[User]:
        with self._connection() as client:
            return clickhouse_entities.users(client, customer_id)

    def create_user(self, customer_id: int, user: User) -> bool:
        with self._metadata_lock, self._connection() as client:
            if clickhouse_entities.users(client, customer_id, user.user_id):
                return False
            clickhouse_entities.insert_user(client, customer_id, user)
        return True

    def update_user(self, customer_id: int, user_id: int, name: str | None,
                    kind: UserKind | None, status: Status | None) -> User | None:
        with self._metadata_lock, self._connection() as client:
            found = clickhouse_entities.users(client, customer_id, user_id)
            if not found:
                return None
            updated = User(user_id, found[0].name if name is None else name,
                           found[0].kind if kind is None else kind,
                           found[0].status if status is None else status)
            clickhouse_entities.insert_user(client, customer_id, updated)
        return updated

    def save_user(self, customer_id: int, user: User) -> None:
        with self._connection() as client:
            clickhouse_entities.insert_user(client, customer_id, user)

    # presets ------------------------------------------------------------------------
    def presets(self, customer_id: int) -> list[Preset]:
        rows = self._rows(
            "SELECT preset_id, argMax(name, version), argMax(fields, version) FROM presets "
            "WHERE customer_id = %(c)s GROUP BY preset_id "
            "HAVING argMax(deleted, version) = 0 ORDER BY preset_id", {"c": customer_id})
        return [Preset(int(r[0]), r[1], tuple(r[2])) for r in rows]

    def create_preset(self, customer_id: int, name: str, fields: tuple[str, ...]) -> Preset:
        with self._metadata_lock, self._connection() as client:
            rows = client.execute("SELECT max(preset_id) FROM presets WHERE customer_id = %(c)s",
                                  {"c": customer_id})
            preset_id = int(rows[0][0] or 0) + 1
            client.execute(
                "INSERT INTO presets (customer_id, preset_id, name, fields, deleted, version) "
                "VALUES", [(customer_id, preset_id, name, list(fields), 0, tick())])
        return Preset(preset_id, name, fields)

    def delete_preset(self, customer_id: int, preset_id: int) -> bool:
        with self._metadata_lock:
            found = next((p for p in self.presets(customer_id) if p.preset_id == preset_id),
                         None)
            if found is None:
                return False
            with self._connection() as client:
                client.execute(
                    "INSERT INTO presets (customer_id, preset_id, name, fields, deleted, "
                    "version) VALUES",
                    [(customer_id, preset_id, found.name, list(found.fields), 1, tick())])
        return True

    # name mappings ------------------------------------------------------------------
    def name_mappings(self, customer_id: int, source: str) -> list[NameMapping]:
        rows = self._rows("SELECT kind, name, argMax(target_id, version) FROM name_mappings "
                          "WHERE customer_id = %(c)s AND source = %(s)s GROUP BY kind, name "
                          "ORDER BY kind, name", {"c": customer_id, "s": source})
        return [NameMapping(source, MappingKind(r[0]), r[1], int(r[2])) for r in rows]

    def save_name_mapping(self, customer_id: int, mapping: NameMapping, title: str) -> None:
        with self._connection() as client, self._metadata_lock:
            clickhouse_entities.insert_mappings(client, customer_id, [(mapping, title)])

    # events and sums ----------------------------------------------------------------
    def _zone(self, client: Client, customer_id: int) -> str:
        rows = client.execute("SELECT timezone FROM customers WHERE customer_id = %(c)s LIMIT 1",
                              {"c": customer_id})
        return str(rows[0][0]) if rows else "UTC"

    @contextmanager
    def writer(self, customer_id: int) -> Iterator[Writer]:
        c = int(customer_id)
        with self._write_lock, self._connection() as client:
            writer = Writer(client, c, self._zone(client, c), self._metadata_lock)
            try:
                yield writer
                if not writer.aborted:
                    writer.commit()
            finally:
                writer.close()

    def delete_event(self, customer_id: int, event_id: str) -> bool:
        c = int(customer_id)
        with self._write_lock, self._connection() as client:
            return clickhouse_writes.delete_event(client, c, self._zone(client, c), event_id)

    def withdraw_events(self, customer_id: int, selection: EventSelection) -> int:
        c = int(customer_id)
        with self._write_lock, self._connection() as client:
            return clickhouse_writes.withdraw_events(client, c, self._zone(client, c),
                                                     selection)

    def erase_user(self, customer_id: int, user_id: int) -> Erasure | None:
        """`ccstats.store.clickhouse_erasure`: withdrawn and the deletions started under the
        locks, then their end awaited without them."""
        c = int(customer_id)
        with self._write_lock, self._metadata_lock, self._connection() as client:
            started = clickhouse_erasure.start(self.target, client, c, self._zone(client, c),
                                               user_id)
        return None if started is None else clickhouse_erasure.finish(self.target, started)

    def prune_before(self, customer_id: int, cutoff: Cutoff) -> int:
        with self._write_lock, self._connection() as client:
            return clickhouse_retention.prune_before(client, int(customer_id), cutoff)

    def _customer_ids(self, client: Client, customer_id: int | None) -> list[int]:
        if customer_id is not None:
            return [int(customer_id)]
        return [int(r[0]) for r in client.execute("SELECT DISTINCT customer_id FROM customers")]

    def rebuild(self, customer_id: int | None = None) -> int:
        total = 0
        with self._write_lock, self._connection() as client:
            for c in self._customer_ids(client, customer_id):
                batch = Batch(client, c)
                events = clickhouse_writes.current_versions(client, c)
                total += events.num_rows
                with duckdb_connect.connect() as local:
                    clickhouse_writes.append_sums(client, local, c, self._zone(client, c),
                                                  batch.batch, events, events.slice(0, 0))
                batch.commit(fold_earlier=True)
                self._drop_folded(client, c, batch.batch)
        return total

    def events(self, customer_id: int) -> Iterator[pa.Table]:
        with self._connection() as client:
            yield clickhouse_writes.current_versions(client, int(customer_id))

    def live_events(self, customer_id: int, since: int) -> pa.Table:
        with self._connection() as client:
            return clickhouse_live.live_events(client, customer_id, since)

    def change_mark(self, customer_id: int) -> int:
        """The customer's last committed batch: batch ids only grow (`clickhouse_batches`),
        whichever server process commits."""
        with self._connection() as client:
            return last_committed(client, customer_id)

    def compact(self) -> None:
        """Merge each customer's visible sums and queue-call rows into one new batch and drop
        the old rows."""
        with self._write_lock, self._connection() as client:
            for c in self._customer_ids(client, None):
                batch = Batch(client, c)
                for table in DELTA_TABLES:
                    client.execute(fold_deltas_sql(table, c, batch.batch))
                batch.commit(fold_earlier=True)
                self._drop_folded(client, c, batch.batch)

    def _drop_folded(self, client: Client, customer_id: int, batch: int) -> None:
        """Delete the delta rows older than `batch` (folded into it, or never committed) and
        the event rows of earlier batches that never committed (mutations, on every server).

        (Mutations get literal lists: ClickHouse 18.16 mishandles subqueries in them.)
        """
        c = int(customer_id)
        dropped = [int(row[0]) for row in client.execute(
            f"SELECT DISTINCT batch FROM events WHERE customer_id = {c} AND batch < {batch} "
            f"AND NOT ({visible_events(c)})")]
        statements = [f"ALTER TABLE {local_name(table, self.target)} DELETE "
                      f"WHERE customer_id = {c} AND batch < {batch}" for table in DELTA_TABLES]
        if dropped:
            batches = ", ".join(map(str, dropped))
            statements += [f"ALTER TABLE {local_name(table, self.target)} DELETE "
                           f"WHERE customer_id = {c} AND batch IN ({batches})"
                           for table in ("events", "live_events")]
        for host, port in cluster_hosts(self.target):
            server = self.target.client(host, port)
            try:
                for statement in statements:
                    server.execute(statement)
            finally:
                server.disconnect()

    def event_count(self, customer_id: int) -> int:
        rows = self._rows(
            f"""SELECT count() FROM (
                    SELECT deleted FROM events
                    WHERE customer_id = {int(customer_id)} AND {visible_events(customer_id)}
                    ORDER BY event_id, batch DESC, seq DESC LIMIT 1 BY event_id)
                WHERE deleted = 0""")
        return int(rows[0][0])

    # statistics (`ccstats.pipeline.source.CellSource`) ------------------------------
    dialect = CLICKHOUSE

    def visible_sums(self, customer_id: int) -> str | None:
        return visible_sums(customer_id)

    def scalar(self, sql: str) -> int:
        rows = self._rows(sql)
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0

    def cells(self, statement: Statement, rows_bound: int) -> Iterator[pa.RecordBatch]:
        names = list(statement.columns)
        with self._connection() as client:
            rows = client.execute_iter(statement.text,
                                       settings={"max_block_size": CELLS_PER_BATCH})
            while chunk := list(itertools.islice(rows, CELLS_PER_BATCH)):
                yield pa.record_batch([pa.array(column, pa.int64())
                                       for column in zip(*chunk, strict=True)], names=names)
