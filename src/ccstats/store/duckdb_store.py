"""The embedded store: one DuckDB file holds metadata, raw events and sums.

Tables
------
``meta``: the schema version, and whether an erasure left bytes to scrub
(`ccstats.store.duckdb_erasure`: the file is rewritten when next opened).
``customers``, ``api_keys``, ``projects``, ``users``, ``presets``: metadata.
``name_mappings``: names of outside systems (Asterisk queues, members) → ids.
``events``: the normalized events, the source of truth (no index: DuckDB's
hash joins find replaced ids faster than an ART index could be maintained). Its
ids are compressed with zstd: with DuckDB's default for strings (a dictionary,
else FSST) appending events took half as much CPU again, for a file no smaller (a
database made before keeps the default; both read alike).
``sums``: quarter-hour sums as an append-only log of deltas (see
`ccstats.store.contributions`); a replaced or deleted event adds its old rows
negated. ``sums_hour`` and ``sums_day`` hold the same deltas per local hour and
local day of the customer's time zone, so that the common requests (the
customer's zone, hourly or daily) read far fewer rows. `compact` merges the
logs; `rebuild` recomputes them from the events.

Writes take a lock and run in one transaction (`DuckDBStore._transaction`), so a
batch is stored whole or not at all; reads use their own cursor and see the last
committed state (each passes a `ccstats.store.reader_gate.ReaderGate`, which an
erasure closes while it rewrites the file). How a batch or a deletion changes the
events and sums is told in `ccstats.store.duckdb_batch`; what the store keeps in
memory, and when it forgets it, in `ccstats.store.duckdb_cache`. The file has
one writing process (DuckDB locks it), so a change that depends on what is stored
(`create_customer`, `revoke_key`, `update_project`, a batch's `map_names`...)
reads and writes in one transaction under that lock, which makes it atomic. Keys
are listed in the order they were added (``api_keys.created``, numbered by a
sequence; a database made before the column numbers its keys in table order when
it opens).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import pyarrow as pa

from ccstats import duckdb_connect
from ccstats.errors import InvalidRequest, StoreUnavailable, bad_arguments
from ccstats.events import QUEUE_CALL
from ccstats.model import (
    ApiKey,
    Customer,
    MappingKind,
    NameMapping,
    Preset,
    Project,
    Queue,
    Scope,
    Status,
    User,
    UserKind,
)
from ccstats.pipeline.dialect import DUCKDB
from ccstats.pipeline.sql import Statement
from ccstats.retention import PRUNED_TABLES, Cutoff
from ccstats.store import duckdb_backup, duckdb_erasure
from ccstats.store.base import (
    ENTITY_TABLES,
    ChooseId,
    Revocation,
    map_new_names,
    refusal,
)
from ccstats.store.contributions import sums_sql
from ccstats.store.duckdb_batch import (
    EVENT_COLUMNS,
    SUMS_TABLES,
    Deletion,
    IncomingBatch,
    append_queue_calls,
    append_sums,
    id_hashes,
)
from ccstats.store.duckdb_cache import Entities, StagedChanges, StoreCache
from ccstats.store.erasure import Erasure, Scrub
from ccstats.store.id_index import Hashes
from ccstats.store.queue_call_rows import QUEUE_CALL_KEYS, merged_sql, queue_call_rows_sql
from ccstats.store.reader_gate import ReaderGate
from ccstats.store.selection import EventSelection
from ccstats.store.temp_tables import TempTables

log = logging.getLogger(__name__)

#: Write-ahead log size that triggers a checkpoint. DuckDB's default (16 MiB) makes
#: about every tenth 10,000-event batch pay a second-long checkpoint; a larger log
#: is replayed on the next open after a crash, and checkpointed on a clean close.
CHECKPOINT_THRESHOLD = "256MiB"

#: Seconds an erasure waits for the reads under way to end before it leaves the file's
#: rewrite to the next open (`DuckDBStore.erase_user`).
READS_PATIENCE = 5.0

#: Version of the layout below; a database written by an older version is migrated on open.
SCHEMA_VERSION = 6

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE SEQUENCE IF NOT EXISTS customer_ids START 1;
CREATE TABLE IF NOT EXISTS customers (
    customer_id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL UNIQUE,
    timezone VARCHAR NOT NULL
);
ALTER TABLE customers ADD COLUMN IF NOT EXISTS networks VARCHAR[] DEFAULT [];
ALTER TABLE customers ADD COLUMN IF NOT EXISTS rate_limit INTEGER;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS keep_days INTEGER;
CREATE TABLE IF NOT EXISTS api_keys (
    customer_id INTEGER NOT NULL,
    key_id VARCHAR NOT NULL,
    salt BLOB NOT NULL,
    digest BLOB NOT NULL,
    scopes VARCHAR[] NOT NULL,
    PRIMARY KEY (customer_id, key_id)
);
CREATE SEQUENCE IF NOT EXISTS api_key_order START 1;
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS created BIGINT DEFAULT nextval('api_key_order');
CREATE TABLE IF NOT EXISTS projects (
    customer_id INTEGER NOT NULL,
    project_id BIGINT NOT NULL,
    name VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    PRIMARY KEY (customer_id, project_id)
);
CREATE TABLE IF NOT EXISTS queues (
    customer_id INTEGER NOT NULL,
    queue_id BIGINT NOT NULL,
    name VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    PRIMARY KEY (customer_id, queue_id)
);
CREATE TABLE IF NOT EXISTS users (
    customer_id INTEGER NOT NULL,
    user_id BIGINT NOT NULL,
    name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    PRIMARY KEY (customer_id, user_id)
);
CREATE TABLE IF NOT EXISTS presets (
    customer_id INTEGER NOT NULL,
    preset_id INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    fields VARCHAR[] NOT NULL,
    PRIMARY KEY (customer_id, preset_id)
);
CREATE TABLE IF NOT EXISTS name_mappings (
    customer_id INTEGER NOT NULL,
    source VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    target_id BIGINT NOT NULL,
    PRIMARY KEY (customer_id, source, kind, name)
);
CREATE TABLE IF NOT EXISTS events (
    customer_id INTEGER NOT NULL,
    event_id VARCHAR USING COMPRESSION zstd NOT NULL,
    type VARCHAR NOT NULL,
    subtype VARCHAR,
    project_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    t_start BIGINT NOT NULL,
    t_answer BIGINT,
    t_end BIGINT
);
ALTER TABLE events ADD COLUMN IF NOT EXISTS queue_id BIGINT DEFAULT 0;
CREATE TABLE IF NOT EXISTS sums (
    customer_id INTEGER NOT NULL,
    project_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    qh INTEGER NOT NULL,
    field_id SMALLINT NOT NULL,
    cnt BIGINT NOT NULL,
    secs BIGINT NOT NULL,
    hits BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS sums_hour (
    customer_id INTEGER NOT NULL,
    project_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    day INTEGER NOT NULL,
    hour TINYINT NOT NULL,
    field_id SMALLINT NOT NULL,
    cnt BIGINT NOT NULL,
    secs BIGINT NOT NULL,
    hits BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS queue_calls (
    customer_id INTEGER NOT NULL,
    project_id BIGINT NOT NULL,
    queue_id BIGINT NOT NULL,
    qh INTEGER NOT NULL,
    answered TINYINT NOT NULL,
    wait INTEGER NOT NULL,
    cnt BIGINT NOT NULL,
    talk BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS sums_day (
    customer_id INTEGER NOT NULL,
    project_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    day INTEGER NOT NULL,
    field_id SMALLINT NOT NULL,
    cnt BIGINT NOT NULL,
    secs BIGINT NOT NULL,
    hits BIGINT NOT NULL
);
"""


