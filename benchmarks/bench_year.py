"""Metric 4e: a year of hourly records from a store of its own, and the server's memory
while it streams them."""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from bench_console import say, step
from bench_data import START, Dataset
from bench_http import download, warm_up
from bench_metrics import YEAR_MIN_MB, YEAR_RSS_MB
from bench_plan import Bench
from bench_proc import RssSampler, Server, rss_bytes
from bench_ranges import params
from bench_results import MB, Results, Row
from bench_stores import ccstats_import, create_customer, remove_db

DIMENSIONS = "project,user,date,time"


def year(bench: Bench, data: Dataset) -> None:
    """Import the year store, stream the year `year_runs` times, add the rows."""
    store = bench.scratch / "year.duckdb"
    with step(f"4e: year store: import {data.events:,} events ({data.bytes / MB:,.0f} MB)"):
        remove_db(store)
        create_customer(store)
        timing = ccstats_import(data, store)
    say(f"imported in {timing.wall:.1f} s ({data.events / timing.wall:,.0f} ev/s)")
    server = bench.procs.serve(store, bench.scratch / "year-server.log")
    try:
        runs = _stream(bench, server)
    finally:
        bench.procs.stop(server)
    remove_db(store)
    _rows(bench.results, bench.plan.mode == "quick", data.agents, runs)
    bench.results.data["year"] = {
        "events": data.events, "agents": data.agents, "days": bench.plan.year_days,
        "import_s": timing.wall, "import_events_per_s": data.events / timing.wall,
        "runs": runs, "median_growth_bytes": statistics.median(r["growth"] for r in runs),
        "median_answer_bytes": statistics.median(r["bytes"] for r in runs),
    }


def _stream(bench: Bench, server: Server) -> list[dict[str, float]]:
    """Each run's answer size and time, and the server's RSS before and at its peak."""
    p = bench.plan
    first, last = START, START + dt.timedelta(days=p.year_days - 1)
    runs: list[dict[str, float]] = []
    with server.client(timeout=600.0) as client, \
            step(f"4e: {p.year_runs} x {p.year_days} days, dimensions={DIMENSIONS}, "
                 "RSS sampled every 50 ms"):
        warm_up(client, first, first)
        for i in range(p.year_runs):
            # vary the range by a day so that no run repeats the previous one
            query = params(first, last - dt.timedelta(days=i % 2), DIMENSIONS)
            before = rss_bytes(server.pid)
            with RssSampler(server.pid) as sampler:
                got = download(client, query)
            runs.append({"rss_before": before, "rss_peak": sampler.peak,
                         "growth": sampler.peak - before, "bytes": got.size,
                         "seconds": got.seconds, "ttfb_s": got.ttfb, "samples": sampler.samples})
            say(f"run {i + 1}/{p.year_runs}: {got.size / MB:,.0f} MB in {got.seconds:.1f} s, "
                f"RSS {before / MB:,.0f} -> {sampler.peak / MB:,.0f} MB")
    return runs


def _rows(results: Results, quick: bool, agents: int, runs: list[dict[str, Any]]) -> None:
    """The answer's size (a target in full mode only: too few agents in quick mode for
    it) and the server's RSS growth."""
    growth = statistics.median(r["growth"] for r in runs) / MB
    first_growth = runs[0]["growth"] / MB
    size = statistics.median(r["bytes"] for r in runs) / MB
    secs = statistics.median(r["seconds"] for r in runs)
    results.add(Row("query.4e.size", f"4e year, dims=p,u,d,t ({agents} agents): answer size",
                    f"{size:,.0f} MB ({size / secs:,.0f} MB/s)", "", "",
                    f">= {YEAR_MIN_MB:g} MB" + (" (full mode)" if quick else ""),
                    None if quick else size >= YEAR_MIN_MB))
    said = f"{growth:,.0f} MB" + (f" (1st run {first_growth:,.0f} MB)" if len(runs) > 1 else "")
    results.add(Row("query.4e.rss", "4e server RSS growth while streaming it (median)", said,
                    "", "", f"<= {YEAR_RSS_MB:g} MB", growth <= YEAR_RSS_MB))
