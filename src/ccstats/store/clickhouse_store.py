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
which give new names their ids (`_Writer.map_names`), are written one at a time.
Across processes:

- **Creating a customer** is safe: the name is claimed first with DDL, which is
  atomic (`ccstats.store.clickhouse_claims`); of any number of creators exactly
  one gets the customer and its key.
- **Revoking a key** is safe: the revocation is written, then checked, and
  undone if no admin key is left (`ccstats.store.clickhouse_keys`).
- **Projects and users registered by a batch** never overwrite a name or status
  set on purpose, whichever process wrote it and in whatever order: their rows
  carry version 0, below every version a deliberate change writes.
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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa
from clickhouse_driver import Client
from clickhouse_driver.errors import Error as ClickHouseError
from clickhouse_driver.errors import NetworkError, SocketTimeoutError

from ccstats import duckdb_connect
from ccstats.errors import StoreBusy, StoreUnavailable
from ccstats.events import NORMALIZED_SCHEMA
from ccstats.model import (
    ApiKey,
    Customer,
    MappingKind,
    NameMapping,
    Preset,
    Project,
    Status,
    User,
    UserKind,
)
from ccstats.pipeline.dialect import CLICKHOUSE
from ccstats.pipeline.sql import Statement
from ccstats.store import clickhouse_keys, clickhouse_schema
from ccstats.store.base import ENTITY_TABLES, ChooseId, Revocation, map_new_names
from ccstats.store.clickhouse_batches import Batch, tick, visible_events, visible_sums
from ccstats.store.clickhouse_claims import claim, claim_table
from ccstats.store.clickhouse_schema import SUMS_TABLES, local_name
from ccstats.store.clickhouse_target import (
    NOT_SET_UP,
    ClientPool,
    Target,
    cluster_hosts,
    unreachable,
)
from ccstats.store.contributions import sums_sql
from ccstats.store.grains import DELTA_TABLES, derive_grains, drop_grains
from ccstats.store.metadata_cache import MetadataCache

#: Cells fetched from the server at a time, and rendered together.
CELLS_PER_BATCH = 65_536
#: A customer's networks and rate limit, once read, are used for this long (other
#: processes' changes arrive within it; this process's own at once).
ACCESS_SECONDS = 10.0

_EVENT_COLUMNS = [field.name for field in NORMALIZED_SCHEMA]
_SUMS_KEYS = {
    "sums": ["project_id", "user_id", "qh", "field_id"],
    "sums_hour": ["project_id", "user_id", "day", "hour", "field_id"],
    "sums_day": ["project_id", "user_id", "day", "field_id"],
}
_MEASURES = ["cnt", "secs", "hits"]
#: The version of the project and user rows a batch registers for unknown ids: lower
#: than any version of a row written on purpose (a tick), so it never overrides one.
REGISTERED_VERSION = 0


