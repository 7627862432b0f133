"""KPI records from base-field cells, however they are cut into batches.

The expected answer is written here from the spec's formulas (queues-and-kpis.md
§3, as `test_kpi_definitions.SPEC_KPIS` copies them) with exact fractions and
plain string building; only the catalogs' field lists come from the code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccstats import buckets, catalog, inbound, kpis
from ccstats.field import Field
from ccstats.options import TEXT_FORMATS, OutputFormat
from ccstats.pipeline.render import render_cells
from ccstats.pipeline.resource import INBOUND, USERBASED, Resource
from ccstats.query import StatsQuery
from ccstats.render import stream
from conftest import dimension_values
from test_kpi_definitions import SPEC_KPIS, expanded

#: (coefficient, field, "count" | "sum") terms of a formula.
Terms = list[tuple[int, str, str]]
#: A record: its dimensions' values (request order), and (count, sum) per base field present.
Record = tuple[tuple[int, ...], dict[str, tuple[int, int]]]

_FIRST_DAY = dt.date(2024, 3, 30)
_KEYS = {"date": "date", "time": "time", "project": "projectId", "user": "userId",
         "queue": "queueId"}
_ORDER = ("date", "time", "project", "user", "queue")


def parse(text: str) -> Terms:
    """``a.count + b.sum - c.count`` -> its terms."""
    terms: Terms = []
    sign = 1
    for word in text.split(" "):
        if word in "+-":
            sign = 1 if word == "+" else -1
            continue
        field, measure = word.split(".")
        terms.append((sign, field, measure))
    return terms


SPEC: dict[str, tuple[str, Terms, Terms]] = {
    name: (source, parse(expanded(numerator)), parse(expanded(denominator)))
    for name, source, numerator, denominator, _ in SPEC_KPIS}


def evaluate(terms: Terms, values: dict[str, tuple[int, int]]) -> int:
    return sum(sign * values.get(field, (0, 0))[measure == "sum"]
               for sign, field, measure in terms)


def value_text(numerator: int, denominator: int) -> str | None:
    """The value as `json.dumps` writes numerator / denominator rounded half away from zero."""
    if denominator == 0:
        return None
    scaled = (Fraction(numerator, denominator) * 10000 + Fraction(1, 2)).__floor__()
    return json.dumps(scaled / 10000)


def _catalog(source: str) -> tuple[Field, ...]:
    return catalog.CATALOG if source == "userbased" else inbound.INBOUND_FIELDS


def _resource(source: str) -> Resource:
    return USERBASED if source == "userbased" else INBOUND


def _query(source: str, dimensions: tuple[str, ...], names: list[str],
           output: OutputFormat, interval: int = 60) -> StatsQuery:
    chosen = tuple(kpis.BY_NAME[name] for name in names)
    return StatsQuery(
        customer_id=1, customer_timezone="Europe/Budapest",
        local=buckets.local_range("Europe/Budapest", _FIRST_DAY,
                                  _FIRST_DAY + dt.timedelta(days=2)),
        interval=interval, dimensions=dimensions, fields=kpis.base_fields(chosen),
        projects=(1, 2), users=None, output=output, minutes=(0, 24 * 60 - interval),
        source=kpis.Source(source), kpis=chosen)


_AMOUNTS = st.one_of(st.integers(0, 30), st.integers(0, 10**6), st.integers(0, 10**16))


@dataclasses.dataclass
class Case:
    source: str
    names: list[str]
    query: StatsQuery
    records: list[Record]
    cuts: list[int]

    @property
    def kpis(self) -> list[kpis.KpiFormula]:
        return [kpis.BY_NAME[name] for name in self.names]


@st.composite
def _cases(draw: st.DrawFn) -> Case:
    source = draw(st.sampled_from(("userbased", "inbound")))
    names = draw(st.lists(st.sampled_from([n for n, s in SPEC.items() if s[0] == source]),
                          min_size=1, max_size=6, unique=True))
    read = {field for name in names for _, field, _ in SPEC[name][1] + SPEC[name][2]}
    base = tuple(found for found in _catalog(source) if found.name in read)
    own = "user" if source == "userbased" else "queue"
    dimensions = draw(st.permutations(("date", "time", "project", own)).flatmap(
        lambda order: st.integers(1, 4).map(lambda n: tuple(order[:n]))))
    query = _query(source, dimensions, names, draw(st.sampled_from(TEXT_FORMATS)),
                   draw(st.sampled_from((15, 30, 60))))
    keys = draw(st.lists(st.tuples(*(dimension_values(query, d) for d in dimensions)),
                         max_size=10, unique=True))
    records: list[Record] = []
    for key in sorted(keys):
        present = draw(st.lists(st.sampled_from([f.name for f in base]), min_size=1,
                                unique=True))
        values = {name: (draw(_AMOUNTS), draw(_AMOUNTS)) for name in present}
        if "abandonedWithinSla" in values:  # a subset of the offered calls
            offered = values.get("offered", (0, draw(_AMOUNTS)))
            values["offered"] = (max(offered[0], values["abandonedWithinSla"][0]), offered[1])
        records.append((key, values))
    rows = sum(len(values) for _, values in records)
    cuts = sorted(draw(st.lists(st.integers(0, rows), max_size=4)))
    return Case(source, names, query, records, cuts)


def _batches(case: Case) -> list[pa.RecordBatch]:
    """The records' cells as `cells_sql` yields them, cut at `case.cuts`."""
    resource = _resource(case.source)
    position = {found.name: index for index, found in enumerate(case.query.fields)}
    field_id = {found.name: found.field_id for found in case.query.fields}
    rows = [(*key, field_id[name], cnt, secs) for key, values in case.records
            for name, (cnt, secs) in sorted(values.items(), key=lambda i: position[i[0]])]
    names = [*(resource.dimension(d).column for d in case.query.dimensions),
             "field_id", "cnt", "secs"]
    table = pa.table({name: pa.array([row[i] for row in rows], pa.int64())
                      for i, name in enumerate(names)})
    return [table.slice(start, end - start).to_batches()[0] if end > start
            else pa.RecordBatch.from_pylist([], schema=table.schema)
            for start, end in itertools.pairwise([0, *case.cuts, len(rows)])]


