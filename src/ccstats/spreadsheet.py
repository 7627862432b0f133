"""The ``of=xlsx`` answer: the csv answer as an Excel workbook, written with constant memory.

One sheet (named after the resource) holds the csv answer's lines cell for cell: a
bold header row, frozen, with a filter; then one row per line, each cell typed by
its column (`ccstats.sheet_columns`): dates as dates (``yyyy-mm-dd``), ``time`` as a
time of day (``hh:mm``), durations as Excel durations (seconds / 86400 shown as
``[h]:mm:ss``), ratios as percentages (the fraction shown as ``0.00%``), ids, levels
and counts as integers, and ``null`` (an empty csv cell) as an empty cell. An id
above Excel's 15 significant digits is written as text, so that no digit is lost.

XlsxWriter's ``constant_memory`` mode writes each row out as soon as the next one
begins, into a scratch folder removed afterwards; the workbook is zipped into an
unnamed temporary file, which is then read back in chunks. Memory therefore does
not grow with the answer. A sheet holds at most `MAX_ROWS` rows (Excel's limit): a
longer answer is refused (417 on ``of``) as soon as it passes the limit, before any
byte is sent.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import IO, Any

import xlsxwriter

from ccstats import buckets
from ccstats.errors import InvalidRequest, bad_arguments
from ccstats.query import StatsQuery
from ccstats.sheet_columns import Columns, Kind, columns_of

#: The rows of an Excel sheet, the header's included.
MAX_ROWS = 1_048_576
#: The largest integer Excel shows with every digit (it keeps 15 significant digits).
_EXACT_INTEGER = 10**15 - 1
_EXCEL_EPOCH = date(1899, 12, 30)
_SECONDS_PER_DAY = 86_400
_MINUTES_PER_DAY = 24 * 60
#: The bytes of the workbook handed on at a time.
CHUNK_BYTES = 1 << 16

_NUMBER_FORMATS = {Kind.DATE: "yyyy-mm-dd", Kind.TIME: "hh:mm", Kind.SECONDS: "[h]:mm:ss",
                   Kind.RATIO: "0.00%"}
_WIDTHS = {Kind.DATE: 11, Kind.TIME: 7, Kind.INTEGER: 10, Kind.TEXT: 28}
_MEASURE_WIDTH = 12


def sheet_name(query: StatsQuery) -> str:
    """The resource of `query`'s answer, as ``/v2/statistics/<name>`` names it."""
    return "kpis" if query.kpis else str(query.source)


def filename(query: StatsQuery) -> str:
    """A name for the file: the resource and the local dates, ``kpis-20240301-20240331.xlsx``."""
    first, last = buckets.day_of(query.local.first_day), buckets.day_of(query.local.last_day)
    return f"{sheet_name(query)}-{first:%Y%m%d}-{last:%Y%m%d}.xlsx"


def workbook(query: StatsQuery, csv_answer: Iterable[bytes],
             max_rows: int = MAX_ROWS) -> Iterator[bytes]:
    """The workbook of `query`'s answer, in chunks, from its csv answer (header included).

    The whole workbook is written before the first chunk is handed on, so a refusal
    (InvalidRequest: more than `max_rows` rows) comes before any byte.
    """
    with tempfile.TemporaryFile() as out:
        _write(query, csv_answer, out, max_rows)
        out.seek(0)
        while chunk := out.read(CHUNK_BYTES):
            yield chunk


def _write(query: StatsQuery, csv_answer: Iterable[bytes], out: IO[bytes],
           max_rows: int) -> None:
    columns = columns_of(query)
    with tempfile.TemporaryDirectory(prefix="ccstats-xlsx-") as scratch:
        book = xlsxwriter.Workbook(out, {"constant_memory": True, "tmpdir": scratch})
        sheet = book.add_worksheet(sheet_name(query))
        try:
            rows = _rows(sheet, book, columns, _lines(csv_answer), max_rows)
        except BaseException:
            sheet.row_data_fh.close()  # (the workbook closes it only when it is saved)
            raise
        sheet.autofilter(0, 0, rows - 1, len(columns.names) - 1)
        book.close()