class _Transaction:
    """One open write transaction: its connection, and its changes to the cache."""

    def __init__(self, db: duckdb.DuckDBPyConnection, changes: StagedChanges) -> None:
        self.db = db
        self.changes = changes
        self.aborted = False

    def abort(self) -> None:
        """Roll back when the block ends (rather than commit)."""
        self.aborted = True


class _Writer:
    """`ccstats.store.base.EventWriter` inside an open DuckDB transaction."""

    def __init__(self, transaction: _Transaction, customer_id: int, zone: str) -> None:
        self._transaction = transaction
        self._customer_id = customer_id
        self._zone = zone

    def add(self, events: pa.Table) -> None:
        if self._transaction.aborted or not events.num_rows:
            return
        with TempTables(self._transaction.db) as temp:
            IncomingBatch(temp, self._customer_id, self._zone, self._transaction.changes,
                          events).apply()

    def map_names(self, source: str, kind: MappingKind, names: Sequence[str],
                  choose: ChooseId) -> dict[str, int]:
        found = _map_names(self._transaction.db, self._customer_id, source, kind, names,
                           choose)
        # every id mapped to has its project or user now (in this transaction)
        entities = self._transaction.changes.entities_of(self._customer_id)
        entities.of_kind(kind).update(found.values())
        return found

    def abort(self) -> None:
        self._transaction.abort()


