"""Arrow-rendered records: the same bytes as the Python renderer, however the cells are batched."""

from __future__ import annotations

import datetime as dt
import itertools

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from ccstats import buckets, catalog
from ccstats.query import OutputFormat, StatsQuery
from ccstats.store.arrow_records import render_cells
from ccstats.store.records_sql import DIMENSION_COLUMNS
from ccstats.store.rendered_rows import Row, render_rows

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
        output=draw(st.sampled_from(list(OutputFormat))),
        minutes=(0, 24 * 60 - interval),
    )


def _values(query: StatsQuery, dimension: str) -> st.SearchStrategy[int]:
    if dimension == "date":
        return st.integers(query.local.first_day, query.local.last_day)
    if dimension == "time":
        return st.integers(0, 24 * 60 // query.interval - 1).map(lambda s: s * query.interval)
    return st.integers(1, 3) if dimension == "project" else st.integers(1, 10**12)


@st.composite
def _cases(draw: st.DrawFn) -> tuple[StatsQuery, list[Row], list[int]]:
    query = draw(_queries())
    keys = draw(st.lists(st.tuples(*(_values(query, d) for d in query.dimensions)),
                         max_size=12, unique=True))
    rows: list[Row] = []
    for key in keys:
        fields = draw(st.lists(st.sampled_from(query.fields), min_size=1, unique=True))
        for kpi in fields:
            cnt, secs = draw(st.integers(0, 10**6)), draw(st.integers(0, 10**9))
            rows.append((*key, kpi.field_id, cnt, secs))
    cuts = sorted(draw(st.lists(st.integers(0, len(rows)), max_size=4)))
    return query, rows, cuts


def _cells(query: StatsQuery, rows: list[Row]) -> pa.Table:
    """`rows` as `cells_sql` yields them: ordered, with hidden counts and sums null."""
    count = len(query.dimensions)
    position = {kpi.field_id: index for index, kpi in enumerate(query.fields)}
    ordered = sorted(rows, key=lambda row: (row[:count], position[row[count]]))
    columns: dict[str, list[int | None]] = {
        DIMENSION_COLUMNS[d]: [row[i] for row in ordered] for i, d in enumerate(query.dimensions)
    }
    kpis = [query.fields[position[row[count]]] for row in ordered]
    columns["position"] = [position[row[count]] for row in ordered]
    columns["cnt"] = [row[count + 1] if kpi.has_count else None
                      for row, kpi in zip(ordered, kpis, strict=True)]
    columns["secs"] = [row[count + 2] if kpi.has_sum else None
                       for row, kpi in zip(ordered, kpis, strict=True)]
    return pa.table({name: pa.array(values, pa.int64()) for name, values in columns.items()})


@settings(max_examples=300, deadline=None)
@given(case=_cases())
def test_batches_cut_anywhere_render_what_python_renders(
        case: tuple[StatsQuery, list[Row], list[int]]) -> None:
    query, rows, cuts = case
    cells = _cells(query, rows)
    batches = [cells.slice(start, end - start).to_batches()[0]
               if end > start else pa.RecordBatch.from_pylist([], schema=cells.schema)
               for start, end in itertools.pairwise([0, *cuts, len(rows)])]
    rendered = b"".join(render_cells(query, batches))
    assert rendered == render_rows(query, rows).encode()
