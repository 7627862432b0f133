"""Baselines of metric 6.1 (real time), each run as a subprocess of `run.py`.

    python benchmarks/bench_realtime_baselines.py prepare DB FILE [FILE ...]
    python benchmarks/bench_realtime_baselines.py onlineusers DB --now N --names USERS \
        --runs 5 --out ANSWER
    python benchmarks/bench_realtime_baselines.py queues DB --now N --names QUEUES ...

``prepare`` makes ``t``, DuckDB's ``read_json`` of the NDJSON files (every event the
store holds), columns taken from every line. The queries read it as it is, timestamps
parsed as they go, by straightforward SQL written from realtime.md §2 at the fixed
epoch second ``--now``:

* ``onlineusers``: per user the latest (start, then id) open userstate that started
  within the last 24 hours, its latest such call and the queue of its latest such
  answered queue call; sorted by user.
* ``queues``: per queue the open queue calls of the last 24 hours and the closed ones
  that started on the customer's local date of ``now`` (Europe/Budapest), counted as
  the table of §2 says; ``serviceLevel`` and ``asa`` rounded as KPI values are.

Names are not in the events: they come from the API's ``/v2/users`` or ``/v2/queues``
answer saved in ``--names`` (untimed). The file holds each event id once, so the
baselines need no replacement of older versions. Each prints ``{"seconds": [...]}``
(``--runs`` runs at the same ``now``) as its last line and writes its answer to
``--out``, compared with ours byte for byte.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import orjson

from bench_baselines import TIMEZONE, TS_MACRO
from bench_queue_baselines import MANUAL_SLA, value

STALE_S = 86_400
READ_JSON = ("CREATE TABLE t AS SELECT * FROM read_json(?, format='newline_delimited', "
             "sample_size=-1, union_by_name=true)")

ONLINE_USERS = """
WITH open AS (
    SELECT id, type, userId AS user_id, projectId AS project_id, state, direction,
           queueId AS queue_id, ts("start") AS t_start, ts(answer) AS t_answer
    FROM t
    WHERE type IN ('userstate', 'call', 'queuecall') AND "end" IS NULL
      AND ts("start") >= $now - $stale
), states AS (
    SELECT * FROM open WHERE type = 'userstate'
    QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY t_start DESC, id DESC) = 1
), calls AS (
    SELECT * FROM open WHERE type = 'call'
    QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY t_start DESC, id DESC) = 1
), answering AS (
    SELECT * FROM open WHERE type = 'queuecall' AND t_answer IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY t_start DESC, id DESC) = 1
)
SELECT s.user_id, s.project_id, s.state, s.t_start, greatest($now - s.t_start, 0),
       c.direction, c.t_start, c.t_answer IS NOT NULL, q.queue_id
FROM states s
LEFT JOIN calls c USING (user_id)
LEFT JOIN answering q USING (user_id)
ORDER BY s.user_id
"""

QUEUES = """
WITH calls AS (
    SELECT id, queueId AS queue_id, projectId AS project_id, ts("start") AS t_start,
           ts(answer) AS t_answer, "end" IS NULL AS open
    FROM t WHERE type = 'queuecall'
), counted AS (
    SELECT * FROM calls
    WHERE (open AND t_start >= $now - $stale)
       OR (NOT open AND t_start >= $day_start AND t_start < $day_stop)
), latest AS (
    SELECT queue_id, project_id FROM counted
    QUALIFY row_number() OVER (PARTITION BY queue_id ORDER BY t_start DESC, id DESC) = 1
)
SELECT queue_id, any_value(l.project_id),
       count(*) FILTER (open AND t_answer IS NULL),
       greatest($now - min(t_start) FILTER (open AND t_answer IS NULL), 0),
       count(*) FILTER (open AND t_answer IS NOT NULL),
       count(*) FILTER (NOT open),
       count(*) FILTER (NOT open AND t_answer IS NOT NULL),
       count(*) FILTER (NOT open AND t_answer IS NULL),
       count(*) FILTER (NOT open AND t_answer - t_start <= $sla),
       coalesce(sum(t_answer - t_start) FILTER (NOT open), 0)
