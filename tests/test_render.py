"""The renderer: the answer's text of any cells, however they are cut into batches."""

from __future__ import annotations

import datetime as dt
import itertools

import orjson
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from ccstats import buckets, catalog
from ccstats.options import TEXT_FORMATS, OutputFormat
from ccstats.pipeline.render import render_cells
from ccstats.pipeline.resource import USERBASED
from ccstats.query import StatsQuery
from ccstats.render import stream
from conftest import dimension_values

#: A grouped row: the dimensions' values (request order), then field id, count and sum.
Row = tuple[int, ...]
Entry = tuple[str, int | None, int | None]

_DIMENSIONS = ("date", "time", "project", "user")
_FIRST_DAY = dt.date(2024, 3, 30)  # day numbers near the spring-forward day


@st.composite
def _queries(draw: st.DrawFn) -> StatsQuery:
    dimensions = draw(st.permutations(_DIMENSIONS).flatmap(
        lambda order: st.integers(1, 4).map(lambda n: tuple(order[:n]))))
    fields = draw(st.lists(st.sampled_from(catalog.CATALOG), min_size=1, max_size=8,
                           unique_by=lambda kpi: kpi.field_id))
    interval = draw(st.sampled_from((15, 30, 60)))
    return StatsQuery(
        customer_id=1,
        customer_timezone="Europe/Budapest",
        local=buckets.local_range("Europe/Budapest", _FIRST_DAY,
                                  _FIRST_DAY + dt.timedelta(days=2)),
        interval=interval,
        dimensions=dimensions,
        fields=tuple(fields),
        projects=(1, 2),
        users=None,
        output=draw(st.sampled_from(TEXT_FORMATS)),
        minutes=(0, 24 * 60 - interval),
    )


@st.composite
def _cases(draw: st.DrawFn) -> tuple[StatsQuery, list[Row], list[int]]:
    query = draw(_queries())
    keys = draw(st.lists(st.tuples(*(dimension_values(query, d) for d in query.dimensions)),
                         max_size=12, unique=True))
    rows: list[Row] = []
    for key in keys:
        fields = draw(st.lists(st.sampled_from(query.fields), min_size=1, unique=True))
        for kpi in fields:
            cnt, secs = draw(st.integers(0, 10**6)), draw(st.integers(0, 10**9))
            rows.append((*key, kpi.field_id, cnt, secs))
    cuts = sorted(draw(st.lists(st.integers(0, len(rows)), max_size=4)))
    return query, rows, cuts


def _ordered(query: StatsQuery, rows: list[Row]) -> list[Row]:
    count = len(query.dimensions)
    position = {kpi.field_id: index for index, kpi in enumerate(query.fields)}
    return sorted(rows, key=lambda row: (row[:count], position[row[count]]))


def _cells(query: StatsQuery, rows: list[Row]) -> pa.Table:
    """`rows` as `cells_sql` yields them: ordered by the dimensions and the position."""
    count = len(query.dimensions)
    ordered = _ordered(query, rows)
    columns: dict[str, list[int]] = {
        USERBASED.dimension(d).column: [row[i] for row in ordered]
        for i, d in enumerate(query.dimensions)
    }
    columns["field_id"] = [row[count] for row in ordered]
    columns["cnt"] = [row[count + 1] for row in ordered]
    columns["secs"] = [row[count + 2] for row in ordered]
    return pa.table({name: pa.array(values, pa.int64()) for name, values in columns.items()})


_KEYS = {"date": "date", "time": "time", "project": "projectId", "user": "userId"}
_ORDER = ("date", "time", "project", "user")


def _value(dimension: str, value: int) -> object:
    if dimension == "date":
        return (dt.date(1970, 1, 1) + dt.timedelta(days=value)).isoformat()
    return value // 60 * 100 + value % 60 if dimension == "time" else value


def _records(query: StatsQuery, rows: list[Row]) -> list[tuple[list[object], list[Entry]]]:
    """Each record's dimension values (key order) and its (field, count, sum) entries."""
    count = len(query.dimensions)
    by_id = {kpi.field_id: kpi for kpi in query.fields}
    found = []
    for key, group in itertools.groupby(_ordered(query, rows), key=lambda row: row[:count]):
        values = dict(zip(query.dimensions, key, strict=True))
        entries = [(by_id[r[count]].name,
                    r[count + 1] if by_id[r[count]].has_count else None,
                    r[count + 2] if by_id[r[count]].has_sum else None) for r in group]
        found.append(([_value(d, values[d]) for d in _ORDER if d in values], entries))
    return found


def _expected(query: StatsQuery, rows: list[Row]) -> bytes:
    """The whole answer, written independently of the renderer."""
    level = len(query.dimensions) - 1
    keys = [_KEYS[d] for d in _ORDER if d in query.dimensions]
    records = _records(query, rows)
    if query.output is OutputFormat.JSON:
        return orjson.dumps({"response": [
            {**dict(zip(keys, values, strict=True)),
             "data": [{"field": f, "count": c, "sum": s} for f, c, s in entries],
             "level": level}
            for values, entries in records], "errors": []})
    separator, newline = ("," , "\r\n") if query.output is OutputFormat.CSV else ("\t", "\n")
    lines = [[*keys, "level", "field", "count", "sum"]]
    lines += [[*map(str, values), str(level), f, "" if c is None else str(c),
               "" if s is None else str(s)]
              for values, entries in records for f, c, s in entries]
    return "".join(separator.join(line) + newline for line in lines).encode()


@settings(max_examples=300, deadline=None)
@given(case=_cases())
def test_cells_cut_into_batches_anywhere_render_the_answer(
        case: tuple[StatsQuery, list[Row], list[int]]) -> None:
    query, rows, cuts = case
    cells = _cells(query, rows)
    batches = [cells.slice(start, end - start).to_batches()[0]
               if end > start else pa.RecordBatch.from_pylist([], schema=cells.schema)
               for start, end in itertools.pairwise([0, *cuts, len(rows)])]
    rendered = b"".join(stream(query, render_cells(query, batches)))
    assert rendered == _expected(query, rows)
