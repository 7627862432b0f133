"""Metric 7c: a prune through the server against DuckDB's DELETE of the same events, and
a user's erasure (the file rewritten) against `cp` + fsync of the file (see
`bench_operations`)."""

from __future__ import annotations

import datetime as dt
import re
import statistics
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from bench_console import say
from bench_data import TIMEZONE
from bench_metrics import PRUNE_VS_DELETE
from bench_operator import Operator, command, request_ms, serve
from bench_plan import Bench
from bench_proc import CCSTATS, CUSTOMER, BenchmarkError, run, run_json
from bench_ranges import day
from bench_results import MB, Row, faster, ms
from bench_stores import copy_db, cp_synced, remove_db

HERE = Path(__file__).resolve().parent
OPS_BASELINES = HERE / "bench_ops_baselines.py"
#: The days of S that the retention removes.
PRUNED_DAYS = 30
#: The agent erased: the demo's agents are users 1 .. agents.
ERASED_USER = 1


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


def erase(bench: Bench, db_store: Path, raw_db: Path, import_db_s: float) -> bool:
    """`ccstats user erase --db` on fresh copies of the S store, and `cp` + fsync of its
    file; True when as many events went as the normalised table holds of the user."""
    store = bench.scratch / "ops-erase.duckdb"
    said_re = re.compile(rf"erased user {ERASED_USER} \(.*\) of {CUSTOMER}: (\d+) events")
    walls: list[float] = []
    copies: list[float] = []
    erased, size = 0, 0
    for i in range(bench.plan.ops_runs):
        copy_db(db_store, store)
        timing, said = run([str(CCSTATS), "user", "erase", str(ERASED_USER), "--customer",
                            CUSTOMER, "--db", str(store)], "ccstats user erase")
        found = said_re.search(said)
        if found is None or "no file of the database holds them any more" not in said:
            raise BenchmarkError(f"ccstats user erase said {said.strip()[-300:]!r}")
        erased, size = int(found[1]), store.stat().st_size
        walls.append(timing.wall)
        copies.append(cp_synced(db_store, bench.scratch / "ops-cp.duckdb").synced)
        say(f"run {i + 1}/{bench.plan.ops_runs}: user erase {walls[-1]:.2f} s, "
            f"cp + fsync {copies[-1]:.3f} s")
    remove_db(store)
    with duckdb.connect(str(raw_db), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM ev WHERE user_id = ?", [ERASED_USER]).fetchone()
    expected = int(row[0]) if row else -1
    o, b = statistics.median(walls), statistics.median(copies)
    source = db_store.stat().st_size
    bench.results.add(Row(
        "ops.erase.time",
        f"7c user erase --db: an agent ({erased:,} events), {source / MB:,.1f} MB rewritten",
        f"{o:.2f} s", f"cp + fsync {ms(b)}", faster(o, b),
        f"<= import --db of S ({import_db_s:.1f} s)", o <= import_db_s))
    bench.results.data["operations"]["erase"] = {
        "user": ERASED_USER, "erased": erased, "duckdb_events": expected,
        "store_bytes": source, "rewritten_bytes": size, "command_s": walls,
        "cp_fsync_s": copies, "command_median_s": o, "cp_fsync_median_s": b,
        "import_db_median_s": import_db_s,
    }
    return erased == expected
