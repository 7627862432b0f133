"""A long statistics table (one row per record and field) pivoted to one row per record.

The API's csv gives each record's fields on consecutive rows; a record ends where
a dimension changes. Wide, a record keeps its dimension columns and ``level``, and
each field (or KPI) gets a column per measure, named ``<field>.<measure>``:
``callOut.count``, ``callOut.sum``, ``aht.value``, ``aht.numerator``,
``aht.denominator``, in the order the fields first appear. A field absent from a
record (the API leaves out fields nothing contributed to) is null there.
Pivoting in Arrow gives pandas and polars the same columns.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ccstats.client.columns import DIMENSIONS

#: The column naming each row's field, in the statistics' and the KPIs' csv.
NAME_COLUMNS = ("field", "kpi")


def widen(table: pa.Table) -> pa.Table:
    """`table` (long, as `ccstats.client.frames.read_csv` reads a statistics answer) wide."""
    names = table.column_names
    name_column = next(name for name in names if name in NAME_COLUMNS)
    keys = [name for name in names if name in DIMENSIONS]
    measures = names[names.index(name_column) + 1:]
    starts = _record_starts(table, keys)
    record = np.cumsum(starts) - 1
    count = int(starts.sum())
    wide = table.select([*keys, "level"]).take(pa.array(np.nonzero(starts)[0]))
    labels = table.column(name_column).to_numpy(zero_copy_only=False)
    for field in pc.unique(table.column(name_column)).to_pylist():
        rows = _rows_of(record, count, labels == field)
        for measure in measures:
            wide = wide.append_column(f"{field}.{measure}", table.column(measure).take(rows))
    return wide


def _record_starts(table: pa.Table, keys: list[str]) -> np.ndarray:
    """For each row, whether a record starts there (a dimension differs from the row
    before)."""
    rows = table.num_rows
    starts = np.zeros(rows, dtype=bool)
    starts[:1] = True
    for key in keys:
        column = table.column(key)
        differs = pc.not_equal(column.slice(1), column.slice(0, max(rows - 1, 0)))
        starts[1:] |= pc.fill_null(differs, True).to_numpy(zero_copy_only=False)
    return starts


def _rows_of(record: np.ndarray, count: int, mask: np.ndarray) -> pa.Array:
    """For each record, the row holding the masked field, or null where it has none."""
    rows = np.full(count, -1, dtype=np.int64)
    rows[record[mask]] = np.nonzero(mask)[0]
    return pa.array(rows, mask=rows < 0)
