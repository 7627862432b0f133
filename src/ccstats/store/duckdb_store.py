"""The embedded store: one DuckDB file holds metadata, raw events and sums.

Tables
------
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

Writes take a lock and run in one transaction, so a batch is stored whole or not
at all; reads use their own cursor and see the last committed state. The file has
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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ccstats import duckdb_connect
from ccstats.buckets import DAY, QUARTER
from ccstats.errors import StoreUnavailable
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
from ccstats.store.base import (
    ENTITY_TABLES,
    ChooseId,
    Revocation,
    map_new_names,
    refusal,
)
from ccstats.store.contributions import sums_sql
from ccstats.store.grains import DELTA_TABLES, derive_grains, drop_grains
from ccstats.store.id_index import Hashes, IdIndex
from ccstats.store.metadata_cache import MetadataCache

log = logging.getLogger(__name__)

#: Write-ahead log size that triggers a checkpoint. DuckDB's default (16 MiB) makes
#: about every tenth 10,000-event batch pay a second-long checkpoint; a larger log
#: is replayed on the next open after a crash, and checkpointed on a clean close.
CHECKPOINT_THRESHOLD = "256MiB"

#: Version of the layout below; a database written by an older version is migrated on open.
SCHEMA_VERSION = 3

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
    t_end BIGINT NOT NULL
);
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

_SUMS_TABLES = ("sums", "sums_hour", "sums_day")

#: The order in which a batch's rows are appended to each sums table: by day, then
#: by user. A user's rows of a day then lie together, so that a query for a few
#: users skips the row groups of the others (one agent's day reads a fifth of the
#: rows), and runs of one user id compress (the store of S is a tenth smaller);
#: a large batch, such as a rebuild, keeps the time order that date ranges skip by.
_APPEND_ORDER = {"sums": f"qh // {DAY // QUARTER}, user_id", "sums_hour": "day, user_id",
                 "sums_day": "day, user_id"}

_EVENT_COLUMNS = "event_id, type, subtype, project_id, user_id, t_start, t_answer, t_end"


@dataclass
class _Entities:
    """Project and user ids that a customer's ``projects`` and ``users`` tables hold.

    It may miss ids (then a batch adds its rows as usual), never lists one the
    tables lack, so a batch whose ids are all listed skips adding rows.
    """

    projects: set[int]
    users: set[int]

    def copy(self) -> _Entities:
        return _Entities(set(self.projects), set(self.users))


def _distinct(column: pa.ChunkedArray) -> set[int]:
    return set(pc.unique(column).to_pylist())


class _Writer:
    """`ccstats.store.base.EventWriter` inside an open DuckDB transaction."""

    def __init__(self, db: duckdb.DuckDBPyConnection, customer_id: int, zone: str,
                 index: IdIndex, entities: _Entities) -> None:
        self._db = db
        self._customer_id = customer_id
        self._zone = zone
        self._index = index
        self.added = IdIndex(np.array([], dtype=np.uint64))
        """Id hashes added in this transaction (for the index once it commits)."""
        self.entities = entities.copy()
        """The project and user ids stored once this transaction commits."""
        self.aborted = False

    def add(self, events: pa.Table) -> None:
        if self.aborted or not events.num_rows:
            return
        db = self._db
        db.register("incoming", events)
        try:
            ids = np.sort(_id_hashes(db, "incoming"))  # sorted once for the index
            # (equal hashes are nearly always a repeated id; when they are not, the
            # repeats' path merely finds nothing to drop)
            has_repeats = bool(np.any(ids[1:] == ids[:-1]))
            may_replace = self._index.may_contain_any(ids) or self.added.may_contain_any(ids)
            projects, users = _distinct(events["project_id"]), _distinct(events["user_id"])
            known = self.entities
            new_entities = has_repeats or not (projects <= known.projects
                                               and users <= known.users)
            DuckDBStore.apply(db, self._customer_id, self._zone, has_repeats, may_replace,
                              new_entities)
            self.added.add(ids)
            # (with repeats, a line that a later one replaced is not stored, and
            # neither may its project and user be: they are not noted)
            if not has_repeats:
                known.projects |= projects
                known.users |= users
        finally:
            db.unregister("incoming")
            for table in ("batch", "previous", "unchanged"):
                db.execute(f"DROP TABLE IF EXISTS {table}")

    def map_names(self, source: str, kind: MappingKind, names: Sequence[str],
                  choose: ChooseId) -> dict[str, int]:
        found = _map_names(self._db, self._customer_id, source, kind, names, choose)
        # every id mapped to has its project or user now (in this transaction)
        known = self.entities.projects if kind is MappingKind.PROJECT else self.entities.users
        known.update(found.values())
        return found

    def abort(self) -> None:
        self.aborted = True


#: Events read at a time by `DuckDBStore.events`.
EVENTS_PER_BLOCK = 1_000_000

#: A statement of at most this many cells is fetched whole (as numpy arrays, which
#: DuckDB makes without the extra copy of its DB-API Arrow results); a larger one goes
#: through a relation and an Arrow reader, which streams its rows but plans the
#: statement twice.
SMALL_ANSWER_CELLS = 100_000

#: Cells fetched from the database at a time.
CELLS_PER_BATCH = 65_536


def _id_hashes(db: duckdb.DuckDBPyConnection, source: str, ordered: bool = False) -> Hashes:
    """The 64-bit hashes of the event ids of `source` (a table, optionally filtered),
    in ascending order if `ordered` (DuckDB sorts millions faster than numpy)."""
    order = " ORDER BY h" if ordered else ""
    column = db.execute(f"SELECT hash(event_id) AS h FROM {source}{order}").fetchnumpy()["h"]
    hashes: Hashes = np.asarray(column, dtype=np.uint64)
    return hashes


def _is_storage_failure(error: duckdb.Error) -> bool:
    """Whether `error` comes from the file system rather than from the statement."""
    text = str(error)
    return isinstance(error, duckdb.IOException) or "Could not write" in text or (
        "No space left" in text)


_CUSTOMER_COLUMNS = "customer_id, name, timezone, networks, rate_limit"


def _customer(row: tuple[Any, ...]) -> Customer:
    return Customer(int(row[0]), row[1], row[2], tuple(row[3] or ()),
                    None if row[4] is None else int(row[4]))


def _zone_of(db: duckdb.DuckDBPyConnection, customer_id: int) -> str:
    rows = db.execute("SELECT timezone FROM customers WHERE customer_id = ?",
                      [customer_id]).fetchall()
    return str(rows[0][0]) if rows else "UTC"


def _add_sums(db: duckdb.DuckDBPyConnection, c: int, zone: str, deltas: str) -> None:
    """Append the quarter-hour delta rows `deltas` (a query) of customer `c` to every grain."""
    if derive_grains(db, zone, deltas):
        for table, delta in zip(_SUMS_TABLES, DELTA_TABLES, strict=True):
            db.execute(f"INSERT INTO {table} SELECT {c}, * FROM {delta} "
                       f"ORDER BY {_APPEND_ORDER[table]}")
    drop_grains(db)


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
        try:
            self._db = duckdb_connect.connect(self._path)
        except duckdb.IOException as error:
            if "lock" in str(error).lower():
                raise StoreUnavailable(
                    "the database is in use by another process",
                    f"the database {self._path} is in use by another process (is `ccstats "
                    "serve` running on it? stop it, or use the HTTP API)") from None
            raise StoreUnavailable("the database cannot be opened",
                                   f"cannot open the database {self._path}: {error}") from None
        self._db.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        self._write_lock = threading.Lock()
        # Metadata read on every request, kept until this store writes again (the
        # database file has one writing process: this one).
        self._cache: MetadataCache[tuple[str, object], Any] = MetadataCache()
        self._id_indexes: dict[int, IdIndex] = {}
        self._entities: dict[int, _Entities] = {}
        self._db.execute(SCHEMA)
        self.migrate()

    def migrate(self) -> None:
        """Bring an older database to `SCHEMA_VERSION`.

        Version 2 changed the layout of the sums (derived data: they are rebuilt);
        version 3 added ``name_mappings`` (created empty by `SCHEMA`).
        """
        rows = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        version = int(rows[0][0]) if rows else 0
        if version < SCHEMA_VERSION:
            if version < 2 and _scalar(self._db, "SELECT count(*) FROM events"):
                self.rebuild()
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
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

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the write lock; afterwards forget cached metadata.

        A write the disk refuses (full, read-only, failing) leaves the transaction
        rolled back and raises `StoreUnavailable`; DuckDB keeps working once the
        cause is gone.
        """
        with self._write_lock:
            try:
                yield
            except duckdb.Error as error:
                if not _is_storage_failure(error):
                    raise
                raise StoreUnavailable("the store cannot save data right now (its disk may "
                                       "be full)", f"cannot write {self._path} (is its disk "
                                       f"full?): {error}") from None
            finally:
                self._cache.invalidate()

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """`_writing` in one transaction, rolled back if the block raises."""
        with self._writing():
            db = self._db
            db.execute("BEGIN TRANSACTION")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _read(self, sql: str, params: list[object] | None = None) -> list[tuple[Any, ...]]:
        """All rows of a read, on a cursor of its own (it sees the last committed state)."""
        with self._db.cursor() as cursor:
            return cursor.execute(sql, params or []).fetchall()

    # customers and keys -------------------------------------------------------------
    def create_customer(self, name: str, timezone: str, key: ApiKey) -> Customer | None:
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM customers WHERE name = ?", [name]).fetchall():
                return None
            customer_id = _scalar(
                db,
                "INSERT INTO customers (customer_id, name, timezone) "
                "VALUES (nextval('customer_ids'), ?, ?) RETURNING customer_id",
                [name, timezone],
            )
            _insert_key(db, customer_id, key)
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
                   rate_limit: int | None) -> None:
        with self._writing():
            self._db.execute(
                "UPDATE customers SET networks = ?, rate_limit = ? WHERE customer_id = ?",
                [list(networks), rate_limit, customer_id],
            )

    def add_key(self, customer_id: int, key: ApiKey, limit: int | None = None) -> bool:
        with self._transaction() as db:
            if limit is not None and _scalar(db, "SELECT count(*) FROM api_keys "
                                                 "WHERE customer_id = ?", [customer_id]) >= limit:
                return False
            _insert_key(db, customer_id, key)
        return True

    def keys(self, customer_id: int) -> list[ApiKey]:
        with self._db.cursor() as cursor:
            return _keys(cursor, customer_id)

    def revoke_key(self, customer_id: int, key_id: str) -> Revocation:
        with self._transaction() as db:
            refused = refusal(_keys(db, customer_id), key_id)
            if refused is not None:
                return refused
            db.execute("DELETE FROM api_keys WHERE customer_id = ? AND key_id = ?",
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
        with self._writing():
            return bool(self._db.execute(
                f"INSERT INTO {table} VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1",
                [customer_id, ident, name, str(status)],
            ).fetchall())

    def _update_named(self, table: str, column: str, customer_id: int, ident: int,
                      name: str | None, status: Status | None
                      ) -> tuple[int, str, Status] | None:
        with self._writing():
            rows = self._db.execute(
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
        with self._writing():
            self._db.execute(
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
        with self._writing():
            return bool(self._db.execute(
                "INSERT INTO users VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1",
                [customer_id, user.user_id, user.name, str(user.kind), str(user.status)],
            ).fetchall())

    def update_user(self, customer_id: int, user_id: int, name: str | None,
                    kind: UserKind | None, status: Status | None) -> User | None:
        with self._writing():
            rows = self._db.execute(
                "UPDATE users SET name = coalesce(?, name), kind = coalesce(?, kind), "
                "status = coalesce(?, status) WHERE customer_id = ? AND user_id = ? "
                "RETURNING user_id, name, kind, status",
                [name, None if kind is None else str(kind),
                 None if status is None else str(status), customer_id, user_id],
            ).fetchall()
        return User(int(rows[0][0]), rows[0][1], UserKind(rows[0][2]),
                    Status(rows[0][3])) if rows else None

    def save_user(self, customer_id: int, user: User) -> None:
        with self._writing():
            self._db.execute(
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
        with self._writing():
            preset_id = _scalar(
                self._db,
                """INSERT INTO presets
                   SELECT ?, coalesce(max(preset_id), 0) + 1, ?, ?
                   FROM presets WHERE customer_id = ?
                   RETURNING preset_id""",
                [customer_id, name, list(fields), customer_id],
            )
        return Preset(preset_id, name, fields)

    def delete_preset(self, customer_id: int, preset_id: int) -> bool:
        with self._writing():
            deleted = self._db.execute(
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
        with self._transaction() as db:
            _save_mapping(db, customer_id, mapping, title)

    # events and sums ----------------------------------------------------------------
    @contextmanager
    def writer(self, customer_id: int) -> Iterator[_Writer]:
        with self._writing():
            db = self._db
            db.execute("BEGIN TRANSACTION")
            index = self._id_index(int(customer_id))
            writer = _Writer(db, int(customer_id), _zone_of(db, int(customer_id)), index,
                             self._stored_entities(int(customer_id)))
            try:
                yield writer
            except BaseException:
                db.execute("ROLLBACK")
                raise
            if writer.aborted:
                db.execute("ROLLBACK")
            else:
                db.execute("COMMIT")
                index.merge(writer.added)
                self._entities[int(customer_id)] = writer.entities

    def _id_index(self, customer_id: int) -> IdIndex:
        """The customer's id index, read from the events on first use (under the write lock)."""
        if customer_id not in self._id_indexes:
            self._id_indexes[customer_id] = IdIndex(
                _id_hashes(self._db, f"events WHERE customer_id = {customer_id}", ordered=True))
        return self._id_indexes[customer_id]

    def _stored_entities(self, customer_id: int) -> _Entities:
        """The customer's project and user ids, read on first use (under the write lock)."""
        if customer_id not in self._entities:
            def ids(table: str, column: str) -> set[int]:
                return {int(row[0]) for row in self._db.execute(
                    f"SELECT {column} FROM {table} WHERE customer_id = ?", [customer_id]
                ).fetchall()}
            self._entities[customer_id] = _Entities(ids("projects", "project_id"),
                                                    ids("users", "user_id"))
        return self._entities[customer_id]

    @staticmethod
    def apply(db: duckdb.DuckDBPyConnection, c: int, zone: str, has_repeats: bool,
              may_replace: bool = True, new_entities: bool = True) -> None:
        """Replace-or-insert the registered ``incoming`` events (inside a transaction).

        With `may_replace` false (no id of the batch is stored yet) the lookup of
        old versions is skipped; with `new_entities` false (every project and user
        of the batch is stored already) so is the adding of project and user rows.
        """
        batch = "incoming"
        if has_repeats:  # the last line of an id wins
            db.execute(
                """CREATE TEMP TABLE batch AS SELECT * FROM incoming
                    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY line_no DESC) = 1"""
            )
            batch = "batch"
        withdrawn = 0
        if may_replace:
            db.execute(
                f"""CREATE TEMP TABLE previous AS
                    SELECT {_EVENT_COLUMNS} FROM events
                    WHERE customer_id = {c} AND event_id IN (SELECT event_id FROM {batch})"""
            )
            withdrawn = _scalar(db, "SELECT count(*) FROM previous")
        if withdrawn:
            # An event stored again unchanged needs no work; the others replace theirs.
            same = " AND ".join(
                f"p.{col} IS NOT DISTINCT FROM b.{col}" for col in _EVENT_COLUMNS.split(", ")
            )
            db.execute(
                f"""CREATE TEMP TABLE unchanged AS
                    SELECT p.event_id FROM previous p JOIN {batch} b USING (event_id)
                    WHERE {same}"""
            )
            if _scalar(db, "SELECT count(*) FROM unchanged"):
                db.execute(
                    "DELETE FROM previous WHERE event_id IN (SELECT event_id FROM unchanged)"
                )
                if batch == "incoming":
                    db.execute("CREATE TEMP TABLE batch AS SELECT * FROM incoming")
                    batch = "batch"
                db.execute("DELETE FROM batch WHERE event_id IN (SELECT event_id FROM unchanged)")
            db.execute(
                f"""DELETE FROM events WHERE customer_id = {c}
                    AND event_id IN (SELECT event_id FROM previous)"""
            )
            sums = f"""SELECT * FROM ({sums_sql("previous", -1)})
                       UNION ALL SELECT * FROM ({sums_sql(batch)})"""
        else:
            sums = sums_sql(batch)
        _add_sums(db, c, zone, sums)
        db.execute(f"INSERT INTO events SELECT {c}, {_EVENT_COLUMNS} FROM {batch}")
        if not new_entities:
            return
        db.execute(
            f"""INSERT INTO projects
                SELECT DISTINCT {c}, project_id, 'Project ' || project_id, 'active' FROM {batch}
                ON CONFLICT DO NOTHING"""
        )
        db.execute(
            f"""INSERT INTO users
                SELECT DISTINCT {c}, user_id, 'User ' || user_id, 'agent', 'active' FROM {batch}
                ON CONFLICT DO NOTHING"""
        )

    def delete_event(self, customer_id: int, event_id: str) -> bool:
        c = int(customer_id)
        with self._transaction() as db:
            db.execute(
                f"""CREATE TEMP TABLE previous AS SELECT {_EVENT_COLUMNS} FROM events
                    WHERE customer_id = {c} AND event_id = ?""",
                [event_id],
            )
            found = _scalar(db, "SELECT count(*) FROM previous") > 0
            if found:
                _add_sums(db, c, _zone_of(db, c), sums_sql("previous", -1))
                db.execute(
                    f"DELETE FROM events WHERE customer_id = {c} AND event_id = ?",
                    [event_id],
                )
            db.execute("DROP TABLE previous")
        return found

    def rebuild(self, customer_id: int | None = None) -> int:
        where = "" if customer_id is None else f"WHERE customer_id = {int(customer_id)}"
        with self._transaction() as db:
            for table in _SUMS_TABLES:
                db.execute(f"DELETE FROM {table} {where}")
            customers = [
                int(r[0]) for r in db.execute(
                    f"SELECT DISTINCT customer_id FROM events {where}"
                ).fetchall()
            ]
            total = 0
            for c in customers:
                _add_sums(db, c, _zone_of(db, c),
                          sums_sql(f"(SELECT * FROM events WHERE customer_id = {c})"))
                total += _scalar(db, f"SELECT count(*) FROM events WHERE customer_id = {c}")
        return total

    def compact(self) -> None:
        """Merge the delta logs of the sums into one row per key, in time order."""
        with self._transaction() as db:
            for table, key in (("sums", "qh"), ("sums_hour", "day, hour"),
                               ("sums_day", "day")):
                db.execute(
                    f"""CREATE TEMP TABLE merged AS
                        SELECT customer_id, project_id, user_id, {key}, field_id,
                               sum(cnt) AS cnt, sum(secs) AS secs, sum(hits) AS hits
                        FROM {table} GROUP BY ALL HAVING sum(hits) <> 0
                        ORDER BY customer_id, {key}"""
                )
                db.execute(f"DELETE FROM {table}")
                db.execute(f"INSERT INTO {table} SELECT * FROM merged")
                db.execute("DROP TABLE merged")

    def event_count(self, customer_id: int) -> int:
        with self._db.cursor() as cursor:
            return _scalar(cursor, "SELECT count(*) FROM events WHERE customer_id = ?",
                           [customer_id])

    def events(self, customer_id: int) -> Iterator[pa.Table]:
        with self._db.cursor() as cursor:
            reader = cursor.sql(
                f"SELECT {_EVENT_COLUMNS} FROM events WHERE customer_id = {int(customer_id)}"
            ).to_arrow_reader(batch_size=EVENTS_PER_BLOCK)
            for batch in reader:
                yield pa.Table.from_batches([batch])

    # statistics (`ccstats.pipeline.source.CellSource`) ------------------------------
    dialect = DUCKDB

    def visible_sums(self, customer_id: int) -> str | None:
        return None

    def scalar(self, sql: str) -> int:
        with self._db.cursor() as cursor:
            return _scalar(cursor, sql)

    def cells(self, statement: Statement, rows_bound: int) -> Iterator[pa.RecordBatch]:
        with self._db.cursor() as cursor:
            if rows_bound <= SMALL_ANSWER_CELLS:
                columns = cursor.execute(statement.unordered).fetchnumpy()
                order = statement.sort_order(columns)
                yield pa.record_batch({c: columns[c][order] for c in statement.columns})
                return
            yield from cursor.sql(statement.text).to_arrow_reader(batch_size=CELLS_PER_BATCH)
