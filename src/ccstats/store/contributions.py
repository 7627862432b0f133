"""Events -> quarter-hour sums, as one set-based SQL statement (DuckDB dialect).

For every (event, KPI) pair the catalog selects, the KPI's span ``[a, b)`` is cut
at UTC quarter-hours (``qh = epoch // 900``):

- the quarter-hour of ``a`` receives the count (1) and the seconds of ``[a, b)``
  inside it (0 for a zero-length span, which still makes the field present);
- for KPIs with a sum, each further quarter-hour that ``[a, b)`` overlaps receives
  the overlapping seconds (always > 0) and no count.

Every piece adds one *hit*; a field is present in a bucket while its hits are
above zero. Withdrawing an event adds the same rows negated, so sums can be
kept as an append-only log of deltas and merged by ``SUM``.
"""

from __future__ import annotations

from ccstats.buckets import QUARTER
from ccstats.catalog import CATALOG, Span
from ccstats.events import SUBTYPES


def rules_relation() -> str:
    """The catalog's selection rules as a VALUES relation keyed by the exact
    ``(type, subtype, answered)`` of an event.

    A rule that takes any sub-type or either answer is listed once for each, so
    that events join it on plain equality (a chat's missing sub-type as ``''``).
    """
    rows: list[str] = []
    for kpi in CATALOG:
        named = SUBTYPES[kpi.event_type]
        subtypes = [kpi.subtype] if kpi.subtype else list(named[1]) if named else [""]
        answers = [kpi.answered] if kpi.answered is not None else [True, False]
        rows.extend(
            f"({kpi.field_id}, '{kpi.event_type}', '{subtype}', {str(answered).upper()}, "
            f"'{kpi.span}', {str(kpi.has_sum).upper()})"
            for subtype in subtypes for answered in answers
        )
    return (
        "(VALUES " + ", ".join(rows) + ") AS r(field_id, type, subtype, answered, span, "
        "has_sum)"
    )


def spans_sql(events: str) -> str:
    """``(project_id, user_id, field_id, a, b, has_sum)`` of every KPI each event feeds
    (an open interval, whose ``t_end`` is null, feeds none)."""
    return f"""
    SELECT e.project_id, e.user_id, r.field_id::SMALLINT AS field_id, r.has_sum,
           CASE WHEN r.span = '{Span.ANSWER_END}' THEN e.t_answer ELSE e.t_start END AS a,
           CASE WHEN r.has_sum THEN e.t_end
                WHEN r.span = '{Span.ANSWER_END}' THEN e.t_answer ELSE e.t_start END AS b
    FROM {events} AS e
    JOIN {rules_relation()}
      ON e.type = r.type AND coalesce(e.subtype, '') = r.subtype
     AND (e.t_answer IS NOT NULL) = r.answered
    WHERE e.t_end IS NOT NULL
    """


def sums_sql(events: str, sign: int = 1) -> str:
    """Quarter-hour sum rows (project_id, user_id, qh, field_id, cnt, secs, hits) of `events`.

    `events` is a relation of normalized events; `sign` is -1 to withdraw them.
    There is one row per piece, not one per key: the sums are merged by ``SUM``
    wherever they are read, and a batch's pieces rarely share a key (about one
    in ten at scale S), so grouping them here would cost more than it saves.
    """
    q = QUARTER
    return f"""
    WITH spans AS ({spans_sql(events)}),
    pieces AS (
        SELECT project_id, user_id, field_id, (a // {q})::INTEGER AS qh, 1 AS cnt,
               least(b, (a // {q} + 1) * {q}) - a AS secs
        FROM spans
        UNION ALL
        SELECT project_id, user_id, field_id, q::INTEGER AS qh, 0 AS cnt,
               least(b, (q + 1) * {q}) - q * {q} AS secs
        FROM (SELECT *, unnest(range(a // {q} + 1, (b - 1) // {q} + 1)) AS q
              FROM spans WHERE has_sum AND b > (a // {q} + 1) * {q})
    )
    SELECT project_id, user_id, qh, field_id,
           ({sign} * cnt)::BIGINT AS cnt, ({sign} * secs)::BIGINT AS secs, {sign}::BIGINT AS hits
    FROM pieces
    """
