"""Erasing a user on DuckDB: its rows at once, their bytes when the file is rewritten.

`erase_rows` runs inside the store's write transaction: it withdraws the user's events
(a `Deletion`: their sums and queue-call contributions go with them), deletes every
sums row of the user (the deltas, which now add up to nothing), its ``users`` row and
the name mappings to it, and marks the file (``meta`` key ``scrub_pending``).

DuckDB leaves the bytes of deleted rows in the file's free blocks (a checkpoint does
not clear them), where a byte search of the file still finds them. `rewrite` makes a
fresh file holding only the live rows (``COPY FROM DATABASE``, which keeps every
table, its column compression and the sequences' values) and renames it over the old
one. A file can only be rewritten while nothing has it open: the store does it right
after the erasure, holding its write lock with every read kept out
(`ccstats.store.reader_gate`), closing its connection and opening the new file; if
the reads under way do not end within its patience, or the rewrite fails, the file
stays marked and the store does it when it next opens the file, before anything reads
it (a server: at its next start). A backup of a marked file is opened the same way
before it is renamed into place (`ccstats.store.duckdb_backup.seal`), so it is
written without the erased rows too.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from ccstats import duckdb_connect
from ccstats.errors import StoreUnavailable
from ccstats.store import duckdb_backup
from ccstats.store.duckdb_batch import SUMS_TABLES, Deletion
from ccstats.store.selection import EventSelection
from ccstats.store.temp_tables import TempTables

#: The ``meta`` key of a file that holds bytes of erased rows.
SCRUB_KEY = "scrub_pending"


def erase_rows(temp: TempTables, customer_id: int, zone: str, user_id: int,
               mark: bool) -> tuple[str, int, int] | None:
    """Remove the rows of user `user_id` (inside an open transaction of `temp.db`) and,
    if `mark`, mark the file for a rewrite; the user's name, the number of its events and
    of the mappings to it, or None (nothing changed) for an unknown user."""
    db, c, u = temp.db, int(customer_id), int(user_id)
    named = db.execute("SELECT name FROM users WHERE customer_id = ? AND user_id = ?",
                       [c, u]).fetchall()
    if not named:
        return None
    events = Deletion(c, EventSelection(user_id=u).condition()).apply(temp, zone)
    for table in SUMS_TABLES:
        db.execute(f"DELETE FROM {table} WHERE customer_id = ? AND user_id = ?", [c, u])
    db.execute("DELETE FROM users WHERE customer_id = ? AND user_id = ?", [c, u])
    mappings = len(db.execute(
        "DELETE FROM name_mappings WHERE customer_id = ? AND kind = 'user' "
        "AND target_id = ? RETURNING 1", [c, u]).fetchall())
    if mark:
        db.execute("INSERT OR REPLACE INTO meta VALUES (?, '1')", [SCRUB_KEY])
    return str(named[0][0]), events, mappings


def scrub_pending(db: duckdb.DuckDBPyConnection) -> bool:
    """Whether the open file is marked for a rewrite."""
    return bool(db.execute("SELECT 1 FROM meta WHERE key = ?", [SCRUB_KEY]).fetchall())


def rewrite(path: Path) -> None:
    """Replace the closed database file `path` by a fresh copy of its live rows, unmarked
    (a temporary file next to it, synced, then renamed over it). Raise `StoreUnavailable`
    if it cannot (the disk has no room for the copy...): the file is then as it was."""
    if duckdb_backup.wal_of(path).exists():
        raise StoreUnavailable("the database cannot be rewritten", f"{path} has a "
                               "write-ahead log left: open and close it once, then again")
    temporary = duckdb_backup.partial_name(path)
    try:
        _copy_live(path, temporary)
        if duckdb_backup.wal_of(path).exists() or duckdb_backup.wal_of(temporary).exists():
            raise StoreUnavailable("the database cannot be rewritten", f"a checkpoint of "
                                   f"{path} or of its copy failed: it was left as it was")
        duckdb_backup.sync(temporary)
        os.replace(temporary, path)
        duckdb_backup.sync(path.parent)
    except (duckdb.Error, OSError) as error:
        raise StoreUnavailable(
            "the database cannot be rewritten",
            f"cannot rewrite {path} without the erased rows (it needs room for a copy of "
            f"the file): {error}; it is rewritten when next opened") from None
    finally:
        duckdb_backup.discard(temporary)


def _copy_live(path: Path, temporary: Path) -> None:
    """Copy every table and sequence of the file `path` into the new file `temporary`,
    without the mark; both are checkpointed when detached."""
    db = duckdb_connect.connect_for_copying()  # attaching files needs file access
    try:
        db.execute(f"ATTACH {_literal(path)} AS erased")
        db.execute(f"ATTACH {_literal(temporary)} AS fresh")
        db.execute("COPY FROM DATABASE erased TO fresh")
        db.execute("DELETE FROM fresh.meta WHERE key = ?", [SCRUB_KEY])
        db.execute("CHECKPOINT fresh")
        db.execute("DETACH fresh")
        db.execute("DETACH erased")
    finally:
        db.close()


def _literal(path: Path) -> str:
    """`path` as an SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"
