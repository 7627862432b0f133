"""Quarter-hour delta rows -> the same deltas per local hour and local day (DuckDB).

Both stores keep the sums at three grains: UTC quarter-hours (``qh``), and the
local hours and days of the customer's zone (see `ccstats.buckets`). Given a
query of quarter-hour delta rows ``(project_id, user_id, qh, field_id, cnt,
secs, hits)``, `derive_grains` materializes the three delta tables in a DuckDB
connection (the embedded store's own, or an in-memory one of a server store),
as temporary tables of the caller's `TempTables`, for the caller to append to
wherever it keeps its sums.
"""

from __future__ import annotations

from ccstats import buckets
from ccstats.buckets import DAY, MARGIN_DAYS, QUARTER
from ccstats.pipeline.dialect import DUCKDB
from ccstats.pipeline.sql import local_seconds_sql
from ccstats.store.temp_tables import TempTables


def derive_grains(temp: TempTables, zone: str, deltas: str) -> tuple[str, str, str] | None:
    """Create the delta tables of quarter-hours, local hours and local days (``delta``,
    ``delta_hour``, ``delta_day`` of `temp`) from the quarter-hour rows of `deltas` (a
    query); their full names, in that order.

    Returns None when `deltas` has no rows. Local hours and days follow `zone`,
    mapped with its offsets over the deltas' range.
    """
    delta = temp.create("delta", deltas)
    low, high = temp.db.execute(f"SELECT min(qh), max(qh) FROM {delta}").fetchall()[0]
    if low is None:
        return None
    local = buckets.local_range(zone, buckets.day_of(low * QUARTER // DAY - 1),
                                buckets.day_of(high * QUARTER // DAY + 1))
    hour = temp.create(
        "delta_hour",
        f"""SELECT project_id, user_id, local_seconds // {DAY} - {MARGIN_DAYS} AS day,
                   ((local_seconds % {DAY}) // 3600)::TINYINT AS hour, field_id,
                   sum(cnt) AS cnt, sum(secs) AS secs, sum(hits) AS hits
            FROM (SELECT *, {local_seconds_sql(local, DUCKDB)} AS local_seconds FROM {delta})
            GROUP BY ALL""")
    day = temp.create(
        "delta_day",
        f"""SELECT project_id, user_id, day, field_id,
                   sum(cnt) AS cnt, sum(secs) AS secs, sum(hits) AS hits
            FROM {hour} GROUP BY project_id, user_id, day, field_id""")
    return delta, hour, day
