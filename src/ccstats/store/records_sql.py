"""A `StatsQuery` -> one SQL statement that yields the rendered records, in order.

The statement (DuckDB dialect) reads the coarsest sums that answer the query
exactly (local days or hours of the customer's zone when the request uses that
zone; otherwise UTC quarter-hours, each mapped to its local date and slot, see
`ccstats.buckets`), keeps the requested local dates and slots, groups by the
requested dimensions and field, drops fields without hits, and renders each
record as JSON object text (or as its csv/tab lines), ordered by the requested
dimensions in request order. `grouped_rows_sql` is the same statement stopped
before the rendering, for small answers that `ccstats.store.rendered_rows`
renders in Python.
"""

from __future__ import annotations

import itertools
from enum import StrEnum

from ccstats.buckets import DAY, MARGIN_DAYS, QUARTER, LocalRange
from ccstats.catalog import CATALOG
from ccstats.query import OutputFormat, StatsQuery
from ccstats.render import DIMENSION_KEYS, JSON_SEPARATOR, SEPARATORS, ordered_dimensions
from ccstats.store.partitions import cardinality

#: Dimension -> the SQL column computed for it.
_COLUMNS = {"date": "day", "time": "minute", "project": "project_id", "user": "user_id"}


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


def _dimension_text(dimension: str) -> str:
    """SQL text of a dimension's value as it appears in the output."""
    if dimension == "date":
        return "strftime(DATE '1970-01-01' + day::INTEGER, '%Y-%m-%d')"
    if dimension == "time":
        return "(minute // 60 * 100 + minute % 60)::VARCHAR"
    return f"{_COLUMNS[dimension]}::VARCHAR"


def _fields_relation(query: StatsQuery) -> str:
    """The requested fields: position in the request, and whether count and sum show."""
    rows = ", ".join(
        f"({kpi.field_id}, {position}, {str(kpi.has_count).upper()}, "
        f"{str(kpi.has_sum).upper()})"
        for position, kpi in enumerate(query.fields)
    )
    return f"(VALUES {rows}) AS f(field_id, position, has_count, has_sum)"


def _texts_by_position(query: StatsQuery, text: str) -> str:
    """A list literal of `text` (a format with ``{name}``) for each field, by position."""
    return "[" + ", ".join("'" + text.format(name=kpi.name) + "'" for kpi in query.fields) + "]"


def _json_record(query: StatsQuery) -> str:
    parts: list[str] = [f"'{JSON_SEPARATOR.decode()}{{'"]
    keys = ordered_dimensions(query)
    for index, dimension in enumerate(keys):
        prefix = "" if index == 0 else ","
        quote = '"' if dimension == "date" else ""
        parts.append(f"""'{prefix}"{DIMENSION_KEYS[dimension]}":{quote}'""")
        parts.append(_dimension_text(dimension))
        if quote:
            parts.append("'\"'")
    data_prefix = "," if keys else ""
    openings = _texts_by_position(query, '{{"field":"{name}","count":')
    entry = (f"""{openings}[x.p + 1] || coalesce(x.c::VARCHAR, 'null') || ',"sum":' || """
             """coalesce(x.s::VARCHAR, 'null') || '}'""")
    parts.append(f"""'{data_prefix}"data":[' || {_in_field_order(entry, "','")}""")
    parts.append(f"""'],"level":{query.level}}}'""")
    return " || ".join(parts)


def _delimited_record(query: StatsQuery) -> str:
    separator, newline = SEPARATORS[query.output]
    cells = [_dimension_text(d) for d in ordered_dimensions(query)]
    prefix = f" || '{separator}' || ".join([*cells, f"'{query.level}{separator}'"])
    names = _texts_by_position(query, f"{{name}}{separator}")
    line = (f"{prefix} || {names}[x.p + 1] || coalesce(x.c::VARCHAR, '') || '{separator}' || "
            f"coalesce(x.s::VARCHAR, '') || {_newline_literal(newline)}")
    return _in_field_order(line, "''")


def _in_field_order(text: str, separator: str) -> str:
    """Aggregate: `text` of each of the group's fields ``x``, in field order, joined by
    `separator`. ``x.p`` is the field's position, ``x.c`` its count and ``x.s`` its sum
    (NULL where the field has none).

    (A list of numbers, sorted and then rendered, is cheaper than aggregating the
    rendered texts: a month by all dimensions takes a fifth less time.)
    """
    fields = ("{'p': position, 'c': CASE WHEN has_count THEN cnt END, "
              "'s': CASE WHEN has_sum THEN secs END}")
    return (f"array_to_string(list_transform(list_sort(list({fields})), "
            f"lambda x: {text}), {separator})")


def _newline_literal(newline: str) -> str:
    return "chr(13) || chr(10)" if newline == "\r\n" else "chr(10)"


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
    columns = [_COLUMNS[d] for d in query.dimensions if d != "time"]
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
    group_list = ", ".join(_COLUMNS[d] for d in query.dimensions)
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


def records_sql(query: StatsQuery) -> str:
    """The statement; its single column ``record`` holds one rendered record per row."""
    group_list = ", ".join(_COLUMNS[d] for d in query.dimensions)
    render = _json_record(query) if query.output is OutputFormat.JSON else _delimited_record(query)
    return f"""{_grouped_sql(query)}
    SELECT {render} AS record
    FROM grouped JOIN {_fields_relation(query)} USING (field_id)
    GROUP BY {group_list}
    ORDER BY {group_list}
    """
