"""A `StatsQuery` -> one ClickHouse statement that yields the rendered records, in order.

The same plan as the DuckDB statement of `ccstats.store.records_sql` (the grain
choice, the zone's offsets, the parts of `ccstats.store.partitions` are shared),
written in SQL that runs on ClickHouse 18.16 as on current releases: nested
subqueries instead of ``WITH`` relations, ``intDiv`` for integer division, the
requested fields as array literals (``indexOf``) instead of a joined relation,
and each record rendered with ``concat`` over its fields sorted by position.
Local dates are rendered from an array of the range's date texts, so that any
date, also one before 1970, is written as ``yyyy-mm-dd``.

Only rows of visible batches count (see `ccstats.store.clickhouse_store`).
"""

from __future__ import annotations

from ccstats import buckets
from ccstats.buckets import DAY, MARGIN_DAYS, QUARTER
from ccstats.query import OutputFormat, StatsQuery
from ccstats.render import DIMENSION_KEYS, JSON_SEPARATOR, SEPARATORS, ordered_dimensions
from ccstats.store.records_sql import DIMENSION_COLUMNS, Grain, grain_of, offset_sql


def int_list(values: tuple[int, ...] | list[int]) -> str:
    """``(1, 2, 3)``; ``(0)`` (no id is 0) for none."""
    return "(" + ", ".join(str(int(v)) for v in values) + ")" if values else "(0)"


_ESCAPES = str.maketrans({"\\": "\\\\", "'": "\\'", "\r": "\\r", "\n": "\\n", "\t": "\\t"})


def string_literal(text: str) -> str:
    """`text` as a ClickHouse string literal."""
    return "'" + text.translate(_ESCAPES) + "'"


def visible_sums(customer_id: int) -> str:
    """The condition on ``batch`` that keeps the sums rows of committed, unfolded batches."""
    c = int(customer_id)
    return (f"batch IN (SELECT batch FROM batches WHERE customer_id = {c} "
            f"AND state = 'committed') AND batch NOT IN (SELECT batch FROM batches "
            f"WHERE customer_id = {c} AND state = 'folded')")


def _array(values: list[str]) -> str:
    return "[" + ", ".join(values) + "]"


def _dimension_text(dimension: str, query: StatsQuery) -> str:
    if dimension == "date":
        first, last = query.local.first_day, query.local.last_day
        dates = [string_literal(buckets.day_of(day).isoformat()) for day in range(first, last + 1)]
        return f"arrayElement({_array(dates)}, toInt64(day) - {first - 1})"
    if dimension == "time":
        return "toString(intDiv(minute, 60) * 100 + minute % 60)"
    return f"toString({DIMENSION_COLUMNS[dimension]})"


def _field_text(query: StatsQuery, empty: str) -> tuple[str, str]:
    """(count text, sum text) of a grouped row, `empty` for a KPI without it."""
    has_count = _array(["1" if k.has_count else "0" for k in query.fields])
    has_sum = _array(["1" if k.has_sum else "0" for k in query.fields])
    return (f"if(arrayElement({has_count}, position) = 1, toString(total_cnt), '{empty}')",
            f"if(arrayElement({has_sum}, position) = 1, toString(total_secs), '{empty}')")


def _json_entry(query: StatsQuery) -> str:
    count, total = _field_text(query, "null")
    return (f"""concat('{{"field":"', arrayElement(names, position), '","count":', """
            f"""{count}, ',"sum":', {total}, '}}')""")


def _json_record(query: StatsQuery) -> str:
    parts: list[str] = [string_literal(JSON_SEPARATOR.decode() + "{")]
    keys = ordered_dimensions(query)
    for index, dimension in enumerate(keys):
        prefix = "" if index == 0 else ","
        quote = '"' if dimension == "date" else ""
        parts.append(string_literal(f'{prefix}"{DIMENSION_KEYS[dimension]}":{quote}'))
        parts.append(_dimension_text(dimension, query))
        if quote:
            parts.append(string_literal('"'))
    data_prefix = "," if keys else ""
    parts.append(string_literal(f'{data_prefix}"data":['))
    parts.append(_in_field_order(_json_entry(query), ","))
    parts.append(string_literal(f'],"level":{query.level}}}'))
    return "concat(" + ", ".join(parts) + ")"