FROM counted JOIN latest l USING (queue_id)
GROUP BY queue_id ORDER BY queue_id
"""

Rows = Sequence[Sequence[Any]]


def iso(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_users(rows: Rows, names: dict[int, str]) -> bytes:
    records = [{"userId": u, "name": names[u], "projectId": p, "state": s, "since": iso(start),
                "stateDuration": int(took),
                "call": None if direction is None else {
                    "direction": direction, "since": iso(call), "answered": answered,
                    "queueId": queue}}
               for u, p, s, start, took, direction, call, answered, queue in rows]
    return orjson.dumps({"response": records, "errors": []})


def render_queues(rows: Rows, names: dict[int, str]) -> bytes:
    records = []
    for row in rows:
        queue, project, waiting, longest, talking, offered, answered, abandoned = row[:8]
        within, waited = int(row[8]), int(row[9])
        records.append({
            "queueId": queue, "name": names[queue], "projectId": project, "waiting": waiting,
            "longestWait": None if longest is None else int(longest), "talking": talking,
            "offered": offered, "answered": answered, "abandoned": abandoned,
            "serviceLevel": value(within, int(offered)),
            "asa": value(waited, int(answered))})
    return orjson.dumps({"response": records, "errors": []})


def _day(now: int) -> tuple[int, int]:
    """The first second of the local date of ``now`` and of the next one."""
    zone = ZoneInfo(TIMEZONE)
    today = dt.datetime.fromtimestamp(now, zone).date()
    first, after = (int(dt.datetime.combine(d, dt.time(), zone).timestamp())
                    for d in (today, today + dt.timedelta(days=1)))
    return first, after


Query = tuple[str, Callable[[int], dict[str, int]], Callable[[Rows, dict[int, str]], bytes], str]
QUERIES: dict[str, Query] = {
    "onlineusers": (ONLINE_USERS, lambda now: {"now": now, "stale": STALE_S}, render_users,
                    "userid"),
    "queues": (QUEUES, lambda now: {"now": now, "stale": STALE_S, "sla": MANUAL_SLA,
                                    "day_start": _day(now)[0], "day_stop": _day(now)[1]},
               render_queues, "queueid"),
}


def run(db: str, command: str, now: int, names_file: Path, runs: int,
        out: Path | None) -> dict[str, object]:
    sql, parameters, render, key = QUERIES[command]
    names = {int(r[key]): str(r["name"]) for r in json.loads(names_file.read_text())["response"]}
    con = duckdb.connect(db, read_only=True)
    con.execute(TS_MACRO)
    seconds = []
    for i in range(runs):
        began = time.perf_counter()
        body = render(con.execute(sql, parameters(now)).fetchall(), names)
        seconds.append(time.perf_counter() - began)
        if i == 0 and out is not None:
            out.write_bytes(body)
    con.close()
    return {"seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    prepare = sub.add_parser("prepare")
    prepare.add_argument("db")
    prepare.add_argument("files", nargs="+")
    for name in QUERIES:
        query = sub.add_parser(name)
        query.add_argument("db")
        query.add_argument("--now", type=int, required=True)
        query.add_argument("--names", type=Path, required=True)
        query.add_argument("--runs", type=int, default=5)
        query.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.command == "prepare":
        began = time.perf_counter()
        con = duckdb.connect(args.db)
        con.execute(READ_JSON, [args.files])
        rows = con.execute("SELECT count(*) FROM t").fetchone()
        con.close()
        print(json.dumps({"rows": rows[0] if rows else 0,
                          "seconds": time.perf_counter() - began}))
        return 0
    print(json.dumps(run(args.db, args.command, args.now, args.names, args.runs, args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
