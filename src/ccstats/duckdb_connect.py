"""The one way ccstats opens a DuckDB database: never fetching anything at run time.

Replaying the write-ahead log of a database whose tables were created but not
checkpointed (a process killed after creating a new file) makes DuckDB look for
its built-in ``core_functions`` extension and, with its default settings, try
to download it: the file could not be opened without internet. Every
connection of the program is therefore opened here with:

- ``autoinstall_known_extensions`` off: no extension is ever downloaded;
- ``enable_external_access`` off: no extension is installed or loaded from
  disk, and no SQL reads a file or a URL (ccstats passes its data as registered
  Arrow tables; spilling to the database's temporary folder still works).
  DuckDB only lets this be tightened while a database is open, never loosened.

``autoload_known_extensions`` stays on: the built-in extensions (``core_functions``,
``icu``, ``json``, ``parquet``) are linked into DuckDB, and the log replay needs it
to load ``core_functions`` (without it the replay fails: "list_value is not in
the catalog").
"""

from __future__ import annotations

import duckdb

OFFLINE = {"autoinstall_known_extensions": False, "enable_external_access": False}


def connect(database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A connection to `database` (a file path, or ``:memory:``) that never downloads."""
    return duckdb.connect(database, config=dict(OFFLINE))


def connect_for_copying() -> duckdb.DuckDBPyConnection:
    """An in-memory connection that may attach database files, to copy one into another
    (`ccstats.store.duckdb_erasure`): external access stays on for ``ATTACH``, and still
    no extension is ever downloaded."""
    return duckdb.connect(":memory:", config={"autoinstall_known_extensions": False})