def _shown(dimension: str, value: int) -> str:
    if dimension == "date":
        return (dt.date(1970, 1, 1) + dt.timedelta(days=value)).isoformat()
    return str(value // 60 * 100 + value % 60 if dimension == "time" else value)


def _expected(case: Case) -> bytes:
    """The whole answer, built from the spec's formulas."""
    query = case.query
    level = len(query.dimensions) - 1
    shown = [d for d in _ORDER if d in query.dimensions]
    json_records, lines = [], []
    for key, values in case.records:
        by_name = dict(zip(query.dimensions, key, strict=True))
        dims = [(d, _shown(d, by_name[d])) for d in shown]
        entries = []
        for name in case.names:
            numerator = evaluate(SPEC[name][1], values)
            denominator = evaluate(SPEC[name][2], values)
            value = value_text(numerator, denominator)
            entries.append(f'{{"kpi":"{name}","value":{value or "null"},'
                           f'"numerator":{numerator},"denominator":{denominator}}}')
            lines.append([text for _, text in dims] + [
                str(level), name, value or "", str(numerator), str(denominator)])
        keys = "".join(f'"{_KEYS[d]}":"{text}",' if d == "date" else f'"{_KEYS[d]}":{text},'
                       for d, text in dims)
        json_records.append(f'{{{keys}"kpis":[{",".join(entries)}],"level":{level}}}')
    if query.output is OutputFormat.JSON:
        return f'{{"response":[{",".join(json_records)}],"errors":[]}}'.encode()
    separator, newline = ("," , "\r\n") if query.output is OutputFormat.CSV else ("\t", "\n")
    header = [_KEYS[d] for d in shown] + [
        "level", "kpi", "value", "numerator", "denominator"]
    return "".join(separator.join(line) + newline for line in [header, *lines]).encode()


def _rendered(case: Case) -> bytes:
    return b"".join(stream(case.query, render_cells(case.query, _batches(case))))


@settings(max_examples=300, deadline=None)
@given(case=_cases())
def test_kpi_cells_cut_into_batches_anywhere_render_the_answer(case: Case) -> None:
    assert [f.name for f in kpis.base_fields(case.kpis)] == [f.name for f in case.query.fields]
    assert _rendered(case) == _expected(case)


def _asa(numerator: int, denominator: int, output: OutputFormat = OutputFormat.CSV) -> Case:
    """One inbound record whose ``asa`` is numerator / denominator."""
    return Case("inbound", ["asa"], _query("inbound", ("queue",), ["asa"], output),
                [((7,), {"answerWait": (denominator, numerator)})], [])


@pytest.mark.parametrize(("numerator", "denominator", "value"), [
    (13, 16, "0.8125"), (1, 8, "0.125"), (5, 80000, "0.0001"), (1, 20000, "0.0001"),
    (1, 30000, "0.0"), (3, 20000, "0.0002"), (0, 5, "0.0"), (7, 7, "1.0"), (25, 2, "12.5"),
    (2, 3, "0.6667"), (1, 3, "0.3333"), (199999, 200000, "1.0"), (99994, 100000, "0.9999"),
    (123456789012345, 1000, "123456789012.345"), (10**17, 1, "1e+17"),
    (99999999999 * 20000 + 19999, 20000, "100000000000.0"), (0, 0, ""),
])
def test_values_round_half_away_from_zero_to_four_places(numerator: int, denominator: int,
                                                         value: str) -> None:
    if denominator:
        decimal = (Decimal(numerator) / Decimal(denominator)).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP)
        assert json.dumps(float(decimal)) == value
    line = f"7,0,asa,{value},{numerator},{denominator}\r\n"
    assert _rendered(_asa(numerator, denominator)).decode().splitlines(keepends=True)[1] == line


