"""Metric 7c: a prune through the server against DuckDB's DELETE of the same events (see
`bench_operations`)."""

from __future__ import annotations

import datetime as dt
import re
import statistics
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from bench_console import say
from bench_data import TIMEZONE
from bench_metrics import PRUNE_VS_DELETE
from bench_operator import Operator, command, request_ms, serve
from bench_plan import Bench
from bench_proc import CUSTOMER, BenchmarkError, run_json
from bench_ranges import day
from bench_results import Row, faster, ms
from bench_stores import copy_db, remove_db

HERE = Path(__file__).resolve().parent
OPS_BASELINES = HERE / "bench_ops_baselines.py"
#: The days of S that the retention removes.
PRUNED_DAYS = 30


def prune(bench: Bench, op: Operator, db_store: Path, raw_db: Path) -> bool:
    """Each run on a fresh copy of the S store and of the normalised events; True when
    ours and DuckDB removed as many events."""
    zone = ZoneInfo(TIMEZONE)
    kept_from = day(PRUNED_DAYS)
    keep_days = (dt.datetime.now(zone).date() - kept_from).days
    cutoff = int(dt.datetime.combine(kept_from, dt.time(0), tzinfo=zone).timestamp())
    said_re = re.compile(rf"{CUSTOMER}: kept from {kept_from} \({keep_days} days\), "
                         r"(\d+) events removed")
    store, raw_copy = bench.scratch / "ops-prune.duckdb", bench.scratch / "ops-prune-raw.duckdb"
    ours_s: list[float] = []
    walls: list[float] = []
    base: list[dict[str, object]] = []
    removed = 0
    for i in range(bench.plan.ops_runs):
        copy_db(db_store, store)
        server = serve(bench, op, store, "ops-prune")
        try:
            command(op, server, ["customer", "set", CUSTOMER, "--keep-days", str(keep_days)])
            timing, said = command(op, server, ["prune", "--customer", CUSTOMER])
            ours_s.append(request_ms(server, "POST", "/v2/operator/prune") / 1000)
        finally:
            bench.procs.stop(server)
        walls.append(timing.wall)
        found = said_re.search(said)
        if found is None:
            raise BenchmarkError(f"ccstats prune said {said.strip()[-300:]!r}, expected "
                                 f"kept from {kept_from} ({keep_days} days)")
        removed = int(found[1])
        copy_db(raw_db, raw_copy)
        base.append(run_json([sys.executable, str(OPS_BASELINES), "prune", str(raw_copy),
                              "--cutoff", str(cutoff)], "DuckDB DELETE baseline"))
        say(f"run {i + 1}/{bench.plan.ops_runs}: prune {ours_s[-1]:.3f} s on the server "
            f"(command {walls[-1]:.2f} s), DuckDB DELETE {float(str(base[-1]['seconds'])):.3f} s")
    remove_db(store)
    remove_db(raw_copy)
    deleted = int(str(base[-1]["deleted"]))
    o = statistics.median(ours_s)
    b = statistics.median(float(str(r["seconds"])) for r in base)
    bench.results.add(Row(
        "ops.prune.time",
        f"7c prune --server: S's first {PRUNED_DAYS} days ({removed / 1e6:.2f}M events)",
        f"{ms(o)} (command {statistics.median(walls):.2f} s)", f"DuckDB DELETE {ms(b)}",
        faster(o, b), f"<= {PRUNE_VS_DELETE:g}x DuckDB DELETE", o <= PRUNE_VS_DELETE * b))
    bench.results.data["operations"]["prune"] = {
        "kept_from": str(kept_from), "keep_days": keep_days, "cutoff": cutoff,
        "removed": removed, "duckdb_deleted": deleted, "server_s": ours_s, "command_s": walls,
        "duckdb_delete_s": [r["seconds"] for r in base], "server_median_s": o,
        "duckdb_delete_median_s": b,
    }
    return removed == deleted