def _delimited_record(query: StatsQuery) -> str:
    separator, newline = SEPARATORS[query.output]
    sep = string_literal(separator)
    count, total = _field_text(query, "")
    cells = [_dimension_text(d, query) for d in ordered_dimensions(query)]
    line = ", ".join([
        *(f"{cell}, {sep}" for cell in cells), string_literal(f"{query.level}"), sep,
        "arrayElement(names, position)", sep, count, sep, total, string_literal(newline),
    ])
    return _in_field_order(f"concat({line})", "")


def _in_field_order(text: str, separator: str) -> str:
    """Aggregate: the group's `text` values in field order, joined by `separator`."""
    return (f"arrayStringConcat(arrayMap(x -> x.2, arraySort(groupArray((position, {text})))), "
            f"{string_literal(separator)})")


def _buckets_sql(query: StatsQuery, grain: Grain, where: str) -> str:
    """``(project_id, user_id, field_id, cnt, secs, hits, day, minute)`` in the range."""
    local = query.local
    days = f"BETWEEN {local.first_day} AND {local.last_day}"
    columns = "project_id, user_id, field_id, cnt, secs, hits"
    if grain is Grain.LOCAL_DAY:
        return f"SELECT {columns}, day, 0 AS minute FROM {grain} WHERE {where} AND day {days}"
    if grain is Grain.LOCAL_HOUR:
        return (f"SELECT {columns}, day, hour * 60 AS minute FROM {grain} "
                f"WHERE {where} AND day {days}")
    slot = query.interval * 60
    local_day = f"intDiv(local_seconds, {DAY}) - {MARGIN_DAYS}"
    return f"""
        SELECT {columns}, {local_day} AS day,
               intDiv(local_seconds % {DAY}, {slot}) * {query.interval} AS minute
        FROM (SELECT {columns},
                     toInt64(qh) * {QUARTER} + ({offset_sql(local)}) + {MARGIN_DAYS * DAY}
                       AS local_seconds
              FROM {grain}
              WHERE {where} AND qh BETWEEN {local.first_qh} AND {local.last_qh})
        WHERE {local_day} {days}"""


def grouped_rows_sql(query: StatsQuery) -> str:
    """The statement whose rows are the query's (record, field) sums, in no order.

    Columns: the dimensions' values in request order, then ``field_id``,
    ``total_cnt`` and ``total_secs``; only fields with hits (the rows
    `ccstats.store.rendered_rows` renders).
    """
    c = int(query.customer_id)
    filters = [
        f"customer_id = {c}",
        f"field_id IN {int_list(tuple(k.field_id for k in query.fields))}",
        f"project_id IN {int_list(query.projects)}",
    ]
    if query.users is not None:
        filters.append(f"user_id IN {int_list(query.users)}")
    filters.append(visible_sums(c))
    group_list = ", ".join(DIMENSION_COLUMNS[d] for d in query.dimensions)
    first_minute, last_minute = query.minutes
    return f"""
        SELECT {group_list}, field_id, sum(cnt) AS total_cnt, sum(secs) AS total_secs
        FROM ({_buckets_sql(query, grain_of(query), " AND ".join(filters))})
        WHERE minute BETWEEN {first_minute} AND {last_minute}
        GROUP BY {group_list}, field_id
        HAVING sum(hits) > 0"""


def records_sql(query: StatsQuery) -> str:
    """The statement; its single column ``record`` holds one rendered record per row."""
    group_list = ", ".join(DIMENSION_COLUMNS[d] for d in query.dimensions)
    ids = _array([str(k.field_id) for k in query.fields])
    names = _array([string_literal(k.name) for k in query.fields])
    render = _json_record(query) if query.output is OutputFormat.JSON else _delimited_record(query)
    return f"""
    SELECT {render} AS record
    FROM (
        SELECT {group_list}, total_cnt, total_secs,
               indexOf({ids}, field_id) AS position, {names} AS names
        FROM ({grouped_rows_sql(query)})
    )
    GROUP BY {group_list}
    ORDER BY {group_list}
    """
