"""Queue calls -> rows of the ``queue_calls`` table, as set-based SQL (DuckDB dialect).

A closed queue call (queues-and-kpis.md §1) counts whole in the UTC quarter-hour
of its start (``qh = start // 900``), keyed further by project, queue, whether it
was answered and its wait (``answer - start``, or ``end - start`` unanswered),
with its talk seconds (``end - answer``, 0 unanswered). Keeping the wait as a key
lets a query apply any ``manual_sla`` (`ccstats.pipeline.queue_call_sql`).
Withdrawing a call adds its row negated, as for the sums
(`ccstats.store.contributions`); the stores merge rows by ``SUM``.
"""

from __future__ import annotations

from ccstats.buckets import QUARTER
from ccstats.events import QUEUE_CALL

#: The key columns of a row, besides the customer (and a ClickHouse batch).
QUEUE_CALL_KEYS = ("project_id", "queue_id", "qh", "answered", "wait")
#: The measures of a row.
QUEUE_CALL_MEASURES = ("cnt", "talk")


def queue_call_rows_sql(events: str, sign: int = 1) -> str:
    """One row (keys, ``cnt``, ``talk``) per closed queue call of `events` (a relation
    of normalized events; `sign` -1 withdraws them)."""
    return f"""
    SELECT project_id, queue_id, (t_start // {QUARTER})::INTEGER AS qh,
           (t_answer IS NOT NULL)::TINYINT AS answered,
           (coalesce(t_answer, t_end) - t_start)::INTEGER AS wait,
           {sign}::BIGINT AS cnt, ({sign} * coalesce(t_end - t_answer, 0))::BIGINT AS talk
    FROM {events} WHERE type = '{QUEUE_CALL}' AND t_end IS NOT NULL"""


def merged_sql(rows: list[str], keys: tuple[str, ...] = QUEUE_CALL_KEYS) -> str:
    """The rows of the queries `rows`, one per value of `keys`, leaving out those that
    cancel out."""
    union = " UNION ALL ".join(f"SELECT * FROM ({query})" for query in rows)
    listed = ", ".join(keys)
    return f"""SELECT {listed}, sum(cnt)::BIGINT AS cnt, sum(talk)::BIGINT AS talk
               FROM ({union}) GROUP BY {listed} HAVING sum(cnt) <> 0 OR sum(talk) <> 0"""
