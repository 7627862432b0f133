"""A `Plan` -> one statement in a store's dialect.

The statement reads the plan's sums table, maps each row to its local date and
slot (a UTC quarter-hour through the zone's offsets, see `ccstats.buckets`; a
local hour or day row as it is), keeps the requested dates and slots, groups by
the requested dimensions and the field, drops fields without hits, and yields
the *cells*: one row per (record, field) with the dimensions' values (request
order), the ``field_id`` and its ``cnt`` and ``secs``, ordered by the dimensions
and then the field's position in the request (`ccstats.pipeline.plan.FieldOrder`),
as `ccstats.pipeline.render` expects them.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ccstats.buckets import DAY, MARGIN_DAYS, QUARTER, LocalRange
from ccstats.pipeline.dialect import Dialect
from ccstats.pipeline.plan import FieldOrder, Grain, IdFilter, Plan

#: The measures of every sums table, and the cells' columns after the dimensions.
SUMS_COLUMNS = "project_id, user_id, field_id, cnt, secs, hits"
#: The columns of the queue calls' table: how many calls with that answer and wait
#: (seconds) entered the queue in the quarter-hour, and their talk seconds.
QUEUE_CALL_COLUMNS = "project_id, queue_id, answered, wait, cnt, talk"
CELL_MEASURES = ("field_id", "cnt", "secs")


@dataclass(frozen=True, slots=True)
class Statement:
    """SQL text, the names of the columns it yields, and how its rows are ordered.

    `unordered` leaves the order to the caller, who may sort the fetched rows
    with `sort_order`: a small answer sorts faster in memory than through the
    engine's sort. `text` has the engine sort them.
    """

    unordered: str
    columns: tuple[str, ...]
    group: tuple[str, ...]
    """The grouped columns, which order the rows first (first column first)."""
    fields: FieldOrder
    """Orders the rows of one group by their field's position."""
    order_sql: tuple[str, ...]
    """The engine's sort keys: the grouped columns, then the field's position."""

    @property
    def text(self) -> str:
        """The statement with its rows in order."""
        return f"{self.unordered}\n    ORDER BY {', '.join(self.order_sql)}"

    def sort_order(self, columns: Mapping[str, npt.NDArray[Any]]) -> npt.NDArray[np.intp]:
        """The permutation that puts the fetched `columns` (by name) in the statement's order."""
        keys = [self.fields.positions(columns["field_id"]),
                *(columns[name] for name in reversed(self.group))]
        return np.lexsort(keys)


def in_list(found: IdFilter) -> str:
    """The filter as SQL (a false condition for no id: ``IN ()`` is no SQL)."""
    if not found.ids:
        return "0 = 1"
    return f"{found.column} IN (" + ", ".join(str(int(v)) for v in found.ids) + ")"


def offset_sql(local: LocalRange) -> str:
    """The zone's UTC offset in seconds during quarter-hour ``qh``."""
    segments = local.segments
    if len(segments) == 1:
        return str(segments[0].offset)
    cases = " ".join(f"WHEN qh < {nxt.first_qh} THEN {seg.offset}"
                     for seg, nxt in itertools.pairwise(segments))
    return f"CASE {cases} ELSE {segments[-1].offset} END"


def local_seconds_sql(local: LocalRange, dialect: Dialect) -> str:
    """Local wall-clock seconds of ``qh``, shifted by MARGIN_DAYS days to stay positive."""
    return f"{dialect.int64('qh')} * {QUARTER} + ({offset_sql(local)}) + {MARGIN_DAYS * DAY}"


def _conditions(plan: Plan, visible: str | None) -> str:
    found = [f"customer_id = {int(plan.customer_id)}", *map(in_list, plan.id_filters)]
    if plan.field_ids is not None and plan.grain is not Grain.QUEUE_CALLS:
        found.append(in_list(IdFilter("field_id", plan.field_ids)))
    if visible:
        found.append(visible)
    return " AND ".join(found)


