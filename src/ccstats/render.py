"""Output formats of the statistics answer (api.md): JSON, csv and tab (and the workbook
made of the csv answer: `ccstats.spreadsheet`).

The pipeline renders each record (JSON object text, or the csv/tab lines of the
record, one per field: `ccstats.pipeline.render`); this module adds what
surrounds them and streams the bytes.

- JSON: ``{"response":[<record>,<record>,...],"errors":[]}``, record keys in the
  order date, time, projectId, userId (queueId for inbound), data (kpis), level.
- csv: RFC 4180 with CRLF; tab: tab-separated with LF. A header, then one line
  per (record, field): the requested dimension columns in the resource's fixed
  order (date, time, projectId, userId), then level, field, count, sum
  (`FIELD_COLUMNS`; a KPI answer has one line per (record, KPI) and
  `KPI_COLUMNS`). ``null`` is an empty cell. Nothing needs quoting: every value
  is a number, a date or a name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import orjson

from ccstats.options import OutputFormat
from ccstats.pipeline.resource import RESOURCES
from ccstats.query import StatsQuery

MEDIA_TYPES: dict[OutputFormat, str] = {
    OutputFormat.JSON: "application/json",
    OutputFormat.CSV: "text/csv; charset=utf-8",
    OutputFormat.TAB: "text/tab-separated-values; charset=utf-8",
    OutputFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

SEPARATORS: dict[OutputFormat, tuple[str, str]] = {
    OutputFormat.CSV: (",", "\r\n"),
    OutputFormat.TAB: ("\t", "\n"),
}


#: The csv/tab columns after the dimensions' of a fields answer and of a KPI answer.
FIELD_COLUMNS = ("level", "field", "count", "sum")
KPI_COLUMNS = ("level", "kpi", "value", "numerator", "denominator")


def header(query: StatsQuery) -> str:
    """The csv/tab header line: the requested dimensions' columns, then `FIELD_COLUMNS`
    (`KPI_COLUMNS` for a KPI answer)."""
    separator, newline = SEPARATORS[query.output]
    keys = [d.key for d in RESOURCES[query.source].ordered(query.dimensions)]
    columns = KPI_COLUMNS if query.kpis else FIELD_COLUMNS
    return separator.join([*keys, *columns]) + newline


#: What precedes every JSON record as the store renders it; dropped before the first.
JSON_SEPARATOR = b","


def stream(query: StatsQuery, pieces: Iterable[bytes]) -> Iterator[bytes]:
    """The whole answer body, in chunks, from the rendered records of a store.

    `pieces` concatenate to the records in order, each JSON record preceded by
    `JSON_SEPARATOR` (csv/tab records need none); pieces are passed on as they come.
    """
    if query.output is OutputFormat.JSON:
        opening, closing = b'{"response":[', b'],"errors":[]}'
    else:
        opening, closing = header(query).encode("utf-8"), b""
    first = True
    for piece in pieces:
        if first and piece:
            lead = piece.removeprefix(JSON_SEPARATOR) if query.output is OutputFormat.JSON \
                else piece
            yield opening + lead
            first = False
        elif piece:
            yield piece
    yield closing if not first else opening + closing


def error_body(errors: Iterable[object]) -> bytes:
    """The envelope of a failed request: ``{"response": null, "errors": [...]}``."""
    return orjson.dumps({"response": None, "errors": list(errors)})


def success_body(value: object) -> bytes:
    return orjson.dumps({"response": value, "errors": []})
