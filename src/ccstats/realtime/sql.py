"""The real-time records from the live events: online users with Arrow kernels, queues with
one DuckDB statement.

The queues' statement reads ``live``: the normalized live events of one customer
(`ccstats.store.base.Store.live_events`), handed to an in-process DuckDB as an
Arrow table, so that every store is answered by the same SQL. Among several
candidates the *latest* is the one with the latest start, then the greatest id.
A duration is ``now - start`` in whole seconds, 0 for an interval that starts
after ``now`` (an integration's clock may run a little ahead of the server's).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ccstats import duckdb_connect
from ccstats.events import QUEUE_CALL
from ccstats.realtime.clock import Moment
from ccstats.realtime.options import Ids, QueuesQuery, UsersQuery

LATEST = "ORDER BY t_start DESC, event_id DESC"

REALTIME_QUEUES = f"""
WITH counted AS (
    SELECT queue_id, project_id, event_id, t_start, t_answer, t_end IS NULL AS going
    FROM live
    WHERE type = '{QUEUE_CALL}'
      AND CASE WHEN t_end IS NULL THEN t_start >= $stale_from
               ELSE t_start >= $day_start AND t_start < $day_stop END
      AND ($all_projects OR list_contains($projects::BIGINT[], project_id))
      AND ($all_queues OR list_contains($queues::BIGINT[], queue_id))
), latest AS (
    SELECT queue_id, project_id FROM counted
    QUALIFY row_number() OVER (PARTITION BY queue_id {LATEST}) = 1
)
SELECT c.queue_id, l.project_id,
       count(*) FILTER (going AND t_answer IS NULL) AS waiting,
       min(t_start) FILTER (going AND t_answer IS NULL) AS oldest_wait,
       count(*) FILTER (going AND t_answer IS NOT NULL) AS talking,
       count(*) FILTER (NOT going) AS offered,
       count(*) FILTER (NOT going AND t_answer IS NOT NULL) AS answered,
       count(*) FILTER (NOT going AND t_answer IS NULL) AS abandoned,
       count(*) FILTER (NOT going AND t_answer - t_start <= $manual_sla) AS within_sla,
       coalesce(sum(t_answer - t_start) FILTER (NOT going), 0)::BIGINT AS answer_wait
FROM counted c JOIN latest l ON l.queue_id = c.queue_id
GROUP BY c.queue_id, l.project_id
ORDER BY c.queue_id
"""
"""One row per queue with a counted queue call: an open, non-stale one, or a closed
one that started today; the projects filter applies to the queue calls."""


def _filter(name: str, ids: Ids) -> dict[str, Any]:
    return {f"all_{name}": ids is None, name: sorted(ids or ())}


def online_user_rows(live: pa.Table, moment: Moment, query: UsersQuery) -> list[tuple[Any, ...]]:
    """One row per online user, sorted by user id: ``(user_id, project_id, state, start,
    duration, direction, call_start, answered, queue_id)``, the last four None without a
    call. Its state is its latest open, non-stale userstate (the projects filter applies
    to that state's project), its call its latest open, non-stale call, and the queue
    that of its latest open, non-stale queue call that it answered.

    Computed with Arrow kernels rather than SQL: for the few thousand live events of a
    customer, planning a statement costs more than the whole answer.
    """
    going = live.filter(pc.and_(pc.is_null(live["t_end"]),
                                pc.greater_equal(live["t_start"], moment.stale_from)))
    states = _latest_per_user(going, "userstate", ("project_id", "subtype", "t_start"))
    calls = _latest_per_user(going, "call", ("subtype", "t_start", "t_answer"))
    answered = going.filter(pc.is_valid(going["t_answer"]))
    queues = _latest_per_user(answered, QUEUE_CALL, ("queue_id",))
    rows = []
    for user_id in sorted(states):
        project_id, state, start = states[user_id]
        if not (_kept(user_id, query.users) and _kept(project_id, query.projects)) \
                or user_id in query.hidden:
            continue
        direction, call_start, answer = calls.get(user_id, (None, None, None))
        rows.append((user_id, project_id, state, start, max(moment.now - start, 0),
                     direction, call_start, None if direction is None else answer is not None,
                     queues.get(user_id, (None,))[0]))
    return rows


def _latest_per_user(going: pa.Table, event_type: str, columns: tuple[str, ...]
                     ) -> dict[int, tuple[Any, ...]]:
    """`columns` of the latest (`LATEST`) event of `event_type` in `going`, by user id."""
    chosen = going.filter(pc.equal(going["type"], event_type)).sort_by(
        [("user_id", "ascending"), ("t_start", "descending"), ("event_id", "descending")])
    latest: dict[int, tuple[Any, ...]] = {}
    values = [chosen[column].to_pylist() for column in columns]
    for user_id, *row in zip(chosen["user_id"].to_pylist(), *values, strict=True):
        latest.setdefault(user_id, tuple(row))
    return latest


def _kept(value: int, ids: Ids) -> bool:
    return ids is None or value in ids


def queue_rows(live: pa.Table, moment: Moment, query: QueuesQuery) -> list[tuple[Any, ...]]:
    """The rows of `REALTIME_QUEUES`, sorted by queue id."""
    return _rows(REALTIME_QUEUES, live, {
        "stale_from": moment.stale_from, "day_start": moment.day_start,
        "day_stop": moment.day_stop, "manual_sla": query.manual_sla,
        **_filter("projects", query.projects), **_filter("queues", query.queues)})


def _rows(statement: str, live: pa.Table, parameters: Mapping[str, Any]
          ) -> list[tuple[Any, ...]]:
    db = _connection()
    db.register("live", live)
    try:
        return db.execute(statement, dict(parameters)).fetchall()
    finally:
        db.unregister("live")


_local = threading.local()


def _connection() -> duckdb.DuckDBPyConnection:
    """This thread's in-process DuckDB: opening one costs more than a real-time statement."""
    db: duckdb.DuckDBPyConnection | None = getattr(_local, "db", None)
    if db is None:
        db = _local.db = duckdb_connect.connect()
    return db
