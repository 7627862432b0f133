"""The real-time records from the live events, one DuckDB statement per resource.

Both statements read ``live``: the normalized live events of one customer
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

from ccstats import duckdb_connect
from ccstats.events import QUEUE_CALL
from ccstats.realtime.clock import Moment
from ccstats.realtime.options import Ids, QueuesQuery, UsersQuery

LATEST = "ORDER BY t_start DESC, event_id DESC"

ONLINE_USERS = f"""
WITH going AS (
    SELECT * FROM live WHERE t_end IS NULL AND t_start >= $stale_from
), states AS (
    SELECT user_id, project_id, subtype AS state, t_start FROM going
    WHERE type = 'userstate'
    QUALIFY row_number() OVER (PARTITION BY user_id {LATEST}) = 1
), calls AS (
    SELECT user_id, subtype AS direction, t_start, t_answer IS NOT NULL AS answered
    FROM going WHERE type = 'call'
    QUALIFY row_number() OVER (PARTITION BY user_id {LATEST}) = 1
), answering AS (
    SELECT user_id, queue_id FROM going
    WHERE type = '{QUEUE_CALL}' AND t_answer IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY user_id {LATEST}) = 1
)
SELECT s.user_id, s.project_id, s.state, s.t_start,
       CASE WHEN s.t_start < $now THEN $now - s.t_start ELSE 0 END AS duration,
       c.direction, c.t_start AS call_start, c.answered, q.queue_id
FROM states s
LEFT JOIN calls c ON c.user_id = s.user_id
LEFT JOIN answering q ON q.user_id = s.user_id
WHERE ($all_projects OR list_contains($projects::BIGINT[], s.project_id))
  AND ($all_users OR list_contains($users::BIGINT[], s.user_id))
  AND NOT list_contains($hidden::BIGINT[], s.user_id)
ORDER BY s.user_id
"""
"""One row per online user: its state (the latest open, non-stale userstate: the
projects filter applies to that state's project), its latest open, non-stale call
and the queue of its latest open, non-stale queue call that it answered."""

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
    """The rows of `ONLINE_USERS`, sorted by user id."""
    return _rows(ONLINE_USERS, live, {
        "now": moment.now, "stale_from": moment.stale_from,
        **_filter("projects", query.projects), **_filter("users", query.users),
        "hidden": sorted(query.hidden)})


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
