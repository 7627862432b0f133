"""The Arrow type of every column the API's csv answers have, and the JSON records of
the real-time resources as a table of the same columns.

Types are given, never inferred, so that an answer of no rows has the types of a
full one, an empty cell is a null of its column's type, and a count is an integer
however large. ``time`` arrives as the ``hhmm`` integer of the slot's start
(``1415``) and becomes the time of day it names (14:15:00).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

#: The dimension columns of the statistics, in the order the csv gives them.
DIMENSIONS = ("date", "time", "projectId", "userId", "queueId")

_INTEGERS = ("projectId", "userId", "queueId", "level", "count", "sum", "numerator",
             "denominator", "stateDuration", "callQueueId", "waiting", "longestWait",
             "talking", "offered", "answered", "abandoned")
_FLOATS = ("value", "serviceLevel", "asa")
_TEXTS = ("field", "kpi", "name", "state", "callDirection")
_MOMENTS = ("since", "callSince")

#: Column name -> its Arrow type as the csv is read (``time`` is converted after).
CSV_TYPES: dict[str, pa.DataType] = {
    "date": pa.date32(),
    "time": pa.int32(),
    "callAnswered": pa.bool_(),
    **{name: pa.int64() for name in _INTEGERS},
    **{name: pa.float64() for name in _FLOATS},
    **{name: pa.string() for name in _TEXTS},
    **{name: pa.timestamp("s", tz="UTC") for name in _MOMENTS},
}

#: The columns of ``/v2/onlineusers`` (``call`` flattened) and ``/v2/realtime/queues``.
ONLINE_USER_COLUMNS = ("userId", "name", "projectId", "state", "since", "stateDuration",
                       "callDirection", "callSince", "callAnswered", "callQueueId")
QUEUE_COLUMNS = ("queueId", "name", "projectId", "waiting", "longestWait", "talking",
                 "offered", "answered", "abandoned", "serviceLevel", "asa")


def slot_starts(hhmm: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """``hhmm`` integers (``0``, ``900``, ``1415``) as times of day (``time32[s]``)."""
    hours = pc.divide(hhmm, 100)
    minutes = pc.subtract(hhmm, pc.multiply(hours, 100))
    seconds = pc.add(pc.multiply(hours, 3600), pc.multiply(minutes, 60))
    return pc.cast(pc.cast(seconds, pa.int32()), pa.time32("s"))


def with_slot_starts(table: pa.Table) -> pa.Table:
    """`table` with its ``time`` column (if any) as times of day."""
    if "time" not in table.column_names:
        return table
    where = table.column_names.index("time")
    return table.set_column(where, "time", slot_starts(table.column("time")))


def _schema(names: Sequence[str]) -> pa.Schema:
    return pa.schema([(name, CSV_TYPES[name]) for name in names])


def online_users_table(records: Sequence[Mapping[str, Any]]) -> pa.Table:
    """The records of ``/v2/onlineusers`` as the table its csv reads into."""
    rows = [{**record, **_call(record.get("call"))} for record in records]
    return _table(ONLINE_USER_COLUMNS, rows)


def queues_table(records: Sequence[Mapping[str, Any]]) -> pa.Table:
    """The records of ``/v2/realtime/queues`` as the table its csv reads into."""
    return _table(QUEUE_COLUMNS, records)


def _call(call: Mapping[str, Any] | None) -> dict[str, Any]:
    """A user's ``call`` as the csv's flattened ``call*`` columns."""
    found = call or {}
    return {"callDirection": found.get("direction"), "callSince": found.get("since"),
            "callAnswered": found.get("answered"), "callQueueId": found.get("queueId")}


def _table(names: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    columns = []
    for name in names:
        values = [row.get(name) for row in rows]
        kind = CSV_TYPES[name]
        if pa.types.is_timestamp(kind):
            columns.append(pc.cast(pa.array(values, pa.string()), kind))
        else:
            columns.append(pa.array(values, kind))
    return pa.Table.from_arrays(columns, schema=_schema(names))