#: Events read at a time by `DuckDBStore.events`.
EVENTS_PER_BLOCK = 1_000_000

#: A statement of at most this many cells is fetched whole (as numpy arrays, which
#: DuckDB makes without the extra copy of its DB-API Arrow results); a larger one goes
#: through a relation and an Arrow reader, which streams its rows but plans the
#: statement twice.
SMALL_ANSWER_CELLS = 100_000

#: Cells fetched from the database at a time.
CELLS_PER_BATCH = 65_536


def _is_storage_failure(error: duckdb.Error) -> bool:
    """Whether `error` comes from the file system rather than from the statement."""
    text = str(error)
    return isinstance(error, duckdb.IOException) or "Could not write" in text or (
        "No space left" in text)


_CUSTOMER_COLUMNS = "customer_id, name, timezone, networks, rate_limit, keep_days"


def _customer(row: tuple[Any, ...]) -> Customer:
    return Customer(int(row[0]), row[1], row[2], tuple(row[3] or ()),
                    None if row[4] is None else int(row[4]),
                    None if row[5] is None else int(row[5]))


def _zone_of(db: duckdb.DuckDBPyConnection, customer_id: int) -> str:
    rows = db.execute("SELECT timezone FROM customers WHERE customer_id = ?",
                      [customer_id]).fetchall()
    return str(rows[0][0]) if rows else "UTC"


