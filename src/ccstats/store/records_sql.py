"""A `StatsQuery` -> one SQL statement that yields the answer's cells, in order.

The statement (DuckDB dialect) reads the coarsest sums that answer the query
exactly (local days or hours of the customer's zone when the request uses that
zone; otherwise UTC quarter-hours, each mapped to its local date and slot, see
`ccstats.buckets`), keeps the requested local dates and slots, groups by the
requested dimensions and field and drops fields without hits. `cells_sql`
orders those (record, field) cells as the answer lists them, for
`ccstats.store.arrow_records` to render; `grouped_rows_sql` leaves them
unordered, for small answers that `ccstats.store.rendered_rows` renders in
Python.
"""

from __future__ import annotations

import itertools
from enum import StrEnum

from ccstats.buckets import DAY, MARGIN_DAYS, QUARTER, LocalRange
from ccstats.catalog import CATALOG
from ccstats.query import StatsQuery
from ccstats.store.partitions import cardinality

#: Dimension -> the SQL column computed for it.
DIMENSION_COLUMNS = {"date": "day", "time": "minute", "project": "project_id", "user": "user_id"}


def _int_list(values: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(int(v)) for v in values) + ")" if values else "(NULL)"


def offset_sql(local: LocalRange) -> str:
    """The zone's UTC offset in seconds during quarter-hour ``qh`` (standard SQL ``CASE``)."""
    segments = local.segments
    if len(segments) == 1:
        return str(segments[0].offset)
    cases = " ".join(
        f"WHEN qh < {nxt.first_qh} THEN {seg.offset}"
        for seg, nxt in itertools.pairwise(segments)
    )
    return f"CASE {cases} ELSE {segments[-1].offset} END"


def local_seconds_sql(local: LocalRange) -> str:
    """Local wall-clock seconds (shifted by MARGIN_DAYS days to stay positive) of ``qh``."""
    return f"qh::BIGINT * {QUARTER} + {offset_sql(local)} + {MARGIN_DAYS * DAY}"


def _fields_relation(query: StatsQuery) -> str:
    """The requested fields: position in the request, and whether count and sum show."""
    rows = ", ".join(
        f"({kpi.field_id}, {position}, {str(kpi.has_count).upper()}, "
        f"{str(kpi.has_sum).upper()})"
        for position, kpi in enumerate(query.fields)
    )
    return f"(VALUES {rows}) AS f(field_id, position, has_count, has_sum)"


class Grain(StrEnum):
    """Which sums table answers a query (see `ccstats.store.duckdb_store`)."""

    QUARTER_HOUR = "sums"
    """UTC quarter-hours: any zone, any interval."""
    LOCAL_HOUR = "sums_hour"
    """Local date and hour in the customer's zone."""
    LOCAL_DAY = "sums_day"
    """Local date in the customer's zone."""


def grain_of(query: StatsQuery) -> Grain:
    """The coarsest grain that answers `query` exactly."""
    if query.local.zone != query.customer_timezone:
        return Grain.QUARTER_HOUR
    if "time" not in query.dimensions:
        return Grain.LOCAL_DAY
    return Grain.LOCAL_HOUR if query.interval == 60 else Grain.QUARTER_HOUR


def _buckets_sql(query: StatsQuery, grain: Grain, filters: list[str]) -> str:
    """``(project_id, user_id, field_id, cnt, secs, hits, day, minute)`` in the range."""
    local = query.local
    where = " AND ".join(filters)
    days = f"BETWEEN {local.first_day} AND {local.last_day}"
    if grain is Grain.LOCAL_DAY:
        return f"""SELECT project_id, user_id, field_id, cnt, secs, hits, day, 0 AS minute
                   FROM {grain} WHERE {where} AND day {days}"""
    if grain is Grain.LOCAL_HOUR:
        return f"""SELECT project_id, user_id, field_id, cnt, secs, hits, day,
                          hour::INTEGER * 60 AS minute
                   FROM {grain} WHERE {where} AND day {days}"""
    slot = query.interval * 60
    first_qh, last_qh = local.scan_qhs
    return f"""
        SELECT project_id, user_id, field_id, cnt, secs, hits,
               local_seconds // {DAY} - {MARGIN_DAYS} AS day,
               (local_seconds % {DAY}) // {slot} * {query.interval} AS minute
        FROM (SELECT *, {local_seconds_sql(local)} AS local_seconds FROM {grain}
              WHERE {where} AND qh BETWEEN {first_qh} AND {last_qh})
        WHERE local_seconds // {DAY} - {MARGIN_DAYS} {days}"""


