"""Metrics 4a-4d and 4f: queries over HTTP against `ccstats serve` on the S store.

(a) a month by user, (b) about 90 days by project and date, (c) one user's day by
quarter-hour, (d) a month by project, user, date and hour, streamed, (f) many
clients with mixed month queries. The baselines (`bench_query_baselines`) answer
(a), (b) and (d) too.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import httpx

from bench_console import step
from bench_http import download, get, warm_up
from bench_load import mixed_load, percentile
from bench_plan import Bench
from bench_proc import Server
from bench_query_baselines import query_baselines
from bench_query_rows import query_rows
from bench_ranges import DateRange, QueryRanges, day, params, range_arg
from bench_results import MB


def queries(bench: Bench, store: Path, raw_db: Path) -> None:
    """Metrics 4a-4d and 4f on the S store, then the baselines, then the rows."""
    ranges = QueryRanges.draw(bench.plan, bench.rng)
    answers = {name: bench.scratch / f"{name}-ours.json" for name in ("a", "b")}
    server = bench.procs.serve(store, bench.scratch / "query-server.log")
    try:
        measured = measure(bench, server, ranges, answers)
    finally:
        bench.procs.stop(server)
    base, same = query_baselines(bench, store, raw_db, ranges, answers,
                                 measured["d"]["first_sha256"])
    measured["baselines"] = {**base, "answers_equal": same}
    query_rows(bench.results, bench.plan, measured, base, same)
    bench.results.data["queries"] = measured


def measure(bench: Bench, server: Server, ranges: QueryRanges,
            answers: dict[str, Path]) -> dict[str, Any]:
    """4a-4d from one client (the first answers of 4a and 4b kept in `answers`), then 4f."""
    days = bench.plan.days
    with server.client() as client:
        measured = {
            "a": _timed(client, ranges.months, "user", answers["a"],
                        f"4a: {len(ranges.months)} x a month (28-31 days), dimensions=user, "
                        "all KPIs"),
            "b": _timed(client, ranges.spans, "project,date", answers["b"],
                        f"4b: {len(ranges.spans)} x {days} days, dimensions=project,date"),
            "c": _day_by_quarter(bench, client),
            "d": _month_download(client, ranges.downloads),
        }
    p = bench.plan
    with step(f"4f: {p.load_clients} clients, mixed month queries for {p.load_seconds:g} s"):
        measured["f"] = mixed_load(server, p, bench.rng.randrange(1 << 30))
    return measured


def _timed(client: httpx.Client, items: list[DateRange], dims: str, answer: Path,
           what: str) -> dict[str, Any]:
    """One request per range; the first answer is written to `answer`."""
    with step(what):
        warm_up(client, *items[0])
        seconds = []
        for i, (first, last) in enumerate(items):
            took, body = get(client, params(first, last, dims))
            seconds.append(took)
            if i == 0:
                answer.write_bytes(body)
    return {"seconds": seconds, "p50_s": statistics.median(seconds),
            "p99_s": percentile(seconds, 99), "ranges": [range_arg(*r) for r in items],
            "bytes_first": answer.stat().st_size}


def _day_by_quarter(bench: Bench, client: httpx.Client) -> dict[str, Any]:
    p = bench.plan
    weekdays = [d for d in range(p.days) if day(d).weekday() < 5]
    with step(f"4c: {p.day_runs} x one user, one day, dimensions=time&interval=15"):
        warm_up(client, day(weekdays[0]), day(weekdays[0]))
        seconds, sizes = [], []
        for _ in range(p.day_runs):
            when = day(bench.rng.choice(weekdays))
            user = str(bench.rng.randint(1, p.agents))
            took, body = get(client, params(when, when, "time", interval="15", users=user))
            seconds.append(took)
            sizes.append(len(body))
    return {"seconds": seconds, "p50_s": statistics.median(seconds),
            "p99_s": percentile(seconds, 99), "median_bytes": statistics.median(sizes)}


def _month_download(client: httpx.Client, months: list[DateRange]) -> dict[str, Any]:
    dims = "project,user,date,time"
    with step(f"4d: {len(months)} x a month, dimensions={dims} (streamed, discarded)"):
        warm_up(client, *months[0])
        runs = [download(client, params(first, last, dims)) for first, last in months]
        check = download(client, params(*months[0], dims), digest=True)  # untimed
    mb_s = [r.size / r.seconds / MB for r in runs]
    return {
        "seconds": [r.seconds for r in runs], "ttfb_s": [r.ttfb for r in runs],
        "bytes": [r.size for r in runs], "mb_per_s": mb_s,
        "median_s": statistics.median(r.seconds for r in runs),
        "median_ttfb_s": statistics.median(r.ttfb for r in runs),
        "median_mb_per_s": statistics.median(mb_s),
        "median_bytes": statistics.median(r.size for r in runs),
        "first_sha256": check.sha256, "ranges": [range_arg(*m) for m in months],
    }
