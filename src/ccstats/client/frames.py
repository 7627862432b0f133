"""csv answers read as they arrive into Arrow, and Arrow tables as pandas or polars frames.

The body is never held as one string: `read_csv` hands the response's chunks to
Arrow's streaming csv reader, block by block, so what stays in memory is the typed
table (and, at the end, the frame made from it).

Frames' dtypes (pandas; polars in brackets): ``date`` ``datetime64`` at midnight
(``Date``), ``time`` the slot's start as a time of day, ``time32[s][pyarrow]``
whose values are `datetime.time` (``Time``), ids, counts, sums, numerators and
denominators ``Int64`` with ``<NA>`` for an empty cell (``Int64`` with null), KPI
values and ratios ``Float64`` with ``<NA>`` for ``null`` (``Float64`` with null),
real-time moments ``datetime64[s, UTC]`` (``Datetime(UTC)``), ``callAnswered``
``boolean`` (``Boolean``), names the default string dtype (``String``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, Literal, TypeAlias

import pyarrow as pa
import pyarrow.csv as pa_csv

from ccstats.client.columns import CSV_TYPES, with_slot_starts

#: Which library's frame a method answers.
FrameKind: TypeAlias = Literal["pandas", "polars"]
#: A pandas or polars DataFrame (both optional imports, hence untyped here).
DataFrame: TypeAlias = Any

#: Bytes of csv Arrow parses at a time.
BLOCK_BYTES = 1 << 20


class _Chunks(io.RawIOBase):
    """A readable binary file over an iterator of byte chunks (a response's body)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def read_csv(chunks: Iterator[bytes], free_text: bool = False) -> pa.Table:
    """The csv answer arriving as `chunks`, as a typed table (``time`` as times of day).

    `free_text`: the answer holds names (the real-time resources), which may be quoted
    and hold line breaks, and whose empty cells are nulls (``callDirection``).
    """
    reader = pa_csv.open_csv(
        io.BufferedReader(_Chunks(chunks), buffer_size=BLOCK_BYTES),
        read_options=pa_csv.ReadOptions(block_size=BLOCK_BYTES),
        parse_options=pa_csv.ParseOptions(newlines_in_values=free_text),
        convert_options=pa_csv.ConvertOptions(column_types=CSV_TYPES,
                                              strings_can_be_null=free_text))
    return with_slot_starts(reader.read_all())


def frame(table: pa.Table, kind: FrameKind) -> DataFrame:
    """`table` as a DataFrame of `kind`, with the dtypes of this module's docstring."""
    if kind == "pandas":
        return _pandas(table)
    if kind == "polars":
        import polars as pl

        return pl.from_arrow(table)
    raise ValueError(f"frame must be 'pandas' or 'polars'; got {kind!r}")


def _pandas(table: pa.Table) -> DataFrame:
    import pandas as pd

    nullable = {pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype(),
                pa.bool_(): pd.BooleanDtype(), pa.time32("s"): pd.ArrowDtype(pa.time32("s"))}
    return table.to_pandas(date_as_object=False, types_mapper=nullable.get)
