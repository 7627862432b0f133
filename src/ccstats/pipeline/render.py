"""Ordered cells -> the rendered records of the answer, for every store.

The cells of a query (`ccstats.pipeline.sql.cells_sql`) arrive as Arrow batches:
one row per (record, field) with the record's dimension values (request order;
a date as a day number, a time as minutes after midnight), the ``field_id`` and
its ``cnt`` and ``secs``, ordered by the dimensions and then the field's
position in the request, which the renderer looks up from the id
(`ccstats.pipeline.plan.FieldOrder`). Each step here is one Arrow kernel over a
whole batch (integers to text, texts joined element-wise, a record's field texts
joined through list offsets), so no Python object is made per row or record. A
record whose cells straddle two batches is carried over to the next one.

The output, for `ccstats.render.stream` to surround: for JSON each record
preceded by `ccstats.render.JSON_SEPARATOR`, keys in the resource's order, a
field without a count or a sum showing ``null``; for csv/tab one line per cell
(an empty cell for ``null``).

A KPI answer reads the cells of the KPIs' base fields,
grouped into records the same way; each record holds every requested KPI, its
numerator and denominator computed from the record's cells for all records of a
batch at once (`ccstats.pipeline.ratios`): in JSON ``"kpis":[{"kpi", "value",
"numerator", "denominator"}, ...]`` in request order, in csv/tab one line per
(record, KPI), ``value`` ``null`` (an empty cell) where the denominator is 0.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ccstats import buckets
from ccstats.field import Field
from ccstats.kpis import KpiFormula, base_fields
from ccstats.options import OutputFormat
from ccstats.pipeline.plan import FieldOrder
from ccstats.pipeline.ratios import Ratios, value_texts
from ccstats.pipeline.resource import RESOURCES, Dimension, Resource, Text
from ccstats.query import StatsQuery
from ccstats.render import JSON_SEPARATOR, SEPARATORS

Positions = npt.NDArray[np.int64]


def render_cells(query: StatsQuery, batches: Iterable[pa.RecordBatch]) -> Iterator[bytes]:
    """The rendered records of `query` from its ordered cells, one chunk per batch.

    For a KPI query (`query.kpis`), `query.fields` are the KPIs' base fields
    (``ccstats.kpis.base_fields``) and every record holds every KPI, computed from
    its cells.
    """
    resource = RESOURCES[query.source]
    layout = _KpiLayout(query, query.kpis, resource) if query.kpis \
        else _FieldLayout(query, resource)
    return _rendered(layout, batches)


def _rendered(layout: _Layout, batches: Iterable[pa.RecordBatch]) -> Iterator[bytes]:
    carried: pa.RecordBatch | None = None
    for batch in batches:
        positioned = layout.positioned(batch)
        cells = positioned if carried is None else pa.concat_batches([carried, positioned])
        starts = layout.record_starts(cells)
        if len(starts) == 0:
            continue
        last = int(starts[-1])  # the last record may go on in the next batch
        if last > 0:
            yield _text_of(layout.records(cells.slice(0, last), starts[:-1]))
        carried = cells.slice(last)
    if carried is not None:
        yield _text_of(layout.records(carried, np.zeros(1, dtype=np.int64)))


def warm_up() -> None:
    """Run the kernels once, so that pyarrow's lazy start-up (its first compute call
    imports pandas when that is installed) is not paid by the first answer."""
    pc.binary_join_element_wise(pa.array([0]).cast(pa.string()), "", "")


#: A record's body as pieces of `pc.binary_join_element_wise`: texts and arrays of
#: one string per record (JSON) or per line (csv/tab).
Pieces = list[pa.Array | str]


class _Layout(ABC):
    """The text of one query's records: their keys and level around what they hold."""

    def __init__(self, query: StatsQuery, resource: Resource) -> None:
        self.query = query
        self.grouped = [resource.dimension(name) for name in query.dimensions]
        self.keyed = resource.ordered(query.dimensions)
        self.field_order = FieldOrder(tuple(f.field_id for f in query.fields))

    def positioned(self, cells: pa.RecordBatch) -> pa.RecordBatch:
        """`cells` with a ``position`` column: the index of each cell's field in the request."""
        positions = self.field_order.positions(cells.column("field_id").to_numpy())
        return cells.append_column("position", pa.array(positions))

    def record_starts(self, cells: pa.RecordBatch) -> Positions:
        """The rows of `cells` where a record begins: where any dimension's value changes."""
        begins = np.zeros(cells.num_rows, dtype=bool)
        begins[:1] = True
        for dimension in self.grouped:
            values = cells.column(dimension.column).to_numpy()
            begins[1:] |= values[1:] != values[:-1]
        return np.flatnonzero(begins)

    def records(self, cells: pa.RecordBatch, starts: Positions) -> pa.Array:
        """One string per record (JSON) or per line (csv/tab) of the records in `cells`."""
        if self.query.output is OutputFormat.JSON:
            return self._json_records(cells, starts)
        return self._delimited_lines(cells, starts)

    @abstractmethod
    def json_body(self, cells: pa.RecordBatch, starts: Positions) -> Pieces:
        """What a JSON record holds between its keys and its level, one per record."""

    @abstractmethod
    def line_tails(self, cells: pa.RecordBatch, starts: Positions, separator: str,
                   newline: str) -> tuple[Positions, Pieces]:
        """The record of each csv/tab line, and each line after the dimension columns."""

    def _json_records(self, cells: pa.RecordBatch, starts: Positions) -> pa.Array:
        pieces: Pieces = [JSON_SEPARATOR.decode() + "{"]
        for dimension, text in self._key_texts(cells, starts):
            quote = '"' if dimension.text is Text.DATE else ""
            pieces += [f'"{dimension.key}":{quote}', text, f"{quote},"]
        pieces += [*self.json_body(cells, starts), f',"level":{self.query.level}}}']
        return pc.binary_join_element_wise(*pieces, "")

    def _delimited_lines(self, cells: pa.RecordBatch, starts: Positions) -> pa.Array:
        separator, newline = SEPARATORS[self.query.output]
        keys = [piece for _, text in self._key_texts(cells, starts)
                for piece in (text, separator)]
        record_keys = pc.binary_join_element_wise(*keys, "")  # (every query has a dimension)
        record_of_line, tails = self.line_tails(cells, starts, separator, newline)
        return pc.binary_join_element_wise(pc.take(record_keys, pa.array(record_of_line)),
                                           *tails, "")

    def _line_names(self, named: Sequence[Field | KpiFormula], separator: str) -> pa.Array:
        """``level,name,`` of each of `named` (fields or KPIs), to follow a line's keys."""
        return pa.array([f"{self.query.level}{separator}{item.name}{separator}"
                         for item in named])

    def _key_texts(self, cells: pa.RecordBatch, starts: Positions
                   ) -> list[tuple[Dimension, pa.Array]]:
        """Each dimension's value as text, one per record, in key/column order."""
        at_starts = pa.array(starts)
        return [(dimension, _TEXTS[dimension.text](pc.take(cells.column(dimension.column),
                                                           at_starts)))
                for dimension in self.keyed]