def rows_sql(plan: Plan, dialect: Dialect, visible: str | None) -> str:
    """The plan's table's rows of the dates kept, with their local ``day`` and ``minute``
    (the slot's start): ``(project_id, user_id, field_id, cnt, secs, hits, day, minute)``
    of a sums table, `QUEUE_CALL_COLUMNS` and ``day, minute`` of the queue calls."""
    where = _conditions(plan, visible)
    days = f"BETWEEN {plan.local.first_day} AND {plan.local.last_day}"
    if plan.grain is Grain.LOCAL_DAY:
        return f"SELECT {SUMS_COLUMNS}, day, 0 AS minute FROM {plan.grain} " \
               f"WHERE {where} AND day {days}"
    if plan.grain is Grain.LOCAL_HOUR:
        return f"SELECT {SUMS_COLUMNS}, day, {dialect.int64('hour')} * 60 AS minute " \
               f"FROM {plan.grain} WHERE {where} AND day {days}"
    first_qh, last_qh = plan.local.scan_qhs
    local_day = f"{dialect.int_div('local_seconds', DAY)} - {MARGIN_DAYS}"
    slot = dialect.int_div(f"local_seconds % {DAY}", plan.interval * 60)
    columns = QUEUE_CALL_COLUMNS if plan.grain is Grain.QUEUE_CALLS else SUMS_COLUMNS
    return f"""
        SELECT {columns}, {local_day} AS day, {slot} * {plan.interval} AS minute
        FROM (SELECT {columns}, {local_seconds_sql(plan.local, dialect)} AS local_seconds
              FROM {plan.grain} WHERE {where} AND qh BETWEEN {first_qh} AND {last_qh})
        WHERE {local_day} {days}"""


def _order_sql(plan: Plan, dialect: Dialect) -> tuple[str, ...]:
    """The sort keys of the cells: the grouped columns, then the field's index in the
    request (which one field does not need)."""
    ids = [kpi.field_id for kpi in plan.fields]
    position = () if len(ids) == 1 else (dialect.index_in(ids, "field_id"),)
    return (*(d.column for d in plan.group), *position)


def cells_sql(plan: Plan, dialect: Dialect, visible: str | None = None) -> Statement:
    """The statement of the plan's cells (see the module docstring).

    `visible` is a further condition on the sums rows, if a store needs one.
    """
    group = ", ".join(d.column for d in plan.group)
    first_minute, last_minute = plan.minutes
    text = f"""
    SELECT {group}, field_id, total_cnt AS cnt, total_secs AS secs
    FROM (
        SELECT {group}, field_id, {dialect.int64('sum(cnt)')} AS total_cnt,
               {dialect.int64('sum(secs)')} AS total_secs
        FROM ({rows_sql(plan, dialect, visible)})
        WHERE minute BETWEEN {first_minute} AND {last_minute}
        GROUP BY {group}, field_id
        HAVING sum(hits) > 0)"""
    return cells_statement(plan, dialect, text)


def cells_statement(plan: Plan, dialect: Dialect, unordered: str) -> Statement:
    """The `Statement` of cells whose text, in no order, is `unordered`."""
    group_columns = tuple(d.column for d in plan.group)
    return Statement(unordered, (*group_columns, *CELL_MEASURES), group_columns,
                     plan.field_order, _order_sql(plan, dialect))


def record_estimate_sql(plan: Plan, visible: str | None = None) -> str:
    """The statement whose single value estimates how many records the plan has.

    It counts the distinct (project, user or queue, date) combinations of the
    grouped dimensions in the local-day sums or, for queue calls, by UTC day
    (dates widened by a day for another zone's dates) and multiplies by the
    slots kept when ``time`` is grouped by.
    """
    local = plan.local
    by_day = plan.grain is not Grain.QUEUE_CALLS
    day = "day" if by_day else f"floor(qh / {DAY // QUARTER})"
    columns = [day if d.name == "date" else d.column for d in plan.group if d.name != "time"]
    first_qh, last_qh = local.scan_qhs
    dates = f"day BETWEEN {local.first_day - 1} AND {local.last_day + 1}" if by_day else \
        f"qh BETWEEN {first_qh - DAY // QUARTER} AND {last_qh + DAY // QUARTER}"
    conditions = [f"customer_id = {int(plan.customer_id)}", *map(in_list, plan.id_filters),
                  dates]
    if visible:
        conditions.append(visible)
    first_minute, last_minute = plan.minutes
    slots = (last_minute - first_minute) // plan.interval + 1 \
        if any(d.name == "time" for d in plan.group) else 1
    distinct = ", ".join(columns) if columns else "1"
    table = Grain.LOCAL_DAY if by_day else Grain.QUEUE_CALLS
    return f"""SELECT count(*) * {slots} FROM (
                 SELECT DISTINCT {distinct} FROM {table}
                 WHERE {" AND ".join(conditions)})"""
