"""Metric 5: S with queue calls (the same file as S, plus each day's ``queuecall`` events).

* Import: `ccstats import` of S with queue calls and of S without them into empty
  stores, alternately, events per second of each (the file without them is the
  baseline: queue calls must not slow the import down).
* Queries over HTTP against `ccstats serve` on the store with queue calls: a month of
  inbound statistics by queue and date, and a month of every userbased KPI by user.
  Baselines (`bench_queue_baselines.py`): straightforward DuckDB SQL over the
  ``read_json`` table of the same file; their first answers are compared with ours
  byte for byte.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any

import httpx

from bench_console import say, step
from bench_data import Dataset
from bench_http import get, warm_up
from bench_load import percentile
from bench_metrics import IMPORT_QUEUES_VS_S, INBOUND_P50_MS, KPIS_P50_MS
from bench_plan import Bench
from bench_proc import Timing, run_json
from bench_queue_baselines import USER_KPIS
from bench_ranges import DateRange, month_ranges, params, range_arg
from bench_results import Row, faster, ms, rate
from bench_stores import ccstats_import, create_customer, read_json, remove_db, same_file

HERE = Path(__file__).resolve().parent
QUEUE_BASELINES = HERE / "bench_queue_baselines.py"
INBOUND = "/v2/statistics/inbound"
KPIS = "/v2/statistics/kpis"


def queue_calls(bench: Bench, main: Dataset, queued: Dataset) -> None:
    """Metric 5: the imports, then the queries and their baselines."""
    store = import_both(bench, main, queued)
    raw_db = bench.scratch / "queues-raw.duckdb"
    with step("queue calls: DuckDB read_json of the file for the baselines (untimed)"):
        read_json(queued, raw_db, sample_all=True)
    months = month_ranges(bench.plan.month_runs, bench.plan.days, bench.rng)
    queries = {
        "inbound": (INBOUND, "queue,date", {}),
        "kpis": (KPIS, "user", {"kpis": ",".join(k.name for k in USER_KPIS)}),
    }
    server = bench.procs.serve(store, bench.scratch / "queues-server.log")
    try:
        with server.client() as client:
            warm_up(client, *months[0])
            measured = {name: _months(bench, client, path, dims, extra, months, name)
                        for name, (path, dims, extra) in queries.items()}
    finally:
        bench.procs.stop(server)
    for name in queries:
        measured[name]["baseline"] = _baseline(bench, name, raw_db, months)
        measured[name]["answers_equal"] = same_file(_answer(bench, name, "ours"),
                                                    _answer(bench, name, "base"))
    remove_db(raw_db)
    _query_rows(bench, measured)
    bench.results.data["queue_calls"].update(measured)


def import_both(bench: Bench, main: Dataset, queued: Dataset) -> Path:
    """`ccstats import` of S without, then with queue calls, alternately; returns the store
    with queue calls of the last run."""
    plain, store = bench.scratch / "s-plain.duckdb", bench.scratch / "s-queues.duckdb"
    ours: list[Timing] = []
    base: list[Timing] = []
    runs = bench.plan.import_runs
    with step(f"5: import S without and with queue calls, {runs} runs each"):
        for i in range(runs):
            for db, timings, data in ((plain, base, main), (store, ours, queued)):
                remove_db(db)
                create_customer(db)
                timings.append(ccstats_import(data, db))
            say(f"run {i + 1}/{runs}: with queue calls {ours[-1].wall:.1f} s "
                f"(CPU {ours[-1].cpu:.1f} s), without {base[-1].wall:.1f} s "
                f"(CPU {base[-1].cpu:.1f} s)")
    remove_db(plain)
    _import_row(bench, main, queued, ours, base)
    return store


def _import_row(bench: Bench, main: Dataset, queued: Dataset, ours: list[Timing],
                base: list[Timing]) -> None:
    o = statistics.median(t.wall for t in ours)
    b = statistics.median(t.wall for t in base)
    o_cpu = statistics.median(t.cpu for t in ours)
    b_cpu = statistics.median(t.cpu for t in base)
    o_rate, b_rate = queued.events / o, main.events / b
    added = queued.events - main.events
    bench.results.add(Row(
        "import.queues.rate",
        f"5 import S with queue calls ({queued.events / 1e6:.2f}M ev, {added / 1e6:.2f}M "
        "queue calls): rate",
        f"{rate(queued.events, o)} ({o:.1f} s, CPU {o_cpu:.1f} s)",
        f"without {rate(main.events, b)} ({b:.1f} s, CPU {b_cpu:.1f} s)",
        faster(o / queued.events, b / main.events),
        f">= {IMPORT_QUEUES_VS_S:g}x the rate without", o_rate >= IMPORT_QUEUES_VS_S * b_rate))
    bench.results.data["queue_calls"] = {"import": {
        "events": queued.events, "queue_calls": added, "file_bytes": queued.bytes,
        "events_without": main.events,
        "ours_s": [t.wall for t in ours], "ours_cpu_s": [t.cpu for t in ours],
        "without_s": [t.wall for t in base], "without_cpu_s": [t.cpu for t in base],
        "ours_median_s": o, "without_median_s": b, "ours_events_per_s": o_rate,
        "without_events_per_s": b_rate, "rate_over_rate_without": o_rate / b_rate,
        "time_over_time_without": o / b,
        "cpu_per_event_over_without": (o_cpu / queued.events) / (b_cpu / main.events),
    }}


def _answer(bench: Bench, name: str, whose: str) -> Path:
    return bench.scratch / f"{name}-{whose}.json"


def _months(bench: Bench, client: httpx.Client, path: str, dims: str, extra: dict[str, str],
            months: list[DateRange], name: str) -> dict[str, Any]:
    """One request per month (after an untimed one); the first answer is kept."""
    with step(f"5: {len(months)} x a month of GET {path}, dimensions={dims}"):
        get(client, {**params(*months[0], dims), **extra}, path)
        seconds = []
        for i, (first, last) in enumerate(months):
            took, body = get(client, {**params(first, last, dims), **extra}, path)
            seconds.append(took)
            if i == 0:
                _answer(bench, name, "ours").write_bytes(body)
    return {"seconds": seconds, "p50_s": statistics.median(seconds),
            "p99_s": percentile(seconds, 99), "ranges": [range_arg(*m) for m in months],
            "bytes_first": _answer(bench, name, "ours").stat().st_size}


def _baseline(bench: Bench, name: str, raw_db: Path, months: list[DateRange]
              ) -> dict[str, Any]:
    runs = bench.plan.baseline_runs
    ranges = [arg for m in months[:runs] for arg in ("--range", range_arg(*m))]
    with step(f"5: {name} baseline: DuckDB SQL over the read_json table, {runs} runs"):
        return run_json([sys.executable, str(QUEUE_BASELINES), name, str(raw_db), *ranges,
                         "--out", str(_answer(bench, name, "base"))], f"{name} baseline")


def _query_rows(bench: Bench, measured: dict[str, dict[str, Any]]) -> None:
    labels = {"inbound": ("query.inbound.p50", "5 inbound month, dims=queue,date: p50",
                          INBOUND_P50_MS),
              "kpis": ("query.kpis.p50", f"5 KPIs month ({len(USER_KPIS)} userbased), "
                       "dims=user: p50", KPIS_P50_MS)}
    for name, (metric, label, target) in labels.items():
        p50 = measured[name]["p50_s"]
        base = statistics.median(measured[name]["baseline"]["seconds"])
        bench.results.add(Row(metric, label, ms(p50), f"DuckDB {ms(base)}", faster(p50, base),
                              f"<= {target:g} ms", p50 * 1000 <= target))
    same = {name: bool(measured[name]["answers_equal"]) for name in labels}
    bench.results.add(Row("answers.queues.identical",
                          "5 baseline answers byte-identical to ours",
                          ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in same.items()),
                          "", "", "all equal", all(same.values())))
