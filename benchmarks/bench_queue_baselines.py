"""Baselines of metric 5 (queue calls), each run as a subprocess of `run.py`.

    python benchmarks/bench_queue_baselines.py inbound DB --range 20250203:20250302 ... --out A
    python benchmarks/bench_queue_baselines.py kpis DB --range ... --out ANSWER

``DB`` holds ``t``, DuckDB's ``read_json`` of the NDJSON file with queue calls (as
`bench_baselines.py read-json` makes it); both read it as it is, timestamps parsed as
the query reads them.

* ``inbound``: the inbound statistics by queue and date (queues-and-kpis.md §2, default
  ``manual_sla``) by straightforward SQL: every closed queue call of ``t`` whose local
  start date is in the range, its wait and talk from its timestamps, joined with a
  table of the six fields' rules (answered or not, within the SLA or not, which
  seconds its sum adds), grouped by queue, date and field; a field no call counted in
  is left out.
* ``kpis``: the userbased KPIs by user (queues-and-kpis.md §3, every userbased KPI in
  the order of the definitions): the userbased fields by user from the same SQL as
  `bench_baselines.py duckdb-query --source raw` (spans cut into hourly pieces),
  only the KPIs' base fields kept, then one more SQL adds each KPI's numerator and
  denominator from their terms. Python rounds the values (integer arithmetic, half
  away from zero, 4 decimals) and orjson writes the API's JSON.

Each runs ``--range`` (repeatable) one after another, prints ``{"seconds": [...],
"bytes": [...]}`` as its last line and writes the answer body of the first range to
``--out``, to be compared with ours byte for byte.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import orjson

from bench_baselines import TIMEZONE, TS_MACRO, query_sql, window
from ccstats.inbound import INBOUND_FIELDS
from ccstats.kpis import FORMULAS, KpiFormula, Linear, Measure, Source, base_fields

#: The default service-level threshold of the inbound statistics.
MANUAL_SLA = 30
#: Every userbased KPI, in the order of the definitions: what metric 5 asks for.
USER_KPIS: tuple[KpiFormula, ...] = tuple(f for f in FORMULAS if f.source is Source.USERBASED)
#: Decimal places of a KPI's value.
PLACES = 4

Rows = Sequence[Sequence[Any]]


def _inbound_rules() -> str:
    def answered(value: bool | None) -> str:
        return "NULL::BOOLEAN" if value is None else str(value).upper()

    rows = ", ".join(
        f"({f.field_id}, {position}, {answered(f.answered)}, {str(f.within_sla).upper()}, "
        f"{'NULL::VARCHAR' if f.seconds is None else repr(str(f.seconds))})"
        for position, f in enumerate(INBOUND_FIELDS))
    return f"(VALUES {rows}) AS r(field_id, position, answered, within_sla, seconds)"


def inbound_sql(first: dt.date, last: dt.date) -> str:
    """Rows ``(queue_id, day, field_id, cnt, secs)`` ordered as the answer's records."""
    lo, hi = window(first, last)
    return f"""
    WITH calls AS (
        SELECT queueId AS queue_id, ts("start") AS t_start, ts(answer) AS t_answer,
               ts("end") AS t_end
        FROM t WHERE type = 'queuecall'
    ), located AS (
        SELECT queue_id, t_answer IS NOT NULL AS answered,
               coalesce(t_answer, t_end) - t_start AS wait,
               coalesce(t_end - t_answer, 0) AS talk, t_end - t_start AS duration,
               timezone('{TIMEZONE}', to_timestamp(t_start))::DATE AS day
        FROM calls
        WHERE t_end IS NOT NULL AND t_start BETWEEN {lo} AND {hi}
    )
    SELECT queue_id, day, r.field_id, count(*) AS cnt,
           sum(CASE r.seconds WHEN 'duration' THEN duration WHEN 'talk' THEN talk
                              WHEN 'wait' THEN wait END) AS secs
    FROM located AS c JOIN {_inbound_rules()}
      ON (r.answered IS NULL OR r.answered = c.answered)
     AND (NOT r.within_sla OR c.wait <= {MANUAL_SLA})
    WHERE day BETWEEN DATE '{first}' AND DATE '{last}'
    GROUP BY queue_id, day, r.field_id, r.position
    ORDER BY queue_id, day, r.position
    """


