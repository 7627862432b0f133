"""Stores: where ccstats keeps customers, events and sums (see `ccstats.store.base`)."""

from __future__ import annotations

from ccstats.store.base import Store


def open_store(url: str) -> Store:
    """The store named by `url`.

    - a path or ``duckdb:///path``: an embedded DuckDB file;
    - ``clickhouse://[user[:password]@]host[:port]/database[?cluster=name]``: a ClickHouse
      server, or the cluster `name` reached through that server.
    """
    if url.startswith("duckdb://"):
        path = url.removeprefix("duckdb://")
        from ccstats.store.duckdb_store import DuckDBStore

        return DuckDBStore(path or ":memory:")
    if url.startswith("clickhouse://"):
        from ccstats.store.clickhouse_store import ClickHouseStore

        return ClickHouseStore(url)
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise ValueError(f"unsupported database URL scheme {scheme!r}; use a file path, "
                         "duckdb:///path or clickhouse://host:port/database")
    from ccstats.store.duckdb_store import DuckDBStore

    return DuckDBStore(url)


def redacted_url(url: str) -> str:
    """`url` with ``***`` for its password, if it has one (even when it does not parse).

    Everything between the scheme and the last ``@`` counts as the credentials, so a
    password written with a bare ``/``, ``@`` or ``#`` is hidden as well.
    """
    scheme, separator, rest = url.partition("://")
    credentials, at, location = rest.rpartition("@")
    if not separator or not at or ":" not in credentials:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{location}"