@settings(max_examples=300, deadline=None)
@given(numerator=st.integers(0, 9 * 10**17),
       denominator=st.one_of(st.integers(0, 9 * 10**17), st.integers(1, 20000)),
       output=st.sampled_from(TEXT_FORMATS))
def test_any_int64_safe_ratio_renders_exactly(numerator: int, denominator: int,
                                              output: OutputFormat) -> None:
    case = _asa(numerator, denominator, output)
    assert _rendered(case) == _expected(case)


@settings(max_examples=300, deadline=None)
@given(whole=st.one_of(st.integers(0, 13).flatmap(lambda digits: st.integers(0, 10**digits)),
                       st.integers(2**39, 10**12)),  # doubles 2**-13 apart: 4 places fail

       fraction=st.integers(0, 9999), denominator=st.sampled_from((10000, 20000)))
def test_exact_four_place_values_of_every_magnitude_render_as_json_floats(
        whole: int, fraction: int, denominator: int) -> None:
    scale = denominator // 10000
    case = _asa((whole * 10000 + fraction) * scale, denominator)
    assert _rendered(case) == _expected(case)


def test_sums_beyond_int64_safety_or_inconsistent_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        _rendered(_asa(2**62, 1))
    case = Case("inbound", ["serviceLevelExShortAbandons"],
                _query("inbound", ("queue",), ["serviceLevelExShortAbandons"],
                       OutputFormat.JSON),
                [((7,), {"offered": (2, 9), "abandonedWithinSla": (3, 0)})], [])
    with pytest.raises(ValueError, match="negative"):
        _rendered(case)


def test_the_query_must_ask_for_the_kpis_base_fields() -> None:
    case = _asa(1, 2)
    wrong = dataclasses.replace(case.query, fields=(inbound.BY_NAME["offered"],))
    with pytest.raises(ValueError, match="base fields"):
        b"".join(render_cells(wrong, _batches(case)))