def customer_id_of(name: str) -> int:
    """A customer's id: 63 bits of a hash of its name (no allocation, spreads over shards)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def _insert_columns(client: Client, table: str, columns: Sequence[str],
                    values: Sequence[list[Any]]) -> None:
    if values and values[0]:
        client.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES", list(values),
                       columnar=True)


class _Writer:
    """`ccstats.store.base.EventWriter` of one open batch (see `clickhouse_batches`)."""

    def __init__(self, store: ClickHouseStore, client: Client, customer_id: int,
                 zone: str) -> None:
        self._store = store
        self._client = client
        self._customer_id = customer_id
        self._zone = zone
        self.batch = Batch(client, customer_id)
        self._local = duckdb_connect.connect()
        self._had_events = bool(client.execute(
            "SELECT count() FROM (SELECT 1 FROM events WHERE customer_id = %(c)s LIMIT 1)",
            {"c": customer_id})[0][0])
        self.projects: set[int] = set()
        self.users: set[int] = set()
        # the batch's new name mappings, each with the name of the project or user it
        # creates (None: its id has one)
        self._mappings: list[tuple[NameMapping, str | None]] = []
        self.aborted = False

    def add(self, events: pa.Table) -> None:
        if self.aborted or not events.num_rows:
            return
        db = self._local
        db.register("incoming", events)
        try:
            source = "incoming"
            repeats = db.execute(
                "SELECT count(*) <> count(DISTINCT event_id) FROM incoming").fetchall()[0][0]
            if repeats:  # the last line of an id wins
                db.execute("""CREATE OR REPLACE TEMP TABLE latest AS SELECT * FROM incoming
                    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY line_no DESC) = 1""")
                source = "latest"
            new = db.sql(f"SELECT {', '.join(_EVENT_COLUMNS)} FROM {source}").to_arrow_table()
        finally:
            db.unregister("incoming")
        seq = self.batch.next_block()
        lookup = self._had_events or seq > 0
        previous = (self._store.current_versions(self._client, self._customer_id,
                                                 new.column("event_id").to_pylist(),
                                                 self.batch.batch)
                    if lookup else pa.Table.from_batches([], NORMALIZED_SCHEMA))
        self._store.append_sums(self._client, self._local, self._customer_id, self._zone,
                                self.batch.batch, new, previous)
        self._store.append_events(self._client, self._customer_id, self.batch.batch, seq, new)
        self.projects.update(new.column("project_id").unique().to_pylist())
        self.users.update(new.column("user_id").unique().to_pylist())

    def map_names(self, source: str, kind: MappingKind, names: Sequence[str],
                  choose: ChooseId) -> dict[str, int]:
        """Reads the stored mappings and ids; the new mappings wait for `commit`."""
        client, c = self._client, self._customer_id
        mapped = _stored_mappings(client, c, source, kind)
        taken = ClickHouseStore.entity_ids(client, c, kind) | (
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
        self._store.insert_mappings(self._client, self._customer_id, self._mappings)
        self._store.register(self._client, self._customer_id, self.projects, self.users)

    def close(self) -> None:
        self._local.close()


def _stored_mappings(client: Client, customer_id: int, source: str, kind: MappingKind
                     ) -> dict[str, int]:
    """The customer's stored mappings of `source` and `kind`: name -> id."""
    return {str(r[0]): int(r[1]) for r in client.execute(
        "SELECT name, argMax(target_id, version) FROM name_mappings "
        "WHERE customer_id = %(c)s AND source = %(s)s AND kind = %(k)s GROUP BY name",
        {"c": customer_id, "s": source, "k": str(kind)})}


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
        # customer id -> (networks, rate limit)
        self._access: MetadataCache[int, tuple[tuple[str, ...], int | None]] = \
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
        """`customer` with its networks and rate limit (read again after `ACCESS_SECONDS`)."""
        networks, rate_limit = self._access.get(customer.customer_id,
                                                lambda: self._load_access(customer.customer_id))
        return dataclasses.replace(customer, networks=networks, rate_limit=rate_limit)

    def _load_access(self, customer_id: int) -> tuple[tuple[str, ...], int | None]:
        rows = self._rows("SELECT argMax(networks, version), argMax(rate_limit, version) "
                          "FROM customer_access WHERE customer_id = %(c)s", {"c": customer_id})
        if not rows or rows[0][0] is None:
            return (), None
        return tuple(rows[0][0]), None if rows[0][1] is None else int(rows[0][1])

    def set_access(self, customer_id: int, networks: tuple[str, ...],
                   rate_limit: int | None) -> None:
        with self._connection() as client:
            client.execute(
                "INSERT INTO customer_access (customer_id, networks, rate_limit, version) "
                "VALUES", [(customer_id, list(networks), rate_limit, tick())])
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

    # projects and users -------------------------------------------------------------
    def projects(self, customer_id: int) -> list[Project]:
        with self._connection() as client:
            return self._projects(client, customer_id)

    @staticmethod
    def _projects(client: Client, customer_id: int, project_id: int | None = None
                  ) -> list[Project]:
        only = "" if project_id is None else f" AND project_id = {int(project_id)}"
        rows = client.execute(
            "SELECT project_id, argMax(name, version), argMax(status, version) FROM projects "
            f"WHERE customer_id = %(c)s{only} GROUP BY project_id ORDER BY project_id",
            {"c": customer_id})
        return [Project(int(r[0]), r[1], Status(r[2])) for r in rows]

    def create_project(self, customer_id: int, project: Project) -> bool:
        with self._metadata_lock, self._connection() as client:
            if self._projects(client, customer_id, project.project_id):
                return False
            self._insert_project(client, customer_id, project)
        return True

    def update_project(self, customer_id: int, project_id: int, name: str | None,
                       status: Status | None) -> Project | None:
        with self._metadata_lock, self._connection() as client:
            found = self._projects(client, customer_id, project_id)
            if not found:
                return None
            updated = Project(project_id, found[0].name if name is None else name,
                              found[0].status if status is None else status)
            self._insert_project(client, customer_id, updated)
        return updated

    def save_project(self, customer_id: int, project: Project) -> None:
        with self._connection() as client:
            self._insert_project(client, customer_id, project)

    @staticmethod
    def _insert_project(client: Client, customer_id: int, project: Project) -> None:
        client.execute(
            "INSERT INTO projects (customer_id, project_id, name, status, version) VALUES",
            [(customer_id, project.project_id, project.name, str(project.status), tick())])

    def users(self, customer_id: int) -> list[User]:
        with self._connection() as client:
            return self._users(client, customer_id)

    @staticmethod
    def _users(client: Client, customer_id: int, user_id: int | None = None) -> list[User]:
        only = "" if user_id is None else f" AND user_id = {int(user_id)}"
        rows = client.execute(
            "SELECT user_id, argMax(name, version), argMax(kind, version), "
            f"argMax(status, version) FROM users WHERE customer_id = %(c)s{only} "
            "GROUP BY user_id ORDER BY user_id", {"c": customer_id})
        return [User(int(r[0]), r[1], UserKind(r[2]), Status(r[3])) for r in rows]

    def create_user(self, customer_id: int, user: User) -> bool:
        with self._metadata_lock, self._connection() as client:
            if self._users(client, customer_id, user.user_id):
                return False
            self._insert_user(client, customer_id, user)
        return True

    def update_user(self, customer_id: int, user_id: int, name: str | None,
                    kind: UserKind | None, status: Status | None) -> User | None:
        with self._metadata_lock, self._connection() as client:
            found = self._users(client, customer_id, user_id)
            if not found:
                return None
            updated = User(user_id, found[0].name if name is None else name,
                           found[0].kind if kind is None else kind,
                           found[0].status if status is None else status)
            self._insert_user(client, customer_id, updated)
        return updated

    def save_user(self, customer_id: int, user: User) -> None:
        with self._connection() as client:
            self._insert_user(client, customer_id, user)

    @staticmethod
    def _insert_user(client: Client, customer_id: int, user: User) -> None:
        client.execute(
            "INSERT INTO users (customer_id, user_id, name, kind, status, version) VALUES",
            [(customer_id, user.user_id, user.name, str(user.kind), str(user.status), tick())])

    def register(self, client: Client, customer_id: int, project_ids: set[int],
                 user_ids: set[int]) -> None:
        """Add the projects and users of `project_ids`, `user_ids` that are not known yet
        (as rows of `REGISTERED_VERSION`, which any other row of the id overrides)."""
        c = {"c": customer_id}
        known = {r[0] for r in client.execute(
            "SELECT DISTINCT project_id FROM projects WHERE customer_id = %(c)s", c)}
        new = sorted(project_ids - known)
        version = [REGISTERED_VERSION] * len(new)
        _insert_columns(client, "projects", ["customer_id", "project_id", "name", "status",
                                             "version"],
                        [[customer_id] * len(new), new, [f"Project {p}" for p in new],
                         ["active"] * len(new), version])
        known = {r[0] for r in client.execute(
            "SELECT DISTINCT user_id FROM users WHERE customer_id = %(c)s", c)}
        new = sorted(user_ids - known)
        version = [REGISTERED_VERSION] * len(new)
        _insert_columns(client, "users", ["customer_id", "user_id", "name", "kind", "status",
                                          "version"],
                        [[customer_id] * len(new), new, [f"User {u}" for u in new],
                         ["agent"] * len(new), ["active"] * len(new), version])

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
        with self._connection() as client:
            self.insert_mappings(client, customer_id, [(mapping, title)])

    def insert_mappings(self, client: Client, customer_id: int,
                        mappings: Sequence[tuple[NameMapping, str | None]]) -> None:
        """Store `mappings` and, of each that has a title and whose id has no project (or
        user) yet, the project (user) named so."""
        if not mappings:
            return
        with self._metadata_lock:
            existing = {kind: self.entity_ids(client, customer_id, kind)
                        for kind in {mapping.kind for mapping, _ in mappings}}
            for mapping, title in mappings:
                exists = mapping.target_id in existing[mapping.kind]
                self._insert_mapping(client, customer_id, mapping, None if exists else title)
                existing[mapping.kind].add(mapping.target_id)

    @staticmethod
    def entity_ids(client: Client, customer_id: int, kind: MappingKind) -> set[int]:
        table, column = ENTITY_TABLES[kind]
        return {int(r[0]) for r in client.execute(
            f"SELECT DISTINCT {column} FROM {table} WHERE customer_id = %(c)s",
            {"c": customer_id})}

    def _insert_mapping(self, client: Client, customer_id: int, mapping: NameMapping,
                        title: str | None) -> None:
        """Store `mapping` and, unless `title` is None, a new project or user named `title`."""
        if title is not None and mapping.kind is MappingKind.PROJECT:
            self._insert_project(client, customer_id,
                                 Project(mapping.target_id, title, Status.ACTIVE))
        elif title is not None:
            self._insert_user(client, customer_id, User(mapping.target_id, title,
                                                        UserKind.AGENT, Status.ACTIVE))
        client.execute(
            "INSERT INTO name_mappings (customer_id, source, kind, name, target_id, "
            "version) VALUES", [(customer_id, mapping.source, str(mapping.kind),
                                 mapping.name, mapping.target_id, tick())])

    # events and sums ----------------------------------------------------------------
    def _zone(self, client: Client, customer_id: int) -> str:
        rows = client.execute("SELECT timezone FROM customers WHERE customer_id = %(c)s LIMIT 1",
                              {"c": customer_id})
        return str(rows[0][0]) if rows else "UTC"

    @contextmanager
    def writer(self, customer_id: int) -> Iterator[_Writer]:
        c = int(customer_id)
        with self._write_lock, self._connection() as client:
            writer = _Writer(self, client, c, self._zone(client, c))
            try:
                yield writer
                if not writer.aborted:
                    writer.commit()
            finally:
                writer.close()

    def current_versions(self, client: Client, customer_id: int, event_ids: list[str],
                         own_batch: int | None = None) -> pa.Table:
        """The current (visible, not deleted) versions of `event_ids`, as normalized events."""
        rows = client.execute(
            f"""SELECT {', '.join(_EVENT_COLUMNS)} FROM (
                    SELECT * FROM events
                    WHERE customer_id = {int(customer_id)} AND event_id IN wanted
                      AND {visible_events(customer_id, own_batch)}
                    ORDER BY event_id, batch DESC, seq DESC LIMIT 1 BY event_id)
                WHERE deleted = 0""",
            columnar=True,
            external_tables=[{"name": "wanted", "structure": [("event_id", "String")],
                              "data": [(event_id,) for event_id in event_ids]}])
        if not rows:
            return pa.Table.from_batches([], NORMALIZED_SCHEMA)
        return pa.table(dict(zip(_EVENT_COLUMNS, rows, strict=True)), schema=NORMALIZED_SCHEMA)

    def append_events(self, client: Client, customer_id: int, batch: int, seq: int,
                      events: pa.Table, deleted: int = 0) -> None:
        n = events.num_rows
        _insert_columns(
            client, "events",
            ["customer_id", "batch", "seq", "deleted", *_EVENT_COLUMNS],
            [[customer_id] * n, [batch] * n, [seq] * n, [deleted] * n,
             *(events.column(name).to_pylist() for name in _EVENT_COLUMNS)])

    def append_sums(self, client: Client, local: duckdb.DuckDBPyConnection, customer_id: int,
                    zone: str, batch: int, new: pa.Table, previous: pa.Table) -> None:
        """Append the sums deltas of replacing `previous` by `new` (either may be empty)."""
        local.register("new_events", new)
        local.register("old_events", previous)
        try:
            deltas = f"""SELECT project_id, user_id, qh, field_id,
                                sum(cnt) AS cnt, sum(secs) AS secs, sum(hits) AS hits
                         FROM (SELECT * FROM ({sums_sql("old_events", -1)})
                               UNION ALL SELECT * FROM ({sums_sql("new_events")}))
                         GROUP BY ALL
                         HAVING sum(cnt) <> 0 OR sum(secs) <> 0 OR sum(hits) <> 0"""
            if derive_grains(local, zone, deltas):
                for table, delta in zip(SUMS_TABLES, DELTA_TABLES, strict=True):
                    columns = [*_SUMS_KEYS[table], *_MEASURES]
                    found = local.sql(
                        f"SELECT {', '.join(_SUMS_KEYS[table])}, cnt::BIGINT AS cnt, "
                        f"secs::BIGINT AS secs, hits::BIGINT AS hits FROM {delta}"
                    ).to_arrow_table()
                    n = found.num_rows
                    _insert_columns(client, table, ["customer_id", "batch", *columns],
                                    [[customer_id] * n, [batch] * n,
                                     *(found.column(name).to_pylist() for name in columns)])
            drop_grains(local)
        finally:
            local.unregister("new_events")
            local.unregister("old_events")

    def delete_event(self, customer_id: int, event_id: str) -> bool:
        c = int(customer_id)
        with self._write_lock, self._connection() as client:
            batch = Batch(client, c)
            previous = self.current_versions(client, c, [event_id])
            if not previous.num_rows:
                return False
            with duckdb_connect.connect() as local:
                self.append_sums(client, local, c, self._zone(client, c), batch.batch,
                                 previous.slice(0, 0), previous)
            self.append_events(client, c, batch.batch, batch.next_block(), previous, deleted=1)
            batch.commit()
        return True

    def _customer_ids(self, client: Client, customer_id: int | None) -> list[int]:
        if customer_id is not None:
            return [int(customer_id)]
        return [int(r[0]) for r in client.execute("SELECT DISTINCT customer_id FROM customers")]

    def rebuild(self, customer_id: int | None = None) -> int:
        total = 0
        with self._write_lock, self._connection() as client:
            for c in self._customer_ids(client, customer_id):
                batch = Batch(client, c)
                events = self._all_current(client, c)
                total += events.num_rows
                with duckdb_connect.connect() as local:
                    self.append_sums(client, local, c, self._zone(client, c), batch.batch,
                                     events, events.slice(0, 0))
                batch.commit(fold_earlier=True)
                self._drop_folded(client, c, batch.batch)
        return total

    def _all_current(self, client: Client, customer_id: int) -> pa.Table:
        rows = client.execute(
            f"""SELECT {', '.join(_EVENT_COLUMNS)} FROM (
                    SELECT * FROM events
                    WHERE customer_id = {int(customer_id)} AND {visible_events(customer_id)}
                    ORDER BY event_id, batch DESC, seq DESC LIMIT 1 BY event_id)
                WHERE deleted = 0""", columnar=True)
        if not rows:
            return pa.Table.from_batches([], NORMALIZED_SCHEMA)
        return pa.table(dict(zip(_EVENT_COLUMNS, rows, strict=True)), schema=NORMALIZED_SCHEMA)

    def events(self, customer_id: int) -> Iterator[pa.Table]:
        with self._connection() as client:
            yield self._all_current(client, int(customer_id))

    def compact(self) -> None:
        """Merge each customer's visible sums into one new batch and drop the old rows."""
        with self._write_lock, self._connection() as client:
            for c in self._customer_ids(client, None):
                batch = Batch(client, c)
                for table in SUMS_TABLES:
                    keys = ", ".join(_SUMS_KEYS[table])
                    client.execute(
                        f"""INSERT INTO {table} (customer_id, {keys}, batch, cnt, secs, hits)
                            SELECT customer_id, {keys}, {batch.batch}, sum(cnt), sum(secs),
                                   sum(hits)
                            FROM {table} WHERE customer_id = {c} AND {visible_sums(c)}
                            GROUP BY customer_id, {keys}
                            HAVING sum(cnt) <> 0 OR sum(secs) <> 0 OR sum(hits) <> 0""")
                batch.commit(fold_earlier=True)
                self._drop_folded(client, c, batch.batch)

    def _drop_folded(self, client: Client, customer_id: int, batch: int) -> None:
        """Delete the sums rows older than `batch` (folded into it, or never committed) and
        the event rows of earlier batches that never committed (mutations, on every server).

        (Mutations get literal lists: ClickHouse 18.16 mishandles subqueries in them.)
        """
        c = int(customer_id)
        dropped = [int(row[0]) for row in client.execute(
            f"SELECT DISTINCT batch FROM events WHERE customer_id = {c} AND batch < {batch} "
            f"AND NOT ({visible_events(c)})")]
        statements = [f"ALTER TABLE {local_name(table, self.target)} DELETE "
                      f"WHERE customer_id = {c} AND batch < {batch}" for table in SUMS_TABLES]
        if dropped:
            batches = ", ".join(map(str, dropped))
            statements.append(f"ALTER TABLE {local_name('events', self.target)} DELETE "
                              f"WHERE customer_id = {c} AND batch IN ({batches})")
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
