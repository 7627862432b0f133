"""A `Plan` of the inbound statistics -> the statement of its cells.

The queue calls' table keeps, per UTC quarter-hour of the calls' start, project,
queue, answer (1 or 0) and wait in seconds, how many calls there were (``cnt``)
and their talk seconds (``talk``); a replaced or deleted call adds the same row
negated. Because the wait is a key, the statement can apply any ``manual_sla``:
each field (`ccstats.inbound.InboundField`) is a conditional sum over the rows of
a group, and each group then yields one cell per requested field whose count is
above zero (a field no call counted in is absent, queues-and-kpis.md §2).
"""

from __future__ import annotations

from ccstats.field import Field
from ccstats.inbound import InboundField, Seconds
from ccstats.pipeline.dialect import Dialect
from ccstats.pipeline.plan import Plan
from ccstats.pipeline.sql import Statement, cells_statement, rows_sql

#: What each kind of sum adds, per row of the table.
_SECONDS = {Seconds.DURATION: "wait * cnt + talk", Seconds.TALK: "talk",
            Seconds.WAIT: "wait * cnt"}


def _measures(field: InboundField, manual_sla: int) -> tuple[str, str]:
    """The count and sum of `field` over a group's rows, as SQL aggregates."""
    conditions = []
    if field.answered is not None:
        conditions.append(f"answered = {int(field.answered)}")
    if field.within_sla:
        conditions.append(f"wait <= {int(manual_sla)}")

    def counted(value: str) -> str:
        return f"CASE WHEN {' AND '.join(conditions)} THEN {value} ELSE 0 END" \
            if conditions else value

    seconds = _SECONDS[field.seconds] if field.seconds is not None else "0"
    return f"sum({counted('cnt')})", f"sum({counted(seconds)})"


def _inbound(fields: tuple[Field, ...]) -> list[InboundField]:
    found = [f for f in fields if isinstance(f, InboundField)]
    if len(found) != len(fields):
        raise ValueError("an inbound plan holds inbound fields only")
    return found


def queue_call_cells_sql(plan: Plan, dialect: Dialect, visible: str | None = None
                         ) -> Statement:
    """The statement of the inbound plan's cells (see `ccstats.pipeline.sql`).

    `visible` is a further condition on the table's rows, if a store needs one.
    """
    fields = _inbound(plan.fields)
    group = ", ".join(d.column for d in plan.group)
    aggregates = ", ".join(
        f"{dialect.int64(count)} AS c{f.field_id}, {dialect.int64(total)} AS s{f.field_id}"
        for f in fields for count, total in [_measures(f, plan.manual_sla)])

    def chosen(prefix: str) -> str:
        return "CASE " + " ".join(f"WHEN field_id = {f.field_id} THEN {prefix}{f.field_id}"
                                  for f in fields) + " END"

    first_minute, last_minute = plan.minutes
    text = f"""
    SELECT {group}, field_id, cnt, secs FROM (
        SELECT {group}, field_id, {chosen('c')} AS cnt, {chosen('s')} AS secs
        FROM (SELECT *, {dialect.each_of([f.field_id for f in fields])} AS field_id
              FROM (SELECT {group}, {aggregates}
                    FROM ({rows_sql(plan, dialect, visible)})
                    WHERE minute BETWEEN {first_minute} AND {last_minute}
                    GROUP BY {group})))
    WHERE cnt > 0"""
    return cells_statement(plan, dialect, text)