def _scalar(db: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> int:
    """The single integer `sql` yields (the whole result is fetched)."""
    rows = db.execute(sql, params or []).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _insert_key(db: duckdb.DuckDBPyConnection, customer_id: int, key: ApiKey) -> None:
    db.execute("INSERT INTO api_keys (customer_id, key_id, salt, digest, scopes) "
               "VALUES (?, ?, ?, ?, ?)",
               [customer_id, key.key_id, key.salt, key.digest, [str(s) for s in key.scopes]])


def _keys(db: duckdb.DuckDBPyConnection, customer_id: int) -> list[ApiKey]:
    rows = db.execute("SELECT key_id, salt, digest, scopes FROM api_keys "
                      "WHERE customer_id = ? ORDER BY created", [customer_id]).fetchall()
    return [ApiKey(r[0], bytes(r[1]), bytes(r[2]), tuple(Scope(s) for s in r[3]))
            for r in rows]


#: How a mapping creates its project or user (unless its id exists).
_NEW_ENTITY = {
    MappingKind.PROJECT: "INSERT INTO projects VALUES (?, ?, ?, 'active') ON CONFLICT DO NOTHING",
    MappingKind.USER: "INSERT INTO users VALUES (?, ?, ?, 'agent', 'active') "
                      "ON CONFLICT DO NOTHING",
}


def _save_mapping(db: duckdb.DuckDBPyConnection, customer_id: int, mapping: NameMapping,
                  title: str | None) -> None:
    """Store `mapping` and, unless it exists (or `title` is None), its project or user
    named `title`."""
    if title is not None:
        db.execute(_NEW_ENTITY[mapping.kind], [customer_id, mapping.target_id, title])
    db.execute("INSERT OR REPLACE INTO name_mappings VALUES (?, ?, ?, ?, ?)",
               [customer_id, mapping.source, str(mapping.kind), mapping.name, mapping.target_id])


def _map_names(db: duckdb.DuckDBPyConnection, customer_id: int, source: str,
               kind: MappingKind, names: Sequence[str], choose: ChooseId) -> dict[str, int]:
    """`ccstats.store.base.EventWriter.map_names` inside the open transaction of `db`."""
    mapped = {str(r[0]): int(r[1]) for r in db.execute(
        "SELECT name, target_id FROM name_mappings WHERE customer_id = ? "
        "AND source = ? AND kind = ?", [customer_id, source, str(kind)]).fetchall()}
    table, column = ENTITY_TABLES[kind]
    taken = {int(r[0]) for r in db.execute(
        f"SELECT {column} FROM {table} WHERE customer_id = ?", [customer_id]).fetchall()}

    def save(name: str, target: int, title: str | None) -> None:
        _save_mapping(db, customer_id, NameMapping(source, kind, name, target), title)

    return map_new_names(names, mapped, taken, choose, save)


class DuckDBStore:
    """`ccstats.store.base.Store` on an embedded DuckDB database file."""

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        self._db = self._connect()
        self._write_lock = threading.Lock()
        self._readers = ReaderGate()  # kept out while the file is rewritten
        self._file: BinaryIO | None = None  # the database file, once backed up
        self._cache = StoreCache(self._stored_ids, self._stored_entities)
        # (One process writes the file: its own count of writes is every write.)
        self._writes: Counter[int] = Counter()
        self._db.execute(SCHEMA)
        self.migrate()
        if self._path != ":memory:" and duckdb_erasure.scrub_pending(self._db):
            try:
                self._scrub()
            except StoreUnavailable:
                self._db.close()
                raise

    def _connect(self) -> duckdb.DuckDBPyConnection:
        try:
            db = duckdb_connect.connect(self._path)
        except duckdb.IOException as error:
            if "lock" in str(error).lower():
                raise StoreUnavailable(
                    "the database is in use by another process",
                    f"the database {self._path} is in use by another process (is `ccstats "
                    "serve` running on it? stop it, or use the HTTP API)") from None
            raise StoreUnavailable("the database cannot be opened",
                                   f"cannot open the database {self._path}: {error}") from None
        db.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        return db

    def _scrub(self) -> None:
        """Rewrite the file without the bytes of erased rows (`ccstats.store.duckdb_erasure`).
        Only while nothing else uses the connection: when the store is being opened, or
        holding the write lock with every read kept out (`_scrub_now`); a read on the
        closed connection would fail, or keep the old file open."""
        self._db.execute("CHECKPOINT")
        self._db.close()
        if self._file is not None:  # the old file's: a backup must copy the new one
            self._file.close()
            self._file = None
        try:
            duckdb_erasure.rewrite(Path(self._path))
        finally:
            self._db = self._connect()
            self._cache.forget()

    def _scrub_now(self) -> Scrub:
        """Rewrite the file at once if the reads under way end within `READS_PATIENCE`:
        batches and reads that begin meanwhile wait for the rewrite. `Scrub.PENDING`
        (the file stays marked, rewritten when next opened) if they do not end, or if
        the rewrite cannot be made (no room for the copy)."""
        with self._write_lock, self._readers.excluded(READS_PATIENCE) as alone:
            if not alone:
                log.warning("the rewrite of %s after an erasure waits for the next open: "
                            "reads under way did not end", self._path)
                return Scrub.PENDING
            try:
                self._scrub()
            except StoreUnavailable as error:
                log.warning("%s", error.detail)
                return Scrub.PENDING
        return Scrub.DONE

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own for a read (it sees the last committed state), counted so
        that the file is not rewritten under it."""
        with self._readers.reading(), self._db.cursor() as cursor:
            yield cursor

    def migrate(self) -> None:
        """Bring an older database to `SCHEMA_VERSION`.

        Version 2 changed the layout of the sums (derived data: they are rebuilt);
        version 3 added ``name_mappings``, version 4 the queues, the queue calls and the
        events' ``queue_id`` (created by `SCHEMA`: no event of an older version is a
        queue call); version 5 lets an event's ``t_end`` be null (an open interval);
        version 6 added the customers' ``keep_days`` (created by `SCHEMA`: null, keep
        everything).
        """
        rows = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        version = int(rows[0][0]) if rows else 0
        if version < SCHEMA_VERSION:
            if version < 2 and _scalar(self._db, "SELECT count(*) FROM events"):
                self.rebuild()
            with self._transaction() as tx:
                tx.db.execute("ALTER TABLE events ALTER COLUMN t_end DROP NOT NULL")
                tx.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                              [str(SCHEMA_VERSION)])

    def close(self) -> None:
        """Fold the write-ahead log into the file (so that the next open has nothing to
        replay), then close. A checkpoint that fails (a full disk) leaves the log, which
        the next open replays."""
        with self._write_lock:
            try:
                self._db.execute("CHECKPOINT")
            except duckdb.Error as error:
                log.warning("cannot checkpoint %s: %s", self._path, error)
            self._db.close()
            if self._file is not None:
                self._file.close()

    def backup(self, destination: Path) -> int:
        """Write a consistent copy of the open store to the new file `destination`
        (`ccstats.store.duckdb_backup`); the number of events it holds. Batches wait
        while the file is copied; reads go on."""
        if self._path == ":memory:":
            raise InvalidRequest([bad_arguments("path", "an in-memory database has no "
                                                        "file to back up")])
        if destination.resolve() == Path(self._path).resolve():
            raise InvalidRequest([bad_arguments("path", "the backup cannot replace the "
                                                        "database itself")])
        temporary = duckdb_backup.partial_name(destination)
        try:
            with self._write_lock, self._storage_failures():
                self._db.execute("CHECKPOINT")
                if self._file is None:  # kept open: closing it would drop DuckDB's lock
                    self._file = open(self._path, "rb")  # noqa: SIM115
                duckdb_backup.copy_files(Path(self._path), temporary, self._file)
            return duckdb_backup.seal(temporary, destination, Path(self._path))
        finally:
            duckdb_backup.discard(temporary)

    @contextmanager
    def _transaction(self) -> Iterator[_Transaction]:
        """Hold the write lock and run the block in one transaction: committed when the
        block ends, rolled back if it raises or aborts the transaction. The cache sees
        the transaction's changes once it commits (`ccstats.store.duckdb_cache`).

        A write the disk refuses (full, read-only, failing) leaves the transaction
        rolled back and raises `StoreUnavailable`; DuckDB keeps working once the
        cause is gone.
        """
        with self._write_lock, self._storage_failures():
            db = self._db
            db.execute("BEGIN TRANSACTION")
            tx = _Transaction(db, self._cache.stage())
            try:
                yield tx
            except BaseException:
                db.execute("ROLLBACK")
                raise
            if tx.aborted:
                db.execute("ROLLBACK")
                return
            try:
                db.execute("COMMIT")
            except BaseException:
                self._cache.forget()  # (committed or not: read everything again)
                raise
            self._cache.commit(tx.changes)

    @contextmanager
    def _storage_failures(self) -> Iterator[None]:
        """Raise `StoreUnavailable` for a failure of the file system (see `_transaction`)."""
        try:
            yield
        except duckdb.Error as error:
            if not _is_storage_failure(error):
                raise
            raise StoreUnavailable("the store cannot save data right now (its disk may "
                                   "be full)", f"cannot write {self._path} (is its disk "
                                   f"full?): {error}") from None

    def _stored_ids(self, customer_id: int) -> Hashes:
        """The hashes of the customer's stored event ids, ascending (for the cache)."""
        with self._cursor() as cursor:
            return id_hashes(cursor, f"events WHERE customer_id = {int(customer_id)}",
                             ordered=True)

    def _stored_entities(self, customer_id: int) -> Entities:
        """The customer's stored project and user ids (for the cache)."""
        def ids(table: str, column: str) -> set[int]:
            rows = self._read(f"SELECT {column} FROM {table} WHERE customer_id = ?",
                              [customer_id])
            return {int(row[0]) for row in rows}
        return Entities(ids("projects", "project_id"), ids("users", "user_id"),
                        ids("queues", "queue_id"))

    def _read(self, sql: str, params: list[object] | None = None) -> list[tuple[Any, ...]]:
        """All rows of a read, on a cursor of its own (it sees the last committed state)."""
        with self._cursor() as cursor:
            return cursor.execute(sql, params or []).fetchall()

    # customers and keys -------------------------------------------------------------
    def create_customer(self, name: str, timezone: str, key: ApiKey) -> Customer | None:
        with self._transaction() as tx:
            if tx.db.execute("SELECT 1 FROM customers WHERE name = ?", [name]).fetchall():
                return None
            customer_id = _scalar(
                tx.db,
                "INSERT INTO customers (customer_id, name, timezone) "
                "VALUES (nextval('customer_ids'), ?, ?) RETURNING customer_id",
                [name, timezone],
            )
            _insert_key(tx.db, customer_id, key)
        return Customer(customer_id, name, timezone)

    def customer(self, name: str) -> Customer | None:
        found: Customer | None = self._cache.get(("customer", name),
                                                 lambda: self._load_customer(name))
        return found

    def _load_customer(self, name: str) -> Customer | None:
        rows = self._read(f"SELECT {_CUSTOMER_COLUMNS} FROM customers WHERE name = ?", [name])
        return _customer(rows[0]) if rows else None

    def customers(self) -> list[Customer]:
        rows = self._read(f"SELECT {_CUSTOMER_COLUMNS} FROM customers ORDER BY name")
        return [_customer(r) for r in rows]

    def set_access(self, customer_id: int, networks: tuple[str, ...],
                   rate_limit: int | None, keep_days: int | None) -> None:
        with self._transaction() as tx:
            tx.db.execute(
                "UPDATE customers SET networks = ?, rate_limit = ?, keep_days = ? "
                "WHERE customer_id = ?",
                [list(networks), rate_limit, keep_days, customer_id],
            )

    def add_key(self, customer_id: int, key: ApiKey, limit: int | None = None) -> bool:
        with self._transaction() as tx:
            if limit is not None and _scalar(tx.db, "SELECT count(*) FROM api_keys WHERE "
                                                    "customer_id = ?", [customer_id]) >= limit:
                return False
            _insert_key(tx.db, customer_id, key)
        return True

    def keys(self, customer_id: int) -> list[ApiKey]:
        with self._cursor() as cursor:
            return _keys(cursor, customer_id)

    def revoke_key(self, customer_id: int, key_id: str) -> Revocation:
        with self._transaction() as tx:
            refused = refusal(_keys(tx.db, customer_id), key_id)
            if refused is not None:
                return refused
            tx.db.execute("DELETE FROM api_keys WHERE customer_id = ? AND key_id = ?",
                       [customer_id, key_id])
        return Revocation.REVOKED

    # projects, queues and users ------------------------------------------------------
    def projects(self, customer_id: int) -> list[Project]:
        return list(self._cache.get(("projects", customer_id),
                                    lambda: [Project(*row) for row in
                                             self._named("projects", customer_id)]))

    def queues(self, customer_id: int) -> list[Queue]:
        return list(self._cache.get(("queues", customer_id),
                                    lambda: [Queue(*row) for row in
                                             self._named("queues", customer_id)]))

    def _named(self, table: str, customer_id: int) -> list[tuple[int, str, Status]]:
        """(id, name, status) of the customer's projects or queues, by id."""
        rows = self._read(f"SELECT * EXCLUDE (customer_id) FROM {table} "
                          "WHERE customer_id = ? ORDER BY 1", [customer_id])
        return [(int(r[0]), r[1], Status(r[2])) for r in rows]

    def _create_named(self, table: str, customer_id: int, ident: int, name: str,
                      status: Status) -> bool:
        with self._transaction() as tx:
            return bool(tx.db.execute(
                f"INSERT INTO {table} VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1",
                [customer_id, ident, name, str(status)],
            ).fetchall())

    def _update_named(self, table: str, column: str, customer_id: int, ident: int,
                      name: str | None, status: Status | None
                      ) -> tuple[int, str, Status] | None:
        with self._transaction() as tx:
            rows = tx.db.execute(
                f"UPDATE {table} SET name = coalesce(?, name), status = coalesce(?, status) "
                f"WHERE customer_id = ? AND {column} = ? RETURNING {column}, name, status",
                [name, None if status is None else str(status), customer_id, ident],
            ).fetchall()
        return (int(rows[0][0]), rows[0][1], Status(rows[0][2])) if rows else None

    def create_project(self, customer_id: int, project: Project) -> bool:
        return self._create_named("projects", customer_id, project.project_id, project.name,
                                  project.status)

    def update_project(self, customer_id: int, project_id: int, name: str | None,
                       status: Status | None) -> Project | None:
        row = self._update_named("projects", "project_id", customer_id, project_id, name,
                                 status)
        return Project(*row) if row else None

    def create_queue(self, customer_id: int, queue: Queue) -> bool:
        return self._create_named("queues", customer_id, queue.queue_id, queue.name,
                                  queue.status)

    def update_queue(self, customer_id: int, queue_id: int, name: str | None,
                     status: Status | None) -> Queue | None:
        row = self._update_named("queues", "queue_id", customer_id, queue_id, name, status)
        return Queue(*row) if row else None

    def save_project(self, customer_id: int, project: Project) -> None:
        with self._transaction() as tx:
            tx.db.execute(
                "INSERT OR REPLACE INTO projects VALUES (?, ?, ?, ?)",
                [customer_id, project.project_id, project.name, str(project.status)],
            )

    def users(self, customer_id: int) -> list[User]:
        return list(self._cache.get(("users", customer_id),
                                    lambda: self._load_users(customer_id)))

    def _load_users(self, customer_id: int) -> list[User]:
        rows = self._read(
            "SELECT user_id, name, kind, status FROM users WHERE customer_id = ? "
            "ORDER BY user_id",
            [customer_id],
        )
        return [User(int(r[0]), r[1], UserKind(r[2]), Status(r[3])) for r in rows]

    def create_user(self, customer_id: int, user: User) -> bool:
        with self._transaction() as tx:
            return bool(tx.db.execute(
                "INSERT INTO users VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1",
                [customer_id, user.user_id, user.name, str(user.kind), str(user.status)],
            ).fetchall())

    def update_user(self, customer_id: int, user_id: int, name: str | None,
                    kind: UserKind | None, status: Status | None) -> User | None:
        with self._transaction() as tx:
            rows = tx.db.execute(
                "UPDATE users SET name = coalesce(?, name), kind = coalesce(?, kind), "
                "status = coalesce(?, status) WHERE customer_id = ? AND user_id = ? "
                "RETURNING user_id, name, kind, status",
                [name, None if kind is None else str(kind),
                 None if status is None else str(status), customer_id, user_id],
            ).fetchall()
        return User(int(rows[0][0]), rows[0][1], UserKind(rows[0][2]),
                    Status(rows[0][3])) if rows else None

    def save_user(self, customer_id: int, user: User) -> None:
        with self._transaction() as tx:
            tx.db.execute(
                "INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?, ?)",
                [customer_id, user.user_id, user.name, str(user.kind), str(user.status)],
            )

    # presets ------------------------------------------------------------------------
    def presets(self, customer_id: int) -> list[Preset]:
        return list(self._cache.get(("presets", customer_id),
                                    lambda: self._load_presets(customer_id)))

    def _load_presets(self, customer_id: int) -> list[Preset]:
        rows = self._read(
            "SELECT preset_id, name, fields FROM presets WHERE customer_id = ? "
            "ORDER BY preset_id",
            [customer_id],
        )
        return [Preset(int(r[0]), r[1], tuple(r[2])) for r in rows]

    def create_preset(self, customer_id: int, name: str, fields: tuple[str, ...]) -> Preset:
        with self._transaction() as tx:
            preset_id = _scalar(
                tx.db,
                """INSERT INTO presets
                   SELECT ?, coalesce(max(preset_id), 0) + 1, ?, ?
                   FROM presets WHERE customer_id = ?
                   RETURNING preset_id""",
                [customer_id, name, list(fields), customer_id],
            )
        return Preset(preset_id, name, fields)

    def delete_preset(self, customer_id: int, preset_id: int) -> bool:
        with self._transaction() as tx:
            deleted = tx.db.execute(
                "DELETE FROM presets WHERE customer_id = ? AND preset_id = ? RETURNING 1",
                [customer_id, preset_id],
            ).fetchall()
        return bool(deleted)

    # name mappings ------------------------------------------------------------------
    def name_mappings(self, customer_id: int, source: str) -> list[NameMapping]:
        rows = self._read(
            "SELECT kind, name, target_id FROM name_mappings WHERE customer_id = ? "
            "AND source = ? ORDER BY kind, name",
            [customer_id, source],
        )
        return [NameMapping(source, MappingKind(r[0]), r[1], int(r[2])) for r in rows]

    def save_name_mapping(self, customer_id: int, mapping: NameMapping, title: str) -> None:
        with self._transaction() as tx:
            _save_mapping(tx.db, customer_id, mapping, title)

    # events and sums ----------------------------------------------------------------
    @contextmanager
    def writer(self, customer_id: int) -> Iterator[_Writer]:
        c = int(customer_id)
        with self._transaction() as tx:
            yield _Writer(tx, c, _zone_of(tx.db, c))
        self._writes[c] += 1

    def delete_event(self, customer_id: int, event_id: str) -> bool:
        c = int(customer_id)
        with self._transaction() as tx, TempTables(tx.db) as temp:
            deleted = Deletion(c, "event_id = ?", (event_id,)).apply(temp, _zone_of(tx.db, c))
        self._writes[c] += 1
        return deleted > 0

    def withdraw_events(self, customer_id: int, selection: EventSelection) -> int:
        c = int(customer_id)
        with self._transaction() as tx, TempTables(tx.db) as temp:
            removed = Deletion(c, selection.condition()).apply(temp, _zone_of(tx.db, c))
        self._writes[c] += 1
        return removed

    def erase_user(self, customer_id: int, user_id: int) -> Erasure | None:
        """`ccstats.store.duckdb_erasure`: the rows go at once; the file is marked, and
        rewritten without their bytes at once (`_scrub_now`), else when next opened."""
        c, u = int(customer_id), int(user_id)
        on_disk = self._path != ":memory:"
        with self._transaction() as tx, TempTables(tx.db) as temp:
            erased = duckdb_erasure.erase_rows(temp, c, _zone_of(tx.db, c), u, on_disk)
            if erased is None:
                tx.abort()
                return None
            tx.changes.entities_of(c).users.discard(u)  # an event naming it registers it anew
        self._writes[c] += 1
        name, events, mappings = erased
        return Erasure(u, name, events, mappings, self._scrub_now() if on_disk else Scrub.DONE)

    def prune_before(self, customer_id: int, cutoff: Cutoff) -> int:
        """One transaction deletes the events and the rows (`ccstats.retention`): the
        removed events' contributions need no negated rows, as all of them lie in the
        rows deleted."""
        c = int(customer_id)
        with self._transaction() as tx:
            removed = _scalar(tx.db, f"DELETE FROM events WHERE customer_id = {c} "
                                     f"AND {cutoff.events().condition()}")
            for table in PRUNED_TABLES:
                tx.db.execute(f"DELETE FROM {table} WHERE customer_id = {c} "
                              f"AND {cutoff.before(table)}")
        self._writes[c] += 1
        return removed

    def change_mark(self, customer_id: int) -> int:
        return self._writes[int(customer_id)]

    def rebuild(self, customer_id: int | None = None) -> int:
        where = "" if customer_id is None else f"WHERE customer_id = {int(customer_id)}"
        with self._transaction() as tx:
            db = tx.db
            for table in (*SUMS_TABLES, "queue_calls"):
                db.execute(f"DELETE FROM {table} {where}")
            customers = [
                int(r[0]) for r in db.execute(
                    f"SELECT DISTINCT customer_id FROM events {where}"
                ).fetchall()
            ]
            total = 0
            for c in customers:
                events = f"(SELECT * FROM events WHERE customer_id = {c})"
                with TempTables(db) as temp:
                    append_sums(temp, c, _zone_of(db, c), sums_sql(events))
                    append_queue_calls(temp, c, [queue_call_rows_sql(events)])
                total += _scalar(db, f"SELECT count(*) FROM events WHERE customer_id = {c}")
        return total

    def compact(self) -> None:
        """Merge the delta logs of the sums into one row per key, in time order."""
        with self._transaction() as tx:
            for table, key in (("sums", "qh"), ("sums_hour", "day, hour"),
                               ("sums_day", "day")):
                with TempTables(tx.db) as temp:
                    merged = temp.create(
                        "merged",
                        f"""SELECT customer_id, project_id, user_id, {key}, field_id,
                                   sum(cnt) AS cnt, sum(secs) AS secs, sum(hits) AS hits
                            FROM {table} GROUP BY ALL HAVING sum(hits) <> 0
                            ORDER BY customer_id, {key}""")
                    tx.db.execute(f"DELETE FROM {table}")
                    tx.db.execute(f"INSERT INTO {table} SELECT * FROM {merged}")
            with TempTables(tx.db) as temp:
                keys = ("customer_id", *QUEUE_CALL_KEYS)
                merged = temp.create("merged", f"""SELECT * FROM (
                    {merged_sql(['SELECT * FROM queue_calls'], keys)}) ORDER BY customer_id, qh""")
                tx.db.execute("DELETE FROM queue_calls")
                tx.db.execute(f"INSERT INTO queue_calls SELECT * FROM {merged}")

    def event_count(self, customer_id: int) -> int:
        with self._cursor() as cursor:
            return _scalar(cursor, "SELECT count(*) FROM events WHERE customer_id = ?",
                           [customer_id])

    def events(self, customer_id: int) -> Iterator[pa.Table]:
        with self._cursor() as cursor:
            reader = cursor.sql(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE customer_id = {int(customer_id)}"
            ).to_arrow_reader(batch_size=EVENTS_PER_BLOCK)
            for batch in reader:
                yield pa.Table.from_batches([batch])

    def live_events(self, customer_id: int, since: int) -> pa.Table:
        with self._cursor() as cursor:
            return cursor.sql(
                f"""SELECT {EVENT_COLUMNS} FROM events
                    WHERE customer_id = {int(customer_id)} AND t_start >= {int(since)}
                      AND (t_end IS NULL OR type = '{QUEUE_CALL}')""").to_arrow_table()

    # statistics (`ccstats.pipeline.source.CellSource`) ------------------------------
    dialect = DUCKDB

    def visible_sums(self, customer_id: int) -> str | None:
        return None

    def scalar(self, sql: str) -> int:
        with self._cursor() as cursor:
            return _scalar(cursor, sql)

    def cells(self, statement: Statement, rows_bound: int) -> Iterator[pa.RecordBatch]:
        with self._cursor() as cursor:
            if rows_bound <= SMALL_ANSWER_CELLS:
                columns = cursor.execute(statement.unordered).fetchnumpy()
                order = statement.sort_order(columns)
                yield pa.record_batch({c: columns[c][order] for c in statement.columns})
                return
            yield from cursor.sql(statement.text).to_arrow_reader(batch_size=CELLS_PER_BATCH)
