"""Temporary tables of one piece of work on a DuckDB connection that others share.

A connection's temporary tables (and registered Arrow tables) live as long as the
connection; a store's write connection outlives every batch. `TempTables` gives the
tables of one piece of work (a batch, a deletion, a grain derivation) names with a
suffix of their own, so that no two pieces of work ever meet in one name, and drops
every table it made when its block ends, whether the block succeeded or not, so that
nothing is left on the connection.
"""

from __future__ import annotations

import itertools
from types import TracebackType

import duckdb
import pyarrow as pa

#: Suffixes of this process (temporary tables belong to one connection of one process).
_serials = itertools.count(1)


class TempTables:
    """The temporary tables of one piece of work, dropped together when its block ends.

    A table is named by its base name (``previous``) plus the object's suffix
    (``previous_17``); `create` and `register` return the full name to write in SQL.
    """

    def __init__(self, db: duckdb.DuckDBPyConnection) -> None:
        self.db = db
        self._suffix = f"_{next(_serials)}"
        self._tables: list[str] = []
        self._registered: list[str] = []

    def name(self, base: str) -> str:
        """The full name of table `base` of this object."""
        return f"{base}{self._suffix}"

    def create(self, base: str, query: str, params: list[object] | None = None) -> str:
        """Create table `base` as the rows of `query`; its full name."""
        name = self.name(base)
        self.db.execute(f"CREATE TEMP TABLE {name} AS {query}", params or [])
        self._tables.append(name)
        return name

    def register(self, base: str, table: pa.Table) -> str:
        """Make the Arrow `table` readable as `base` (no copy); its full name."""
        name = self.name(base)
        self.db.register(name, table)
        self._registered.append(name)
        return name

    def __enter__(self) -> TempTables:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        """Drop every table; when the block raised, a failure to drop (the transaction
        it ran in is aborted, and its rollback removes the tables) yields to that error."""
        try:
            self.drop()
        except duckdb.Error:
            if error is None:
                raise

    def drop(self) -> None:
        """Drop the tables made so far (the object can go on making more); each is
        tried, and the first failure raised afterwards."""
        registered, tables = self._registered[::-1], self._tables[::-1]
        self._registered, self._tables = [], []
        failures: list[duckdb.Error] = []
        for name in registered:
            try:
                self.db.unregister(name)
            except duckdb.Error as error:
                failures.append(error)
        for name in tables:
            try:
                self.db.execute(f"DROP TABLE IF EXISTS {name}")
            except duckdb.Error as error:
                failures.append(error)
        if failures:
            raise failures[0]
