"""Which store the tests run on.

By default every test gets a fresh DuckDB file. With ``CCSTATS_TEST_DB`` set to a
ClickHouse URL (``clickhouse://127.0.0.1:19000/`` for one server,
``clickhouse://127.0.0.1:19101/?cluster=ccstats`` for a cluster; the database in
the URL is ignored), every test gets a fresh database there instead, created
with the schema and dropped again afterwards.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from ccstats.store import clickhouse_schema
from ccstats.store.clickhouse_target import Target

SERVER_URL = os.environ.get("CCSTATS_TEST_DB", "")
ON_CLICKHOUSE = SERVER_URL.startswith("clickhouse://")


def new_database(folder: Path, name: str = "t") -> str:
    """The URL of a new, empty, migrated database (a DuckDB file in `folder` by default)."""
    if not ON_CLICKHOUSE:
        return str(folder / f"{name}.duckdb")
    target = Target.parse(SERVER_URL).with_database(f"{name}_{uuid.uuid4().hex[:12]}")
    clickhouse_schema.migrate(target)
    return target.url


def drop_database(url: str) -> None:
    """Remove a database made by `new_database` (a DuckDB file goes with its folder)."""
    if url.startswith("clickhouse://"):
        clickhouse_schema.drop(Target.parse(url))
