"""The cells of a csv answer as Python values, read as the README describes the csv,
and the cells of a pandas or polars frame as the same Python values.

Written apart from `ccstats.client` (Python's csv module, no Arrow), so that a frame
equal to `csv_cells` of the same request holds what the API answered.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from typing import Any

INTEGERS = {"projectId", "userId", "queueId", "level", "count", "sum", "numerator",
            "denominator", "stateDuration", "callQueueId", "waiting", "longestWait",
            "talking", "offered", "answered", "abandoned"}
FLOATS = {"value", "serviceLevel", "asa"}
MOMENTS = {"since", "callSince"}

Cell = int | float | str | bool | dt.date | dt.time | dt.datetime | None


def cell(column: str, text: str) -> Cell:
    """One csv cell of `column` as the value it stands for (an empty cell is null)."""
    if text == "":
        return None
    if column == "date":
        return dt.date.fromisoformat(text)
    if column == "time":
        hhmm = int(text)
        return dt.time(hhmm // 100, hhmm % 100)
    if column in INTEGERS:
        return int(text)
    if column in FLOATS:
        return float(text)
    if column in MOMENTS:
        return dt.datetime.fromisoformat(text)
    if column == "callAnswered":
        return {"true": True, "false": False}[text]
    return text


def csv_cells(text: str) -> tuple[list[str], list[list[Cell]]]:
    """The header and the rows of values of a csv answer."""
    header, *rows = csv.reader(io.StringIO(text, newline=""))
    return header, [[cell(column, found) for column, found in zip(header, row, strict=True)]
                    for row in rows]


def python_value(value: Any) -> Cell:
    """A frame's cell as a plain Python value: nulls as None, numpy scalars and pandas
    timestamps as int, float, date or datetime (a timestamp at midnight without a zone is
    a date, as the client makes the ``date`` column)."""
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NaT:
        return None
    found: Cell = value
    if isinstance(value, pd.Timestamp):
        midnight = value.tzinfo is None and value == value.normalize()
        found = value.date() if midnight else value.to_pydatetime()
    elif hasattr(value, "item"):  # a numpy scalar
        found = value.item()
    return found


def frame_cells(frame: Any) -> tuple[list[str], list[list[Cell]]]:
    """The column names and rows of values of a pandas or polars frame."""
    if type(frame).__module__.startswith("polars"):
        return list(frame.columns), [[python_value(v) for v in row] for row in frame.rows()]
    rows = frame.astype(object).itertuples(index=False, name=None)
    return list(frame.columns), [[python_value(v) for v in row] for row in rows]


def typed_equal(left: list[list[Cell]], right: list[list[Cell]]) -> bool:
    """Row by row and cell by cell equal, each pair of cells of the same Python type."""
    return len(left) == len(right) and all(
        len(a) == len(b) and all(type(x) is type(y) and x == y for x, y in zip(a, b, strict=True))
        for a, b in zip(left, right, strict=True))