class _FieldLayout(_Layout):
    """Records holding their fields' counts and sums: one entry (line) per cell."""

    def __init__(self, query: StatsQuery, resource: Resource) -> None:
        super().__init__(query, resource)
        self.has_count = pa.array([kpi.has_count for kpi in query.fields])
        self.has_sum = pa.array([kpi.has_sum for kpi in query.fields])

    def _measures(self, cells: pa.RecordBatch, absent: str) -> tuple[pa.Array, pa.Array]:
        """The count and sum texts of each cell, `absent` for a field that shows none."""
        position = cells.column("position")
        return (_numbers(cells.column("cnt"), pc.take(self.has_count, position), absent),
                _numbers(cells.column("secs"), pc.take(self.has_sum, position), absent))

    def json_body(self, cells: pa.RecordBatch, starts: Positions) -> Pieces:
        openings = pa.array([f'{{"field":"{kpi.name}","count":' for kpi in self.query.fields])
        count, total = self._measures(cells, "null")
        entries = pc.binary_join_element_wise(
            pc.take(openings, cells.column("position")), count, ',"sum":', total, "}", "")
        offsets = pa.array(np.append(starts, cells.num_rows).astype(np.int32))
        data = pc.binary_join(pa.ListArray.from_arrays(offsets, entries), ",")
        return ['"data":[', data, "]"]

    def line_tails(self, cells: pa.RecordBatch, starts: Positions, separator: str,
                   newline: str) -> tuple[Positions, Pieces]:
        record_of_cell = _record_of_cell(cells, starts)
        names = self._line_names(self.query.fields, separator)
        count, total = self._measures(cells, "")
        return record_of_cell, [pc.take(names, cells.column("position")),
                                count, separator, total, newline]


