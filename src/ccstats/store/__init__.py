"""Stores: where ccstats keeps customers, events and sums (see `ccstats.store.base`)."""

from __future__ import annotations

from ccstats.store.base import Store


def open_store(url: str) -> Store:
    """The store named by `url`: a path or ``duckdb:///path`` is an embedded DuckDB file."""
    if url.startswith("duckdb://"):
        path = url.removeprefix("duckdb://")
        from ccstats.store.duckdb_store import DuckDBStore

        return DuckDBStore(path or ":memory:")
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise ValueError(f"unsupported database URL scheme {scheme!r}; use a file path or "
                         "duckdb:///path")
    from ccstats.store.duckdb_store import DuckDBStore

    return DuckDBStore(url)
