"""Grouped rows -> rendered records, in Python, for small answers.

For a small answer (one agent's day, say) the fixed work of the large-answer
path costs more than the scan: ordering the cells in DuckDB and a dozen Arrow
kernels (`ccstats.store.arrow_records`), or gathering and rendering each
record's fields in ClickHouse SQL (`ccstats.store.clickhouse_records`). Both
stores therefore fetch the unordered grouped rows of such an answer and render
them here. The output is byte for byte what the other renderers yield (the
oracle tests compare them on every query).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from ccstats import buckets
from ccstats.query import OutputFormat, StatsQuery
from ccstats.render import DIMENSION_KEYS, JSON_SEPARATOR, SEPARATORS, ordered_dimensions

#: An answer part with at most this many (record, field) cells, counted as the most its
#: dimensions allow, is rendered here: up to this size the per-cell cost of Python stays
#: below the fixed cost of ordering the cells and of the Arrow kernels (or, on
#: ClickHouse, of rendering in SQL), so that one agent's day by quarter-hours (at most
#: 96 records times the fields) takes this path (the README's Performance section has
#: the measurements).
MAX_CELLS = 2_500


def renders_small(query: StatsQuery, records_bound: int) -> bool:
    """Whether an answer part of at most `records_bound` records is rendered here."""
    return records_bound * len(query.fields) <= MAX_CELLS


#: A grouped row: the values of the query's dimensions (in request order), then
#: ``field_id``, ``cnt`` and ``secs``.
Row = tuple[int, ...]


def render_rows(query: StatsQuery, rows: Sequence[Row]) -> str:
    """The records of `query` from its grouped rows (in any order), concatenated."""
    count = len(query.dimensions)
    position = {kpi.field_id: index for index, kpi in enumerate(query.fields)}
    ordered = sorted(rows, key=lambda row: (row[:count], position[row[count]]))
    key_texts = _key_texts(query)
    record = _json_record if query.output is OutputFormat.JSON else _delimited_record
    return "".join(
        record(query, key_texts(key), [(position[r[count]], r[count + 1], r[count + 2])
                                       for r in group])
        for key, group in itertools.groupby(ordered, key=lambda row: row[:count])
    )


def _key_texts(query: StatsQuery) -> Callable[[Row], list[str]]:
    """A record's key (values in request order) -> its texts in key/column order."""
    order = [query.dimensions.index(d) for d in ordered_dimensions(query)]
    texts = [_TEXTS[d] for d in ordered_dimensions(query)]
    return lambda key: [text(key[index]) for index, text in zip(order, texts, strict=True)]


_TEXTS: dict[str, Callable[[int], str]] = {
    "date": lambda day: buckets.day_of(day).isoformat(),
    "time": lambda minute: str(buckets.hhmm(minute)),
    "project": str,
    "user": str,
}


def _json_record(query: StatsQuery, texts: list[str], fields: list[tuple[int, int, int]]
                 ) -> str:
    keys = [f'"{DIMENSION_KEYS[d]}":' + (f'"{text}"' if d == "date" else text)
            for d, text in zip(ordered_dimensions(query), texts, strict=True)]
    kpis = query.fields
    data = ",".join(
        f'{{"field":"{kpis[p].name}","count":{cnt if kpis[p].has_count else "null"},'
        f'"sum":{secs if kpis[p].has_sum else "null"}}}'
        for p, cnt, secs in fields
    )
    return (JSON_SEPARATOR.decode() + "{" + "".join(f"{key}," for key in keys)
            + f'"data":[{data}],"level":{query.level}}}')


def _delimited_record(query: StatsQuery, texts: list[str],
                      fields: list[tuple[int, int, int]]) -> str:
    separator, newline = SEPARATORS[query.output]
    prefix = "".join(text + separator for text in texts) + f"{query.level}{separator}"
    kpis = query.fields
    return "".join(
        f"{prefix}{kpis[p].name}{separator}{cnt if kpis[p].has_count else ''}{separator}"
        f"{secs if kpis[p].has_sum else ''}{newline}"
        for p, cnt, secs in fields
    )