class _KpiLayout(_Layout):
    """Records holding every requested KPI, computed from their base fields' cells."""

    def __init__(self, query: StatsQuery, kpis: Sequence[KpiFormula],
                 resource: Resource) -> None:
        super().__init__(query, resource)
        if [f.name for f in query.fields] != [f.name for f in base_fields(kpis)]:
            raise ValueError("the query's fields must be the KPIs' base fields")
        self.kpis = kpis
        self.ratios = Ratios(kpis, query.fields)

    def _entries(self, cells: pa.RecordBatch, starts: Positions, absent: str
                 ) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
        """Per (record, KPI), record-major: the KPI's index, value, numerator, denominator."""
        record_of_cell = _record_of_cell(cells, starts)
        numerators, denominators = self.ratios.of(record_of_cell, cells, len(starts))
        numerators, denominators = numerators.reshape(-1), denominators.reshape(-1)
        return (pa.array(np.tile(np.arange(len(self.kpis)), len(starts))),
                value_texts(numerators, denominators, absent),
                pa.array(numerators).cast(pa.string()), pa.array(denominators).cast(pa.string()))

    def json_body(self, cells: pa.RecordBatch, starts: Positions) -> Pieces:
        openings = pa.array([f'{{"kpi":"{kpi.name}","value":' for kpi in self.kpis])
        kpi, value, numerator, denominator = self._entries(cells, starts, "null")
        entries = pc.binary_join_element_wise(
            pc.take(openings, kpi), value, ',"numerator":', numerator, ',"denominator":',
            denominator, "}", "")
        offsets = pa.array(np.arange(0, len(entries) + 1, len(self.kpis), dtype=np.int32))
        return ['"kpis":[', pc.binary_join(pa.ListArray.from_arrays(offsets, entries), ","), "]"]

    def line_tails(self, cells: pa.RecordBatch, starts: Positions, separator: str,
                   newline: str) -> tuple[Positions, Pieces]:
        names = self._line_names(self.kpis, separator)
        kpi, value, numerator, denominator = self._entries(cells, starts, "")
        return (np.repeat(np.arange(len(starts)), len(self.kpis)),
                [pc.take(names, kpi), value, separator, numerator, separator, denominator,
                 newline])


def _record_of_cell(cells: pa.RecordBatch, starts: Positions) -> Positions:
    """The record (0, 1, ...) of each cell, from where the records start."""
    return np.repeat(np.arange(len(starts)), np.diff(np.append(starts, cells.num_rows)))


def _dates(days: pa.Array) -> pa.Array:
    return days.cast(pa.int32()).cast(pa.date32()).cast(pa.string())


def _times(minutes: pa.Array) -> pa.Array:
    return pc.take(_time_texts(), minutes)


def _ids(values: pa.Array) -> pa.Array:
    return values.cast(pa.string())


_TEXTS = {Text.DATE: _dates, Text.TIME: _times, Text.NUMBER: _ids}


@functools.cache
def _time_texts() -> pa.Array:
    """The API's `time` text of every minute of a day, by minute."""
    return pa.array([str(buckets.hhmm(minute)) for minute in range(24 * 60)])


def _numbers(values: pa.Array, shown: pa.Array, absent: str) -> pa.Array:
    """Integers as decimal text where `shown`; `absent` elsewhere."""
    return pc.if_else(shown, values.cast(pa.string()), absent)


def _text_of(strings: pa.Array) -> bytes:
    """The values of a string array, concatenated, straight from its data buffer."""
    if len(strings) == 0:
        return b""
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32)
    first, last = offsets[strings.offset], offsets[strings.offset + len(strings)]
    return bytes(memoryview(strings.buffers()[2])[first:last])
