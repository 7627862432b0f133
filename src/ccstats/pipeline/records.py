"""The statistics pipeline from a validated query to its rendered records."""

from __future__ import annotations

import functools
from collections.abc import Iterator

from ccstats.pipeline import parts
from ccstats.pipeline.plan import plan_of
from ccstats.pipeline.render import render_cells
from ccstats.pipeline.source import CellSource
from ccstats.pipeline.sql import cells_sql, record_estimate_sql
from ccstats.query import StatsQuery


def records(query: StatsQuery, source: CellSource) -> Iterator[bytes]:
    """The rendered records of `query` in order (see `ccstats.render.stream`), part by part."""
    user_ids = functools.cache(lambda: [u.user_id for u in source.users(query.customer_id)])
    visible = source.visible_sums(query.customer_id)

    def estimate(part: StatsQuery) -> int:
        return source.scalar(record_estimate_sql(plan_of(part), visible))

    for part in parts.split(query, user_ids, estimate):
        plan = plan_of(part)
        if plan.selects_nothing:
            continue
        cells = source.cells(cells_sql(plan, source.dialect, visible),
                             parts.records_bound(part, user_ids) * len(part.fields))
        yield from render_cells(part, cells)