def record_estimate_sql(query: StatsQuery, visible: str | None = None) -> str:
    """The statement whose single value estimates how many records `query` has.

    It counts the distinct (project, user, date) combinations of the query's
    dimensions in the local-day sums (dates widened by a day for another zone's
    dates) and multiplies by the slots of a day when ``time`` is a dimension.
    `visible` is a further condition on the sums rows, if a store needs one. The
    statement is plain SQL that DuckDB and ClickHouse both run.
    """
    local = query.local
    columns = [DIMENSION_COLUMNS[d] for d in query.dimensions if d != "time"]
    filters = [
        f"customer_id = {int(query.customer_id)}",
        f"project_id IN {_int_list(query.projects)}",
        f"day BETWEEN {local.first_day - 1} AND {local.last_day + 1}",
    ]
    if query.users is not None:
        filters.append(f"user_id IN {_int_list(query.users)}")
    if visible:
        filters.append(visible)
    slots = cardinality(query, "time", 1) if "time" in query.dimensions else 1
    distinct = ", ".join(columns) if columns else "1"
    return f"""SELECT count(*) * {slots} FROM (
                 SELECT DISTINCT {distinct} FROM {Grain.LOCAL_DAY}
                 WHERE {" AND ".join(filters)})"""


def _grouped_sql(query: StatsQuery) -> str:
    """``WITH`` relations ending in ``grouped``: the query's grouped rows (`grouped_rows_sql`)."""
    filters = [
        f"customer_id = {int(query.customer_id)}",
        f"project_id IN {_int_list(query.projects)}",
    ]
    if len(query.fields) < len(CATALOG):  # (a filter every row passes costs time)
        filters.append(f"field_id IN {_int_list(tuple(k.field_id for k in query.fields))}")
    if query.users is not None:
        filters.append(f"user_id IN {_int_list(query.users)}")
    group_list = ", ".join(DIMENSION_COLUMNS[d] for d in query.dimensions)
    first_minute, last_minute = query.minutes
    return f"""
    WITH buckets AS ({_buckets_sql(query, grain_of(query), filters)}),
    grouped AS (
        SELECT {group_list}, field_id, sum(cnt)::BIGINT AS cnt, sum(secs)::BIGINT AS secs
        FROM buckets
        WHERE minute BETWEEN {first_minute} AND {last_minute}
        GROUP BY {group_list}, field_id
        HAVING sum(hits) > 0
    )"""


def grouped_rows_sql(query: StatsQuery) -> str:
    """The statement whose rows are the query's (record, field) sums, in no order.

    Columns: the dimensions' values in request order (``date`` as a day number,
    ``time`` as minutes after midnight), then ``field_id``, ``cnt``, ``secs``;
    only fields with hits. `ccstats.store.rendered_rows` renders them.
    """
    return f"{_grouped_sql(query)} SELECT * FROM grouped"


def cells_sql(query: StatsQuery) -> str:
    """The statement whose rows are the query's cells, in answer order.

    Columns: the dimensions' values in request order (named as in
    `DIMENSION_COLUMNS`), then ``position`` (the field's
    index in the request), ``cnt`` and ``secs`` (NULL where the field shows no
    count or sum); one row per field with hits, ordered by the dimensions in
    request order and then by position. `ccstats.store.arrow_records` renders them.
    """
    group_list = ", ".join(DIMENSION_COLUMNS[d] for d in query.dimensions)
    return f"""{_grouped_sql(query)}
    SELECT {group_list}, position,
           CASE WHEN has_count THEN cnt END AS cnt, CASE WHEN has_sum THEN secs END AS secs
    FROM grouped JOIN {_fields_relation(query)} USING (field_id)
    ORDER BY {group_list}, position
    """
