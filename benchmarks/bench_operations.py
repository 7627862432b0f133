"""Metric 7: operations on a running server (import, backup, retention, erasure), each
against the plain way of doing the same work.

The servers run with the operator routes (`--operator-key-file`, a key made for the
run) and no scheduled prune; the commands are the CLI's, timed from start to end as
an operator waits for them (Python's start included, about half a second).

* 7a (here): `ccstats import S --server URL` into an empty store against
  `ccstats import S --db` into an empty store, alternately, events per second of
  each. Target: at least 0.8x the rate of `--db`. Through the server the file is
  also read and sent over loopback HTTP in 8 MiB parts and written to the spool
  beside the store (one more read and write of the NDJSON, a few percent of the
  import's time), and the command's progress follows the server; a fifth of the time
  leaves room for that on a loaded machine, while a slower path would mean the
  upload, not the import, sets the pace. Answers: the two imports' reports
  (``stored N events from M lines``) and a month by user over HTTP from each store
  are compared byte for byte, and a backup of the server's store counts S's events.
* 7b (`bench_ops_backup`): `ccstats backup DEST --server URL` of that store (the
  server's own seconds, from its answer: checkpoint, copy, a check that the copy
  opens, fsync, rename) against `cp` of the same file, checkpointed, plus an fsync
  of the copy (a backup must survive a crash; `cp` alone is recorded too).
  Target: within 2x. Then a batch of ``POST /v2/events`` sent just after a backup
  began against the same batch without a backup: the write lock is held for the
  checkpoint and the copy, so the batch waits; target: at most the backup's time more.
* 7c (`bench_ops_removal`, `bench_ops_erasure`): on copies of the S store made by `--db`:
  `ccstats prune --server` with a retention that keeps S's last 60 of 90 days (the
  server's own time of the request, from its access log; the command's wall time
  beside it) against DuckDB's ``DELETE`` of the same events (ended before the
  cutoff) from a copy of S's events normalised (`bench_baselines.py prepare`: the
  ``read_json`` table, one row per event, epoch-second timestamps; the strongest
  reasonable form of the raw events), timed in its process (`bench_ops_baselines`).
  Ours deletes the same events from its events table and also the sums rows before
  the cutoff (quarter-hours, hours, days) in the same transaction; target: within 2x.
  And `ccstats user erase ID --db` of one agent, whose cost is the file's rewrite,
  against `cp` + fsync of the store's file: the rewrite cannot be faster than
  writing the bytes once; target: no longer than `import --db` of S in this run
  (docs/operations.md says the rewrite takes about as long as copying the data
  into a new store). The events pruned and erased are counted against DuckDB's.
  Then (`bench_ops_erasure`) `ccstats user erase ID --server` on a served copy, with
  7a's month by user sent one after another from the command's start to its end (the
  one that comes while the server rewrites its file waits for the rewrite); the
  longest of them against the same request alone; target: it waits no longer than the
  erasure takes, and the file holds no byte of the name.
"""

from __future__ import annotations

import re
import statistics
import sys
from pathlib import Path
from typing import Any

from bench_console import say, step
from bench_data import Dataset
from bench_http import get
from bench_metrics import OPS_IMPORT_VS_DB
from bench_operator import Operator, operator, serve
from bench_ops_backup import backups, post_during_backup
from bench_ops_erasure import erase, erase_through_server
from bench_ops_removal import prune
from bench_plan import Bench
from bench_proc import CCSTATS, CUSTOMER, BenchmarkError, Server, Timing, run, run_json
from bench_ranges import month_ranges, params
from bench_results import MB, Row, faster, rate
from bench_stores import BASELINES, create_customer, read_json, remove_db

REPORT = re.compile(r"stored \d+ events from \d+ lines")


