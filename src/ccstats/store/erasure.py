"""What erasing a user did (`ccstats.store.base.Store.erase_user`).

An erasure removes, at once, every event of one user of a customer (with their
contributions to the sums and to the queue calls), every sums row of the user, its
name (the ``users`` row) and the name mappings to it. Whether the bytes of those rows
are gone from the store's files as well is `Scrub`: a DuckDB file keeps them in its
free blocks until it is rewritten (`ccstats.store.duckdb_erasure`); ClickHouse removes
them with mutations (`ccstats.store.clickhouse_erasure`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Scrub(StrEnum):
    """Where the bytes of the erased rows are, once the erasure returns."""

    DONE = "done"
    """No file of the store holds them (ClickHouse: the replaced parts are removed by the
    server after its ``old_parts_lifetime``)."""
    PENDING = "pending"
    """DuckDB: the database file still holds them in its free blocks (reads under way did
    not end in time, or the disk had no room for the rewrite); it is rewritten
    without them when the store is next opened (a server: at its next start), and a
    backup taken meanwhile is written without them."""
    RUNNING = "running"
    """ClickHouse: the mutations that remove them were still running when the erasure
    stopped waiting for them; they finish in the background."""


@dataclass(frozen=True, slots=True)
class Erasure:
    """What `Store.erase_user` removed: the user's id and name (as it was), how many of its
    current events, how many name mappings pointed to it, and the state of the files."""

    user_id: int
    name: str
    events: int
    mappings: int
    scrub: Scrub
