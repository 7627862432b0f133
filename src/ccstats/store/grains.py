"""Quarter-hour delta rows -> the same deltas per local hour and local day (DuckDB).

Both stores keep the sums at three grains: UTC quarter-hours (``qh``), and the
local hours and days of the customer's zone (see `ccstats.buckets`). Given a
query of quarter-hour delta rows ``(project_id, user_id, qh, field_id, cnt,
secs, hits)``, `derive_grains` materializes the three delta tables in a DuckDB
connection (the embedded store's own, or an in-memory one of a server store)
for the caller to append to wherever it keeps its sums.
"""

from __future__ import annotations

import duckdb

from ccstats import buckets
from ccstats.buckets import DAY, MARGIN_DAYS, QUARTER
from ccstats.pipeline.dialect import DUCKDB
from ccstats.pipeline.sql import local_seconds_sql

#: The temporary tables `derive_grains` creates: quarter-hours, local hours, local days.
DELTA_TABLES = ("delta", "delta_hour", "delta_day")


def derive_grains(db: duckdb.DuckDBPyConnection, zone: str, deltas: str) -> bool:
    """Create the `DELTA_TABLES` from the quarter-hour rows of `deltas` (a query).

    Returns False (and creates nothing) when `deltas` has no rows. Local hours and
    days follow `zone`, mapped with its offsets over the deltas' range.
    """
    db.execute(f"CREATE OR REPLACE TEMP TABLE delta AS {deltas}")
    low, high = db.execute("SELECT min(qh), max(qh) FROM delta").fetchall()[0]
    if low is None:
        db.execute("DROP TABLE delta")
        return False
    local = buckets.local_range(zone, buckets.day_of(low * QUARTER // DAY - 1),
                                buckets.day_of(high * QUARTER // DAY + 1))
    db.execute(
        f"""CREATE OR REPLACE TEMP TABLE delta_hour AS
            SELECT project_id, user_id, local_seconds // {DAY} - {MARGIN_DAYS} AS day,
                   ((local_seconds % {DAY}) // 3600)::TINYINT AS hour, field_id,
                   sum(cnt) AS cnt, sum(secs) AS secs, sum(hits) AS hits
            FROM (SELECT *, {local_seconds_sql(local, DUCKDB)} AS local_seconds FROM delta)
            GROUP BY ALL"""
    )
    db.execute(
        """CREATE OR REPLACE TEMP TABLE delta_day AS
           SELECT project_id, user_id, day, field_id,
                  sum(cnt) AS cnt, sum(secs) AS secs, sum(hits) AS hits
           FROM delta_hour GROUP BY project_id, user_id, day, field_id"""
    )
    return True


def drop_grains(db: duckdb.DuckDBPyConnection) -> None:
    for table in DELTA_TABLES:
        db.execute(f"DROP TABLE IF EXISTS {table}")
