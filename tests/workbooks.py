"""An ``of=xlsx`` answer read back with openpyxl and compared, cell for cell, to the csv one.

What a cell must be is read from the csv header and the published catalogs, not from
the writer: a ``sum`` is seconds; a KPI's ``value`` is seconds or a ratio as its
published unit says; its ``numerator`` and ``denominator`` are seconds when their
published formula adds only sums (``x.sum + y.sum``), else counts.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, time, timedelta
from typing import Any

import openpyxl

from ccstats.kpis import definitions

DURATION, PERCENT, DATE, TIME = "[h]:mm:ss", "0.00%", "yyyy-mm-dd", "hh:mm"
INTEGER_COLUMNS = {"projectId", "userId", "queueId", "level", "count"}
#: openpyxl reads a duration to the nearest millisecond (the cell holds more: a KPI's
#: average has 4 decimals).
_READ_PRECISION = 0.0005 + 1e-9
_UNITS = {kpi["kpi"]: kpi["unit"] for kpi in definitions()}
_ONLY_SUMS = re.compile(r"\w+\.sum( [+-] \w+\.sum)*")
_SECONDS_TERMS = {(kpi["kpi"], part): bool(_ONLY_SUMS.fullmatch(kpi[part]))
                  for kpi in definitions() for part in ("numerator", "denominator")}


def sheet_rows(workbook: bytes) -> list[list[Any]]:
    """The cells of the workbook's one sheet, row by row."""
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    assert len(book.worksheets) == 1
    return [[cell.value for cell in row] for row in book.worksheets[0].iter_rows()]


def assert_same_answer(workbook: bytes, csv_answer: bytes) -> int:
    """Assert that `workbook` holds `csv_answer` with typed cells; returns the lines compared."""
    lines = [line.split(",") for line in csv_answer.decode().split("\r\n")[:-1]]
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    assert len(book.worksheets) == 1
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows())
    assert len(rows) == len(lines)
    header = lines[0]
    assert [cell.value for cell in rows[0]] == header
    assert all(cell.font.b for cell in rows[0])
    name_column = header.index("kpi" if "kpi" in header else "field")
    for line, row in zip(lines[1:], rows[1:], strict=True):
        assert len(row) == len(line), (line, row)
        for column, text, cell in zip(header, line, row, strict=True):
            _assert_cell(column, text, cell, line[name_column])
    return len(lines) - 1


def _assert_cell(column: str, text: str, cell: Any, name: str) -> None:
    shown = (column, text, cell.value, cell.number_format)
    if text == "":
        assert cell.value is None, shown
    elif column == "date":
        assert cell.value == datetime.fromisoformat(text), shown
        assert cell.number_format == DATE, shown
    elif column == "time":
        assert cell.value == time(*divmod(int(text), 100)), shown
        assert cell.number_format == TIME, shown
    elif column in INTEGER_COLUMNS:
        assert type(cell.value) is int and cell.value == int(text), shown
    elif column in ("field", "kpi"):
        assert cell.value == text, shown
    elif column == "sum" or (column == "value" and _UNITS[name] == "seconds") or (
            column in ("numerator", "denominator") and _SECONDS_TERMS[name, column]):
        assert isinstance(cell.value, timedelta), shown
        assert abs(cell.value.total_seconds() - float(text)) <= _READ_PRECISION, shown
        assert cell.number_format == DURATION, shown
    elif column == "value":
        assert _UNITS[name] == "ratio"
        assert cell.value == float(text), shown
        assert cell.number_format == PERCENT, shown
    else:
        assert column in ("numerator", "denominator"), shown
        assert type(cell.value) is int and cell.value == int(text), shown