def render_inbound(rows: Rows) -> bytes:
    """The API's JSON of the inbound statistics by queue and date."""
    fields = {f.field_id: f for f in INBOUND_FIELDS}
    records = []
    for (queue, day), group in itertools.groupby(rows, key=lambda row: (row[0], row[1])):
        data = [{"field": fields[row[2]].name, "count": int(row[3]),
                 "sum": int(row[4]) if fields[row[2]].has_sum else None} for row in group]
        records.append({"date": day.isoformat(), "queueId": queue, "data": data, "level": 1})
    return orjson.dumps({"response": records, "errors": []})


def _side(terms: Linear, field_ids: dict[str, int]) -> str:
    """A KPI's numerator or denominator as a sum over one user's field rows."""
    parts = [f"CASE WHEN field_id = {field_ids[term.field]} THEN {term.coefficient} * "
             f"{'cnt' if term.measure is Measure.COUNT else 'secs'} ELSE 0 END"
             for term in terms]
    return f"sum({' + '.join(parts)})::BIGINT"


def kpis_sql(first: dt.date, last: dt.date) -> str:
    """Rows ``(user_id, numerator 1, denominator 1, ...)`` by user, of `USER_KPIS`."""
    base = base_fields(USER_KPIS)
    field_ids = {f.name: f.field_id for f in base}
    sides = ", ".join(f"{_side(kpi.numerator, field_ids)}, {_side(kpi.denominator, field_ids)}"
                      for kpi in USER_KPIS)
    return f"""
    SELECT user_id, {sides}
    FROM ({query_sql(['user'], first, last, 'raw')})
    WHERE field_id IN ({', '.join(str(i) for i in field_ids.values())})
    GROUP BY user_id ORDER BY user_id
    """


def value(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator`` rounded to `PLACES` decimals, half away from zero."""
    if denominator == 0:
        return None
    scaled = (2 * numerator * 10**PLACES + denominator) // (2 * denominator)
    whole, fraction = divmod(scaled, 10**PLACES)
    return float(f"{whole}.{fraction:0{PLACES}d}")


def render_kpis(rows: Rows) -> bytes:
    """The API's JSON of the KPIs by user."""
    records = []
    for row in rows:
        kpis = [{"kpi": kpi.name, "value": value(int(row[1 + 2 * i]), int(row[2 + 2 * i])),
                 "numerator": int(row[1 + 2 * i]), "denominator": int(row[2 + 2 * i])}
                for i, kpi in enumerate(USER_KPIS)]
        records.append({"userId": row[0], "kpis": kpis, "level": 0})
    return orjson.dumps({"response": records, "errors": []})


QUERIES: dict[str, tuple[Callable[[dt.date, dt.date], str], Callable[[Rows], bytes]]] = {
    "inbound": (inbound_sql, render_inbound),
    "kpis": (kpis_sql, render_kpis),
}


def run(db: str, command: str, ranges: list[tuple[dt.date, dt.date]],
        out: Path | None) -> dict[str, object]:
    sql, render = QUERIES[command]
    con = duckdb.connect(db, read_only=True)
    con.execute(TS_MACRO)
    seconds, sizes = [], []
    for i, (first, last) in enumerate(ranges):
        began = time.perf_counter()
        body = render(con.execute(sql(first, last)).fetchall())
        seconds.append(time.perf_counter() - began)
        sizes.append(len(body))
        if i == 0 and out is not None:
            out.write_bytes(body)
    con.close()
    return {"seconds": seconds, "bytes": sizes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("command", choices=sorted(QUERIES))
    parser.add_argument("db")
    parser.add_argument("--range", action="append", required=True, help="yyyymmdd:yyyymmdd")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    ranges = [(dt.datetime.strptime(a, "%Y%m%d").date(), dt.datetime.strptime(b, "%Y%m%d").date())
              for a, b in (text.split(":") for text in args.range)]
    print(json.dumps(run(args.db, args.command, ranges, args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