def operations(bench: Bench, main: Dataset, after: Dataset) -> None:
    """Metric 7 on S; `after`: new events (the days after S) for the POSTs of 7b."""
    op = operator(bench.scratch)
    db_store = bench.scratch / "ops-db.duckdb"
    server_store = bench.scratch / "ops-server.duckdb"
    raw_db = bench.scratch / "ops-raw.duckdb"
    checks: dict[str, bool] = {}
    with step(f"7a: import S, {bench.plan.import_runs} runs each (--server, --db)"):
        server, reports = import_both(bench, op, main, db_store, server_store)
    checks["report"] = reports[0] == reports[1]
    try:
        with step("7a: a month by user from each store"):
            checks["answer"] = same_answer(bench, server, db_store)
        with step(f"7b: backup --server of the S store, {bench.plan.ops_runs} runs; cp"):
            checks["backup events"] = backups(bench, op, server, server_store) == main.events
        with step(f"7b: POST /v2/events while a backup runs, {bench.plan.backup_posts} runs"):
            post_during_backup(bench, op, server, after)
    finally:
        bench.procs.stop(server)
    remove_db(server_store)
    with step("7c: DuckDB read_json of S, normalised, for the baselines (untimed)"):
        read_json(main, raw_db)
        run_json([sys.executable, str(BASELINES), "prepare", str(raw_db)], "baseline prepare")
    with step(f"7c: prune S's first 30 days, {bench.plan.ops_runs} runs; DuckDB DELETE"):
        checks["pruned"] = prune(bench, op, db_store, raw_db)
    with step(f"7c: erase an agent (file rewritten), {bench.plan.ops_runs} runs; cp"):
        checks["erased"] = erase(bench, db_store, raw_db,
                                 bench.results.data["operations"]["import"]["db_median_s"])
    with step(f"7c: erase an agent through the server, a query meanwhile, "
              f"{bench.plan.ops_runs} runs"):
        checks["erased on the server"] = erase_through_server(
            bench, op, db_store, bench.results.data["operations"]["answer"]["query"])
    remove_db(raw_db)
    remove_db(db_store)
    bench.results.data["operations"]["checks"] = checks
    bench.results.add(Row("answers.ops.identical",
                          "7 import --server = --db; prune, erase counts = DuckDB's; no name left",
                          ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in checks.items()),
                          "", "", "all equal", all(checks.values())))


def import_both(bench: Bench, op: Operator, main: Dataset, db_store: Path,
                server_store: Path) -> tuple[Server, tuple[str, str]]:
    """7a; returns the server on the store of the last `--server` run (running), and the
    reports of the last run of each."""
    ours: list[Timing] = []
    base: list[Timing] = []
    runs = bench.plan.import_runs
    server: Server | None = None
    reports = ("", "")
    for i in range(runs):
        remove_db(db_store)
        create_customer(db_store)
        timing, db_report = _import(main, ["--db", str(db_store)])
        base.append(timing)
        if server is not None:
            bench.procs.stop(server)
        remove_db(server_store)
        create_customer(server_store)
        server = serve(bench, op, server_store, "ops")
        timing, server_report = _import(main, ["--server", server.url], op)
        ours.append(timing)
        reports = (server_report, db_report)
        say(f"run {i + 1}/{runs}: --server {ours[-1].wall:.1f} s, --db {base[-1].wall:.1f} s")
    assert server is not None
    _import_row(bench, main, ours, base)
    return server, reports


def _import(main: Dataset, where: list[str], op: Operator | None = None) -> tuple[Timing, str]:
    """`ccstats import S` into the store `where` names, checked to store every event;
    its timing and its report."""
    timing, said = run([str(CCSTATS), "import", str(main.path), "--customer", CUSTOMER, *where],
                       f"ccstats import {' '.join(where)}", env=op.env if op else None)
    found = REPORT.search(said)
    if found is None or not found[0].startswith(f"stored {main.events} events"):
        raise BenchmarkError(f"ccstats import {' '.join(where)} said {said.strip()[-300:]!r}, "
                             f"expected {main.events} events")
    return timing, found[0]


def _import_row(bench: Bench, main: Dataset, ours: list[Timing], base: list[Timing]) -> None:
    o = statistics.median(t.wall for t in ours)
    b = statistics.median(t.wall for t in base)
    o_rate, b_rate = main.events / o, main.events / b
    bench.results.add(Row(
        "ops.import.rate",
        f"7a import --server S ({main.events / 1e6:.2f}M ev, {main.bytes / MB:,.0f} MB): rate",
        f"{rate(main.events, o)} ({o:.1f} s)", f"--db {rate(main.events, b)} ({b:.1f} s)",
        faster(o, b), f">= {OPS_IMPORT_VS_DB:g}x the rate of --db",
        o_rate >= OPS_IMPORT_VS_DB * b_rate))
    measured: dict[str, Any] = {
        "events": main.events, "file_bytes": main.bytes,
        "server_s": [t.wall for t in ours], "server_cpu_s": [t.cpu for t in ours],
        "db_s": [t.wall for t in base], "db_cpu_s": [t.cpu for t in base],
        "server_median_s": o, "db_median_s": b, "server_events_per_s": o_rate,
        "db_events_per_s": b_rate, "rate_over_rate_of_db": o_rate / b_rate,
    }
    bench.results.data["operations"] = {"import": measured}


def same_answer(bench: Bench, server: Server, db_store: Path) -> bool:
    """A month by user from the server's store and from the `--db` store, byte for byte."""
    first, last = month_ranges(1, bench.plan.days, bench.rng)[0]
    query = params(first, last, "user")
    with server.client() as client:
        ours = get(client, query)[1]
    other = bench.procs.serve(db_store, bench.scratch / "ops-db-server.log")
    try:
        with other.client() as client:
            theirs = get(client, query)[1]
    finally:
        bench.procs.stop(other)
    bench.results.data["operations"]["answer"] = {
        "query": query, "bytes": len(ours), "equal": ours == theirs}
    return ours == theirs
