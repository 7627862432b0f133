"""Where a ClickHouse store lives: ``clickhouse://[user[:password]@]host[:port]/database[?cluster=name]``.

Without ``cluster`` the database is on one server. With it, the server named in
the URL is the entry point of that cluster (as defined in its ``remote_servers``):
every table has a local table on each shard and a ``Distributed`` table over
them (see `ccstats.store.clickhouse_schema`).
"""

from __future__ import annotations

import logging
import queue
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, quote, unquote, urlsplit

from clickhouse_driver import Client
from clickhouse_driver.errors import Error as ClickHouseError

from ccstats.errors import StoreUnavailable
from ccstats.store import redacted_url

SCHEME = "clickhouse"
DEFAULT_PORT = 9000
DEFAULT_DATABASE = "ccstats"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")

#: Settings of every connection: inserts into Distributed tables reach their shard before
#: the INSERT returns (read-your-writes); subqueries over Distributed tables read the
#: shard's local table (every table is sharded by customer, so that is the whole answer).
SESSION_SETTINGS = {"insert_distributed_sync": 1, "distributed_product_mode": "local"}

# The driver logs every failed connection with a stack trace; ccstats reports the failure
# itself, once and in one line (`unreachable`).
logging.getLogger("clickhouse_driver.connection").setLevel(logging.ERROR)

#: The public message of a database without its tables (see `StoreUnavailable`).
NOT_SET_UP = "the database is not set up yet"


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed ClickHouse URL; `redacted` is the form every message uses."""

    host: str
    port: int
    database: str
    cluster: str | None = None
    user: str = "default"
    password: str = field(default="", repr=False)

    @classmethod
    def parse(cls, url: str) -> Target:
        """The target of `url`; ValueError naming what is wrong and the expected form."""
        form = "clickhouse://[user[:password]@]host[:port]/database[?cluster=name]"
        parts = urlsplit(url)
        if parts.scheme != SCHEME or not parts.hostname:
            raise ValueError(f"a ClickHouse database URL has the form {form}; "
                             f"got {redacted_url(url)!r}")
        try:
            port = parts.port or DEFAULT_PORT
        except ValueError:
            raise ValueError(f"the port of {redacted_url(url)!r} is not a number; "
                             f"use {form}") from None
        database = unquote(parts.path.strip("/")) or DEFAULT_DATABASE
        options = parse_qs(parts.query, keep_blank_values=True)
        unknown = set(options) - {"cluster"}
        if unknown:
            raise ValueError(f"unknown option(s) {', '.join(sorted(unknown))} in "
                             f"{redacted_url(url)!r}; the only option is cluster=name")
        cluster = options.get("cluster", [""])[-1] or None
        for what, name in (("database", database), ("cluster", cluster)):
            if name is not None and not _NAME.match(name):
                raise ValueError(f"the {what} name {name!r} must be letters, digits and _")
        return cls(parts.hostname, port, database, cluster,
                   unquote(parts.username or "default"), unquote(parts.password or ""))

    def with_database(self, database: str) -> Target:
        return replace(self, database=database)

    @property
    def url(self) -> str:
        """The full URL, password included: for connecting, never for a message."""
        return self._url(quote(self.password, safe=""))

    @property
    def redacted(self) -> str:
        """The URL with ``***`` for the password (the user, host and database stay)."""
        return self._url("***")

    def _url(self, password: str) -> str:
        credentials = quote(self.user, safe="") + (f":{password}" if self.password else "")
        query = f"?cluster={self.cluster}" if self.cluster else ""
        return f"{SCHEME}://{credentials}@{self.host}:{self.port}/{self.database}{query}"

    def client(self, host: str | None = None, port: int | None = None,
               database: str | None = None) -> Client:
        """A new connection (to another host of the cluster if given)."""
        return Client(host or self.host, port=port or self.port, database=database or
                      self.database, user=self.user, password=self.password,
                      settings=dict(SESSION_SETTINGS), connect_timeout=5)


class ClientPool:
    """Connections to the entry server, reused across threads (a connection is not shared)."""

    def __init__(self, target: Target) -> None:
        self._target = target
        self._idle: queue.LifoQueue[Client] = queue.LifoQueue()

    @contextmanager
    def connection(self) -> Iterator[Client]:
        try:
            client = self._idle.get_nowait()
        except queue.Empty:
            client = self._target.client()
        try:
            yield client
        except BaseException:
            client.disconnect()  # a half-read answer must not reach the next user
            raise
        self._idle.put(client)

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().disconnect()
            except queue.Empty:
                return


def unreachable(target: Target, error: Exception) -> StoreUnavailable:
    """The failure to reach `target`: a public message, and for the operator the redacted URL."""
    return StoreUnavailable("the database cannot be reached",
                            f"cannot reach ClickHouse at {target.redacted}: {error}")


def cluster_hosts(target: Target) -> list[tuple[str, int]]:
    """(host, port) of every server of the cluster; just the entry server without a cluster."""
    if target.cluster is None:
        return [(target.host, target.port)]
    try:
        rows = target.client(database="system").execute(
            "SELECT shard_num, host_address, port FROM system.clusters "
            "WHERE cluster = %(cluster)s ORDER BY shard_num, replica_num",
            {"cluster": target.cluster})
    except (ClickHouseError, OSError) as error:
        raise unreachable(target, error) from None
    if not rows:
        raise StoreUnavailable(NOT_SET_UP, f"the ClickHouse server of {target.redacted} defines "
                               f"no cluster {target.cluster!r} (see remote_servers in its "
                               "config)")
    return [(str(host), int(port)) for _, host, port in rows]

