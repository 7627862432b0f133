"""Open intervals and queue calls on ClickHouse, as the real-time answers read them.

The ``events`` table is ordered by event id: a customer's open intervals could only be
found there by reading every event it has. ``live_events`` is ordered by start. It
holds a row for each stored version of an open interval (``t_end`` null) or of a queue
call, and, when such a version is replaced or deleted, a ``gone`` row with the same id
and start. The current versions that started at a moment or later are then, among the
rows from that moment on, the latest row of each (id, start) unless it is gone: a
version whose start changed leaves a gone row at its old start, wherever that lies.
Rows carry their batch and are visible once it commits, like every event row
(`ccstats.store.clickhouse_batches`).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from clickhouse_driver import Client

from ccstats.events import QUEUE_CALL
from ccstats.store.clickhouse_batches import visible_events
from ccstats.store.clickhouse_schema import (
    EVENT_COLUMNS,
    READ_EVENT_COLUMNS,
    event_values,
    insert_columns,
    read_events,
)


def _live(events: pa.Table) -> pa.Table:
    """The open intervals and the queue calls of `events` (normalized)."""
    return events.filter(pc.or_(pc.is_null(events["t_end"]),
                                pc.equal(events["type"], QUEUE_CALL)))


def append_live(client: Client, customer_id: int, batch: int, seq: int,
                new: pa.Table, previous: pa.Table) -> None:
    """The ``live_events`` rows of block `seq` of `batch`, which stores the versions `new`
    in place of `previous` (the current versions of some of their ids; or deletes them)."""
    gone, came = _live(previous), _live(new)
    n, rows = gone.num_rows + came.num_rows, pa.concat_tables([gone, came])
    insert_columns(
        client, "live_events", ["customer_id", "batch", "seq", "gone", *EVENT_COLUMNS],
        [[customer_id] * n, [batch] * n, [seq] * n,
         [1] * gone.num_rows + [0] * came.num_rows, *event_values(rows)])


def live_events(client: Client, customer_id: int, since: int) -> pa.Table:
    """`ccstats.store.base.Store.live_events`: of each (id, start) from `since` on, the
    latest row of a committed batch, unless it is gone (of one block, the new version
    comes after the gone one)."""
    c = int(customer_id)
    rows = client.execute(
        f"""SELECT {READ_EVENT_COLUMNS} FROM (
                SELECT * FROM live_events
                WHERE customer_id = {c} AND t_start >= {int(since)} AND {visible_events(c)}
                ORDER BY event_id, t_start, batch DESC, seq DESC, gone ASC
                LIMIT 1 BY event_id, t_start)
            WHERE gone = 0""", columnar=True)
    return read_events(rows)
