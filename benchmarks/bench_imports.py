"""Metrics 1 and 2: `ccstats import` of S into an empty store, and of more events into
the S store, each against DuckDB's read_json of the same file."""

from __future__ import annotations

import statistics
from pathlib import Path

from bench_console import say
from bench_data import Dataset, replaced_days
from bench_metrics import IMPORT_MORE_RATE, IMPORT_RATE, IMPORT_VS_READ_JSON
from bench_plan import Bench
from bench_proc import Timing
from bench_results import MB, Results, Row, faster, rate
from bench_stores import ccstats_import, copy_db, create_customer, read_json, remove_db


def import_s(bench: Bench, main: Dataset) -> tuple[Path, Path]:
    """Metric 1; returns the S store of the last run and the last read_json database."""
    store, base_db = bench.scratch / "s.duckdb", bench.scratch / "raw.duckdb"
    ours: list[Timing] = []
    base: list[Timing] = []
    runs = bench.plan.import_runs
    for i in range(runs):
        base.append(read_json(main, base_db))
        remove_db(store)
        create_customer(store)
        ours.append(ccstats_import(main, store))
        say(f"run {i + 1}/{runs}: ccstats import {ours[-1].wall:.1f} s "
            f"(CPU {ours[-1].cpu:.1f} s), read_json {base[-1].wall:.1f} s "
            f"(CPU {base[-1].cpu:.1f} s)")
    _import_s_rows(bench.results, main, ours, base)
    bench.results.data["import_s"]["store_bytes"] = store.stat().st_size
    return store, base_db


def _import_s_rows(results: Results, main: Dataset, ours: list[Timing],
                   base: list[Timing]) -> None:
    o = statistics.median(t.wall for t in ours)
    b = statistics.median(t.wall for t in base)
    o_cpu = statistics.median(t.cpu for t in ours)
    b_cpu = statistics.median(t.cpu for t in base)
    label = f"1 import S ({main.events / 1e6:.2f}M ev, {main.bytes / MB:,.0f} MB): rate"
    results.add(Row("import.S.rate", label, rate(main.events, o), rate(main.events, b),
                    faster(o, b), f">= {IMPORT_RATE:,} ev/s", main.events / o >= IMPORT_RATE))
    results.add(Row("import.S.time", "1 import S: time vs read_json",
                    f"{o:.1f} s (CPU {o_cpu:.1f} s)", f"{b:.1f} s (CPU {b_cpu:.1f} s)",
                    faster(o, b), f"<= {IMPORT_VS_READ_JSON:g}x read_json",
                    o / b <= IMPORT_VS_READ_JSON))
    results.data["import_s"] = {
        "events": main.events, "file_bytes": main.bytes,
        "ours_s": [t.wall for t in ours], "ours_cpu_s": [t.cpu for t in ours],
        "read_json_s": [t.wall for t in base], "read_json_cpu_s": [t.cpu for t in base],
        "ours_median_s": o, "read_json_median_s": b, "ours_events_per_s": main.events / o,
        "read_json_events_per_s": main.events / b, "ours_over_read_json": o / b,
    }


def import_more(bench: Bench, store: Path, extra: Dataset, new: Dataset) -> None:
    """Metric 2: the new days and the replaced ones into copies of the S store."""
    copy, base_db = bench.scratch / "more.duckdb", bench.scratch / "more-raw.duckdb"
    ours: list[Timing] = []
    base: list[Timing] = []
    runs = bench.plan.import_runs
    for i in range(runs):
        base.append(read_json(extra, base_db))
        copy_db(store, copy)
        ours.append(ccstats_import(extra, copy))
        say(f"run {i + 1}/{runs}: ccstats import {ours[-1].wall:.1f} s, "
            f"read_json {base[-1].wall:.1f} s")
    remove_db(copy)
    remove_db(base_db)
    o = statistics.median(t.wall for t in ours)
    b = statistics.median(t.wall for t in base)
    replaced = extra.events - new.events
    bench.results.add(Row(
        "import.more.rate",
        f"2 import {extra.events / 1e6:.2f}M more into S ({replaced / 1e6:.2f}M replace)",
        rate(extra.events, o), rate(extra.events, b), faster(o, b),
        f">= {IMPORT_MORE_RATE:,} ev/s", extra.events / o >= IMPORT_MORE_RATE))
    days = replaced_days(bench.plan.days, bench.plan.replace_share)
    bench.results.data["import_more"] = {
        "events": extra.events, "new_events": new.events, "replacing_events": replaced,
        "replaced_days": [str(first) for first, _ in days],
        "ours_s": [t.wall for t in ours], "read_json_s": [t.wall for t in base],
        "ours_median_s": o, "read_json_median_s": b, "ours_events_per_s": extra.events / o,
        "read_json_events_per_s": extra.events / b,
    }