def _rows(sheet: Any, book: Any, columns: Columns, lines: Iterator[list[str]],
          max_rows: int) -> int:
    """Write the header and every line; returns the rows written."""
    writers = _Writers(book, sheet)
    _begin(sheet, book, columns, next(lines, list(columns.names)))
    rows = 1
    for line in lines:
        if rows == max_rows:
            raise _too_long(max_rows)
        writers.line(rows, line, columns)
        rows += 1
    return rows


def _begin(sheet: Any, book: Any, columns: Columns, header: list[str]) -> None:
    """Column widths, the bold header row and the frozen pane (before any other row)."""
    for index, kind in enumerate(columns.leading):
        sheet.set_column(index, index, _WIDTHS[kind])
    sheet.set_column(len(columns.leading), len(header) - 1, _MEASURE_WIDTH)
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, header, book.add_format({"bold": True}))


def _too_long(max_rows: int) -> InvalidRequest:
    return InvalidRequest([bad_arguments(
        "of", f"the answer has more than {max_rows - 1} lines, more than an Excel sheet holds; "
              "ask for fewer days, dimensions, fields or KPIs, a longer interval, or of=csv")])


Write = Callable[[int, int, str], None]


class _Writers:
    """How to write the text of each kind of cell into the sheet."""

    def __init__(self, book: Any, sheet: Any) -> None:
        formats = {kind: book.add_format({"num_format": pattern})
                   for kind, pattern in _NUMBER_FORMATS.items()}
        self._sheet = sheet
        self._by_kind: dict[Kind, Write] = {
            Kind.DATE: lambda row, column, text: sheet.write_number(
                row, column, _excel_day(text), formats[Kind.DATE]),
            Kind.TIME: lambda row, column, text: sheet.write_number(
                row, column, _day_fraction(text), formats[Kind.TIME]),
            Kind.INTEGER: self._integer,
            Kind.TEXT: sheet.write_string,
            Kind.SECONDS: lambda row, column, text: sheet.write_number(
                row, column, float(text) / _SECONDS_PER_DAY, formats[Kind.SECONDS]),
            Kind.RATIO: lambda row, column, text: sheet.write_number(
                row, column, float(text), formats[Kind.RATIO]),
            Kind.NUMBER: lambda row, column, text: sheet.write_number(row, column, float(text)),
        }
        self._of_name: dict[str, list[Write]] = {}

    def line(self, row: int, cells: list[str], columns: Columns) -> None:
        """Row `row`: the cells of one csv line; an empty cell stays empty."""
        name = cells[columns.name_column]
        writes = self._of_name.get(name)
        if writes is None:
            writes = self._of_name[name] = [self._by_kind[k] for k in columns.kinds(name)]
        for column, (write, text) in enumerate(zip(writes, cells, strict=True)):
            if text:
                write(row, column, text)

    def _integer(self, row: int, column: int, text: str) -> None:
        number = int(text)
        if abs(number) > _EXACT_INTEGER:
            self._sheet.write_string(row, column, text)
        else:
            self._sheet.write_number(row, column, number)


def _excel_day(text: str) -> int:
    """Excel's serial number of the date ``yyyy-mm-dd``."""
    return (date.fromisoformat(text) - _EXCEL_EPOCH).days


def _day_fraction(text: str) -> float:
    """The time of day of the API's ``hmm`` slot start, as Excel's fraction of a day."""
    hours, minutes = divmod(int(text), 100)
    return (hours * 60 + minutes) / _MINUTES_PER_DAY


def _lines(csv_answer: Iterable[bytes]) -> Iterator[list[str]]:
    """The cells of each line of a csv answer (nothing in it is quoted: `ccstats.render`)."""
    rest = b""
    for piece in csv_answer:
        lines = (rest + piece).split(b"\r\n")
        rest = lines.pop()
        for line in lines:
            yield line.decode().split(",")
    if rest:
        yield rest.decode().split(",")
