"""The statistics pipeline from a validated query to its rendered records."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence

from ccstats.pipeline import parts
from ccstats.pipeline.dialect import Dialect
from ccstats.pipeline.plan import Grain, Plan, plan_of
from ccstats.pipeline.queue_call_sql import queue_call_cells_sql
from ccstats.pipeline.render import render_cells
from ccstats.pipeline.source import CellSource
from ccstats.pipeline.sql import Statement, cells_sql, record_estimate_sql
from ccstats.query import StatsQuery


def records(query: StatsQuery, source: CellSource) -> Iterator[bytes]:
    """The rendered records of `query` in order (see `ccstats.render.stream`), part by part."""
    all_ids = functools.cache(lambda dimension: _all_ids(source, query.customer_id, dimension))
    visible = source.visible_sums(query.customer_id)

    def estimate(part: StatsQuery) -> int:
        return source.scalar(record_estimate_sql(plan_of(part), visible))

    for part in parts.split(query, all_ids, estimate):
        plan = plan_of(part)
        if plan.selects_nothing:
            continue
        cells = source.cells(_statement(plan, source.dialect, visible),
                             parts.records_bound(part, all_ids) * len(part.fields))
        yield from render_cells(part, cells)


def _statement(plan: Plan, dialect: Dialect, visible: str | None) -> Statement:
    if plan.grain is Grain.QUEUE_CALLS:
        return queue_call_cells_sql(plan, dialect, visible)
    return cells_sql(plan, dialect, visible)


def _all_ids(source: CellSource, customer_id: int, dimension: str) -> Sequence[int]:
    """The customer's ids of the ``user`` or ``queue`` dimension."""
    if dimension == "queue":
        return [q.queue_id for q in source.queues(customer_id)]
    return [u.user_id for u in source.users(customer_id)]

