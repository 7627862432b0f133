"""A `StatsQuery` -> one SQL statement that yields the rendered records, in order.

The statement (DuckDB dialect) reads quarter-hour sums, maps each UTC quarter-hour
to its local date and slot (see `ccstats.buckets`), keeps the requested local
dates, groups by the requested dimensions and field, drops fields without hits,
and renders each record as JSON object text (or as its csv/tab lines), ordered
by the requested dimensions in request order.
"""

from __future__ import annotations

import itertools

from ccstats.buckets import DAY, MARGIN_DAYS, QUARTER, LocalRange
from ccstats.query import OutputFormat, StatsQuery
from ccstats.render import DIMENSION_KEYS, SEPARATORS, ordered_dimensions

#: Dimension -> the SQL column computed for it.
_COLUMNS = {"date": "day", "time": "minute", "project": "project_id", "user": "user_id"}


def _int_list(values: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(int(v)) for v in values) + ")" if values else "(NULL)"


def local_seconds_sql(local: LocalRange) -> str:
    """Local wall-clock seconds (shifted by MARGIN_DAYS days to stay positive) of ``qh``."""
    segments = local.segments
    offset = str(segments[0].offset)
    if len(segments) > 1:
        cases = " ".join(
            f"WHEN qh < {nxt.first_qh} THEN {seg.offset}"
            for seg, nxt in itertools.pairwise(segments)
        )
        offset = f"CASE {cases} ELSE {segments[-1].offset} END"
    return f"qh::BIGINT * {QUARTER} + {offset} + {MARGIN_DAYS * DAY}"


def _dimension_text(dimension: str) -> str:
    """SQL text of a dimension's value as it appears in the output."""
    if dimension == "date":
        return "strftime(DATE '1970-01-01' + day::INTEGER, '%Y-%m-%d')"
    if dimension == "time":
        return "(minute // 60 * 100 + minute % 60)::VARCHAR"
    return f"{_COLUMNS[dimension]}::VARCHAR"


def _fields_relation(query: StatsQuery) -> str:
    rows = ", ".join(
        f"({kpi.field_id}, {position}, '{kpi.name}', {str(kpi.has_count).upper()}, "
        f"{str(kpi.has_sum).upper()})"
        for position, kpi in enumerate(query.fields)
    )
    return f"(VALUES {rows}) AS f(field_id, position, name, has_count, has_sum)"


def _json_record(query: StatsQuery) -> str:
    parts: list[str] = ["'{'"]
    keys = ordered_dimensions(query)
    for index, dimension in enumerate(keys):
        prefix = "" if index == 0 else ","
        quote = '"' if dimension == "date" else ""
        parts.append(f"""'{prefix}"{DIMENSION_KEYS[dimension]}":{quote}'""")
        parts.append(_dimension_text(dimension))
        if quote:
            parts.append("'\"'")
    data_prefix = "," if keys else ""
    entry = (
        """'{"field":"' || name || '","count":' || """
        """CASE WHEN has_count THEN cnt::VARCHAR ELSE 'null' END || ',"sum":' || """
        """CASE WHEN has_sum THEN secs::VARCHAR ELSE 'null' END || '}'"""
    )
    parts.append(f"""'{data_prefix}"data":[' || string_agg({entry}, ',' ORDER BY position)""")
    parts.append(f"""'],"level":{query.level}}}'""")
    return " || ".join(parts)


def _delimited_record(query: StatsQuery) -> str:
    separator, newline = SEPARATORS[query.output]
    cells = [_dimension_text(d) for d in ordered_dimensions(query)]
    prefix = f" || '{separator}' || ".join([*cells, f"'{query.level}'"])
    line = (
        f"{prefix} || '{separator}' || name || '{separator}' || "
        f"CASE WHEN has_count THEN cnt::VARCHAR ELSE '' END || '{separator}' || "
        f"CASE WHEN has_sum THEN secs::VARCHAR ELSE '' END || {_newline_literal(newline)}"
    )
    return f"string_agg({line}, '' ORDER BY position)"


def _newline_literal(newline: str) -> str:
    return "chr(13) || chr(10)" if newline == "\r\n" else "chr(10)"


def records_sql(query: StatsQuery, sums_table: str = "sums") -> str:
    """The statement; its single column ``record`` holds one rendered record per row."""
    local = query.local
    slot = query.interval * 60
    filters = [
        f"customer_id = {int(query.customer_id)}",
        f"qh BETWEEN {local.first_qh} AND {local.last_qh}",
        f"field_id IN {_int_list(tuple(k.field_id for k in query.fields))}",
        f"project_id IN {_int_list(query.projects)}",
    ]
    if query.users is not None:
        filters.append(f"user_id IN {_int_list(query.users)}")
    group = [_COLUMNS[d] for d in query.dimensions]
    group_list = ", ".join(group)
    render = _json_record(query) if query.output is OutputFormat.JSON else _delimited_record(query)
    shift = MARGIN_DAYS
    return f"""
    WITH local_sums AS (
        SELECT project_id, user_id, field_id, cnt, secs, hits,
               {local_seconds_sql(local)} AS local_seconds
        FROM {sums_table}
        WHERE {" AND ".join(filters)}
    ), buckets AS (
        SELECT project_id, user_id, field_id, cnt, secs, hits,
               local_seconds // {DAY} - {shift} AS day,
               (local_seconds % {DAY}) // {slot} * {query.interval} AS minute
        FROM local_sums
        WHERE local_seconds // {DAY} - {shift} BETWEEN {local.first_day} AND {local.last_day}
    ), chosen AS (
        SELECT * FROM buckets WHERE minute BETWEEN {query.minutes[0]} AND {query.minutes[1]}
    ), grouped AS (
        SELECT {group_list}, field_id, sum(cnt) AS cnt, sum(secs) AS secs
        FROM chosen
        GROUP BY {group_list}, field_id
        HAVING sum(hits) > 0
    )
    SELECT {render} AS record
    FROM grouped JOIN {_fields_relation(query)} USING (field_id)
    GROUP BY {group_list}
    ORDER BY {group_list}
    """
