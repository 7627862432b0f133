"""Output formats of the statistics answer (api.md): JSON, csv and tab.

A store yields each record already rendered (JSON object text, or the csv/tab
lines of the record, one per field); this module adds what surrounds them and
streams the bytes. The column and key layout lives here, as data the stores use.

- JSON: ``{"response":[<record>,<record>,...],"errors":[]}``, record keys in the
  order date, time, projectId, userId, data, level.
- csv: RFC 4180 with CRLF; tab: tab-separated with LF. A header, then one line
  per (record, field): the requested dimension columns in the fixed order
  date, time, projectId, userId, then level, field, count, sum. ``null`` is an
  empty cell. Nothing needs quoting: every value is a number, a date or a name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import orjson

from ccstats.query import OutputFormat, StatsQuery

#: Dimension -> (JSON key / column name), in the fixed key and column order.
DIMENSION_KEYS: dict[str, str] = {
    "date": "date",
    "time": "time",
    "project": "projectId",
    "user": "userId",
}

MEDIA_TYPES: dict[OutputFormat, str] = {
    OutputFormat.JSON: "application/json",
    OutputFormat.CSV: "text/csv; charset=utf-8",
    OutputFormat.TAB: "text/tab-separated-values; charset=utf-8",
}

SEPARATORS: dict[OutputFormat, tuple[str, str]] = {
    OutputFormat.CSV: (",", "\r\n"),
    OutputFormat.TAB: ("\t", "\n"),
}

#: Records are gathered into pieces of about this many characters before writing.
CHUNK_CHARS = 1 << 16


def ordered_dimensions(query: StatsQuery) -> list[str]:
    """The requested dimensions in key/column order (not request order)."""
    return [d for d in DIMENSION_KEYS if d in query.dimensions]


def header(query: StatsQuery) -> str:
    separator, newline = SEPARATORS[query.output]
    columns = [DIMENSION_KEYS[d] for d in ordered_dimensions(query)]
    return separator.join([*columns, "level", "field", "count", "sum"]) + newline


def stream(query: StatsQuery, records: Iterable[str]) -> Iterator[bytes]:
    """The whole answer body, in chunks, from the rendered records of a store."""
    if query.output is OutputFormat.JSON:
        opening, glue, closing = '{"response":[', ",", '],"errors":[]}'
    else:
        opening, glue, closing = header(query), "", ""
    pending = [opening]
    size = len(opening)
    first = True
    for record in records:
        if not first:
            pending.append(glue)
        first = False
        pending.append(record)
        size += len(record)
        if size >= CHUNK_CHARS:
            yield "".join(pending).encode("utf-8")
            pending, size = [], 0
    pending.append(closing)
    yield "".join(pending).encode("utf-8")


def error_body(errors: Iterable[object]) -> bytes:
    """The envelope of a failed request: ``{"response": null, "errors": [...]}``."""
    return orjson.dumps({"response": None, "errors": list(errors)})


def success_body(value: object) -> bytes:
    return orjson.dumps({"response": value, "errors": []})
