"""The real-time records as JSON, csv or tab (realtime.md §2).

JSON is the envelope ``{"response": [record, ...], "errors": []}`` with the
members of the spec, in its order. csv (RFC 4180, CRLF) and tab (LF) hold a
header and one line per record, in the JSON's order, ``null`` as an empty cell
and ``true``/``false`` as in JSON; an online user's ``call`` is flattened into
`CALL_COLUMNS` (empty when it is ``null``). A csv cell holding a comma, a double
quote or a line break is quoted, with its double quotes doubled; tab has no
quoting, so a tab or line break in a name is written as a space.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

from ccstats import render
from ccstats.options import OutputFormat
from ccstats.pipeline.ratios import value_texts

USER_COLUMNS = ("userId", "name", "projectId", "state", "since", "stateDuration")
CALL_COLUMNS = ("callDirection", "callSince", "callAnswered", "callQueueId")
QUEUE_COLUMNS = ("queueId", "name", "projectId", "waiting", "longestWait", "talking",
                 "offered", "answered", "abandoned", "serviceLevel", "asa")

Cell = int | str | bool | None
#: A ratio's value: its text as JSON writes it (``0.8125``), or None.
Ratio = str | None
_QUOTED = frozenset(',"\r\n')
_SPACED = str.maketrans({"\t": " ", "\r": " ", "\n": " "})


def iso(epoch: int) -> str:
    """``2026-12-04T13:02:11Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def user_cells(row: Sequence[Any], name: str) -> tuple[list[Cell], list[Cell] | None]:
    """An online user's `USER_COLUMNS` and its call's `CALL_COLUMNS` (None: no call), from
    a row of `ccstats.realtime.sql.online_user_rows`."""
    user_id, project_id, state, start, duration, direction, call_start, answered, queue = row
    user: list[Cell] = [user_id, name, project_id, state, iso(start), duration]
    call: list[Cell] | None = None if direction is None else \
        [direction, iso(call_start), answered, queue]
    return user, call


def ratios(numerators: Sequence[int], denominators: Sequence[int]) -> list[Ratio]:
    """``numerator / denominator`` rounded as a KPI value is (`value_texts`); None on a
    zero denominator."""
    if not numerators:
        return []
    texts = value_texts(np.array(numerators, dtype=np.int64),
                        np.array(denominators, dtype=np.int64), "")
    return [text or None for text in texts.to_pylist()]


def users_body(records: Sequence[tuple[list[Cell], list[Cell] | None]],
               output: OutputFormat) -> bytes:
    """The answer of ``GET /v2/onlineusers`` from `user_cells` of each user."""
    if output is OutputFormat.JSON:
        return render.success_body([
            {**dict(zip(USER_COLUMNS, user, strict=True)),
             "call": None if call is None else dict(zip(
                 ("direction", "since", "answered", "queueId"), call, strict=True))}
            for user, call in records])
    return _delimited((*USER_COLUMNS, *CALL_COLUMNS),
                      [[*user, *(call or [None] * len(CALL_COLUMNS))] for user, call in records],
                      output)


def queues_body(records: Sequence[list[Cell]], output: OutputFormat) -> bytes:
    """The answer of ``GET /v2/realtime/queues`` from the `QUEUE_COLUMNS` of each queue,
    the last two being `Ratio` texts."""
    if output is OutputFormat.JSON:
        return render.success_body([
            {**dict(zip(QUEUE_COLUMNS[:-2], cells[:-2], strict=True)),
             **{name: None if text is None else orjson.Fragment(str(text))
                for name, text in zip(QUEUE_COLUMNS[-2:], cells[-2:], strict=True)}}
            for cells in records])
    return _delimited(QUEUE_COLUMNS, records, output)


def _delimited(columns: Sequence[str], rows: Sequence[Sequence[Cell]],
               output: OutputFormat) -> bytes:
    separator, newline = render.SEPARATORS[output]
    lines = [separator.join(columns)]
    lines += [separator.join(_text(cell, output) for cell in row) for row in rows]
    return "".join(line + newline for line in lines).encode("utf-8")


def _text(cell: Cell, output: OutputFormat) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    text = str(cell)
    if output is OutputFormat.TAB:
        return text.translate(_SPACED)
    if _QUOTED.intersection(text):
        return '"' + text.replace('"', '""') + '"'
    return text
