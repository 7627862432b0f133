"""Copies of an embedded DuckDB store: `DuckDBStore.backup` and `restore`.

A backup is taken while the store stays open: under the store's write lock (no
batch or other change commits meanwhile; reads go on) the store is checkpointed
and its file, with its write-ahead log should the checkpoint leave one, copied to
a temporary name next to the destination. The lock is held only for that copy.
The copy is then opened on its own (which replays such a log), checked to be a
ccstats database of this version, checkpointed, closed, synced to disk and
renamed to the destination: a file at the destination is always whole.

The file is copied rather than written with DuckDB's ``ATTACH`` and ``COPY FROM
DATABASE``: the store's connections have no file access (`ccstats.duckdb_connect`),
and re-encoding every table takes far longer than copying its blocks.

`restore` makes a database file from a backup the same way (temporary name,
migrated to this version, synced, renamed); the file must not be in use.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import BinaryIO

import duckdb

from ccstats import duckdb_connect
from ccstats.errors import InvalidRequest, StoreUnavailable, bad_arguments

#: Bytes copied at a time from an open database file (one ``sendfile`` call).
COPY_CHUNK = 8 << 20


def wal_of(path: Path) -> Path:
    """The write-ahead log DuckDB keeps beside the database file `path`."""
    return path.with_name(path.name + ".wal")


def check_destination(destination: Path, force: bool, param: str = "path") -> None:
    """Refuse a destination whose folder is missing, or that exists (unless `force`)."""
    if not destination.parent.is_dir():
        raise InvalidRequest([bad_arguments(param, f"the folder of {destination} does not "
                                                   "exist")])
    if destination.is_dir() or (destination.exists() and not force):
        raise InvalidRequest([bad_arguments(param, f"{destination} exists: choose a new "
                                                   "name (or --force to replace a file)")])


def partial_name(destination: Path) -> Path:
    """A temporary name next to `destination` (same file system, so renaming is atomic)."""
    return destination.with_name(f".{destination.name}.{secrets.token_hex(4)}.partial")


def copy_files(source: Path, temporary: Path, opened: BinaryIO | None = None) -> None:
    """Copy the database file `source`, and its write-ahead log if it holds anything.

    A process that has the database open must pass `opened`, the file opened by it
    once and kept open: closing any descriptor of a file releases the process's
    POSIX locks on it, DuckDB's lock included.
    """
    if opened is None:
        shutil.copyfile(source, temporary)
    else:
        _send(opened.fileno(), temporary)
    log = wal_of(source)
    if log.exists() and log.stat().st_size:
        shutil.copyfile(log, wal_of(temporary))


def _send(source: int, temporary: Path) -> None:
    """Copy the whole open file `source` to `temporary` in the kernel (``sendfile``)."""
    size, offset = os.fstat(source).st_size, 0
    with temporary.open("wb") as out:
        while offset < size:
            sent = os.sendfile(out.fileno(), source, offset, min(COPY_CHUNK, size - offset))
            if not sent:
                break
            offset += sent


def schema_version(db: duckdb.DuckDBPyConnection, shown: Path) -> int:
    """The ccstats schema version of the open database (`shown` names it in errors)."""
    try:
        rows = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    except duckdb.CatalogException:
        rows = []
    if not rows:
        raise InvalidRequest([bad_arguments("path", f"{shown} is not a ccstats database")])
    return int(rows[0][0])


def seal(temporary: Path, destination: Path, shown: Path) -> int:
    """Make the copy at `temporary` a ccstats database of this version (migrating an
    older one), fold its log into it, sync it and rename it to `destination`; the
    number of events it holds. `shown` names the copied database in errors."""
    from ccstats.store.duckdb_store import SCHEMA_VERSION, DuckDBStore

    try:
        db = duckdb_connect.connect(str(temporary))
    except duckdb.Error as error:
        raise InvalidRequest([bad_arguments("path", f"{shown} cannot be opened as a "
                                                    f"DuckDB database: {error}")]) from None
    try:
        version = schema_version(db, shown)
    finally:
        db.close()
    if version > SCHEMA_VERSION:
        raise InvalidRequest([bad_arguments("path", f"{shown} was made by a newer ccstats "
                                                    f"(schema version {version})")])
    store = DuckDBStore(temporary)  # migrates an older version
    try:
        events = store.scalar("SELECT count(*) FROM events")
    finally:
        store.close()
    sync(temporary)
    wal_of(temporary).unlink(missing_ok=True)
    wal_of(destination).unlink(missing_ok=True)  # a log of a replaced file is not ours
    os.replace(temporary, destination)
    sync(destination.parent)
    return events


def sync(path: Path) -> None:
    """Flush `path` (a file or a folder) to the disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def discard(temporary: Path) -> None:
    """Remove what an unfinished copy left."""
    temporary.unlink(missing_ok=True)
    wal_of(temporary).unlink(missing_ok=True)


def restore(backup: Path, destination: Path, force: bool) -> int:
    """Make the database file `destination` from the backup file `backup`; the number of
    events it holds. A `destination` in use (a server running on it) is refused."""
    if not backup.is_file():
        raise InvalidRequest([bad_arguments("backup", f"{backup} is not a file")])
    check_destination(destination, force, "--db")
    if destination.exists():
        _refuse_in_use(destination)
    temporary = partial_name(destination)
    try:
        copy_files(backup, temporary)
        return seal(temporary, destination, backup)
    finally:
        discard(temporary)


def _refuse_in_use(destination: Path) -> None:
    """Raise `StoreUnavailable` if another process has the database `destination` open."""
    try:
        duckdb_connect.connect(str(destination)).close()
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise StoreUnavailable(
                "the database is in use", f"{destination} is in use by another process: "
                "stop the server before restoring over its file") from None
    except duckdb.Error:
        pass  # not a usable database: it is replaced all the same
