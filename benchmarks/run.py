"""ccstats benchmarks: import, HTTP ingest and query latency against baselines.

    .venv/bin/python benchmarks/run.py            # full: S = 1,000 agents x 90 days
    .venv/bin/python benchmarks/run.py --quick    # 100 agents, fewer runs
    .venv/bin/python benchmarks/run.py --table benchmarks/results.json   # the README's table
    .venv/bin/python benchmarks/run.py --queues-only   # metric 5 alone: results-queues.json
    .venv/bin/python benchmarks/run.py --realtime-only  # metric 6 alone: results-realtime.json
    .venv/bin/python benchmarks/run.py --operations-only  # metric 7: results-operations.json

Data come from the demo generator at a fixed seed (``bench_data``), written once and
cached under ``benchmarks/.data/``. All stores and servers live in a scratch folder
there that is removed at the end; every server started is stopped, also on errors
and Ctrl-C. Figures are medians of several runs, ours and the baseline measured in
the same run, one after the other (never at the same time):

1. ``ccstats import`` of S into an empty store vs DuckDB ``read_json`` of the same file.
2. ``ccstats import`` of further events (the days right after S: new ids; plus ~10 %
   of S's days generated again: replacements) into a copy of the S store, vs
   ``read_json`` of that file.
3. ``POST /v2/events`` of the new days in 10,000-event NDJSON batches from 4 client
   threads against ``ccstats serve`` on a copy of the S store.
4. Queries over HTTP against ``ccstats serve`` on the S store: (a) a month by user,
   (b) 90 days by project and date, (c) one user and day by quarter-hour, (d) a month
   by project, user, date and hour (throughput and time to first byte), (e) a year of
   hourly records from a separate year store (server RSS growth while streaming it),
   (f) 16 clients doing mixed month queries. Baselines (`bench_baselines.py`):
   straightforward DuckDB SQL and pandas over the raw events; for (d) the grouped
   numbers fetched into Python and serialised with orjson. Baseline answers are
   compared with ours byte for byte.
5. S with queue calls (`bench_queues.py`): ``ccstats import`` of it against the import
   of S without them (alternately; the rate within 15 %), then over HTTP a month of
   inbound statistics by queue and date and a month of every userbased KPI by user,
   against straightforward DuckDB SQL over its read_json table
   (`bench_queue_baselines.py`), answers compared byte for byte.
6. Real time (`bench_realtime.py`) on S plus a day of history, 1,000 agents online and
   200 callers waiting: ``GET /v2/onlineusers`` and ``/v2/realtime/queues`` against
   DuckDB SQL over the raw events (answers compared at the same ``now``); from
   ``POST /v2/events`` answering to a stream's snapshot, against polling once a
   second; 16 statistics clients with 200 open streams against without.
7. Operations on a running server (`bench_operations.py`, which explains the
   baselines): ``ccstats import --server`` of S against ``import --db``, answers
   compared; ``ccstats backup --server`` against ``cp`` + fsync of the file, and a
   POSTed batch while a backup runs against without; ``ccstats prune --server`` of
   S's first 30 days against DuckDB's DELETE of the same events from the read_json
   table; ``ccstats user erase --db`` (the file rewritten) against ``cp`` + fsync.

Prints one table (metric | ours | baseline | ratio | target | met?) and writes the
figures by metric id (`bench_metrics`) to ``benchmarks/results.json``
(``results-quick.json`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

import duckdb
from rich.table import Table

from bench_backend import backend_column
from bench_console import console, say, step
from bench_data import START, TIMEZONE, Dataset, DayRange, dataset, replaced_days
from bench_imports import import_more, import_s
from bench_operations import operations
from bench_plan import FULL, QUICK, Bench, Plan
from bench_post import post_events
from bench_proc import CCSTATS, BenchmarkError, Processes, run_json
from bench_queries import queries
from bench_queues import queue_calls
from bench_ranges import day
from bench_realtime import realtime
from bench_results import Results, Row, markdown
from bench_stores import BASELINES
from bench_year import year

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src" / "ccstats"


def datasets(plan: Plan, workdir: Path
             ) -> tuple[Dataset, Dataset, Dataset, Dataset, Dataset]:
    """S, the days right after it, those plus ~10 % of S's days again, the year, and S
    with queue calls."""
    main = dataset(workdir, "main", plan.agents, [(START, plan.days)], say)
    after: DayRange = (day(plan.days), plan.next_days)
    new = dataset(workdir, "next", plan.agents, [after], say)
    extra = dataset(workdir, "extra", plan.agents,
                    [after, *replaced_days(plan.days, plan.replace_share)], say)
    year_data = dataset(workdir, "year", plan.year_agents, [(START, plan.year_days)], say)
    queued = dataset(workdir, "main", plan.agents, [(START, plan.days)], say, queue_calls=True)
    return main, new, extra, year_data, queued


def queue_steps(bench: Bench, workdir: Path) -> Dataset:
    """Metric 5 alone (``--queues-only``); returns S."""
    plan = bench.plan
    with step("data (generated once, then cached)"):
        main = dataset(workdir, "main", plan.agents, [(START, plan.days)], say)
        queued = dataset(workdir, "main", plan.agents, [(START, plan.days)], say,
                         queue_calls=True)
    with step(f"5: S with queue calls ({queued.events - main.events:,} more events)"):
        queue_calls(bench, main, queued)
    return main


def realtime_steps(bench: Bench, workdir: Path) -> Dataset:
    """Metric 6 alone (``--realtime-only``); returns S."""
    plan = bench.plan
    with step("data (generated once, then cached)"):
        main = dataset(workdir, "main", plan.agents, [(START, plan.days)], say)
    realtime(bench, main, None)
    return main


def operations_steps(bench: Bench, workdir: Path) -> Dataset:
    """Metric 7 alone (``--operations-only``); returns S."""
    plan = bench.plan
    with step("data (generated once, then cached)"):
        main = dataset(workdir, "main", plan.agents, [(START, plan.days)], say)
        # (S ends on a Saturday: its next day is quiet; the two after it are weekdays)
        after = dataset(workdir, "next", plan.agents, [(day(plan.days + 1), 2)], say)
    operations(bench, main, after)
    return main


def run_steps(bench: Bench, workdir: Path, backend: str | None) -> Dataset:
    """Every step, in an order that reuses the stores; returns S."""
    plan = bench.plan
    with step("data (generated once, then cached)"):
        main, new, extra, year_data, queued = datasets(plan, workdir)
    with step(f"1: import S, {plan.import_runs} runs each (ccstats import, read_json)"):
        store, raw_db = import_s(bench, main)
    with step("baseline database: normalise the raw events (untimed)"):
        bench.results.data["baseline_prepare"] = run_json(
            [sys.executable, str(BASELINES), "prepare", str(raw_db)], "baseline prepare")
    with step("4a-4d, 4f: queries over HTTP against the S store, then baselines"):
        queries(bench, store, raw_db)
    with step(f"2: import {extra.events:,} more events into copies of the S store"):
        import_more(bench, store, extra, new)
    with step(f"3: POST /v2/events, {new.events:,} events, {plan.post_runs} runs"):
        post_events(bench, store, new)
    with step("4e: a year of hourly records: server memory while streaming"):
        year(bench, year_data)
    with step(f"5: S with queue calls ({queued.events - main.events:,} more events)"):
        queue_calls(bench, main, queued)
    realtime(bench, main, store)
    operations(bench, main, new)
    if backend:
        with step(f"the same metrics on {backend}"):
            name = backend.split("://", 1)[0]
            bench.results.columns[name] = backend_column(bench, backend, main, new, extra)
    return main


def report(results: Results, header: dict[str, Any], output: Path) -> None:
    """Print the table and write the results file."""
    plan, dataset_info, code = header["plan"], header["dataset"], header["code"]
    modified = " + uncommitted changes in src/" if code["src_modified"] else ""
    load_before, load_after = header["load_average_before"], header["load_average_after"]
    table = Table(
        title=f"ccstats benchmarks ({plan['mode']}): S = {plan['agents']:,} agents x "
              f"{plan['days']} days = {dataset_info['events']:,} events; "
              f"{header['cpu_count']} cores",
        caption=f"medians; ours and baseline measured in the same run, one after the other; "
                f"zone {TIMEZONE}; load average before {load_before[0]:.2f} "
                f"(5 min {load_before[1]:.2f}), after {load_after[0]:.2f}; "
                f"total {header['total_seconds'] / 60:.1f} min; "
                f"code: commit {code['commit']}{modified}",
    )
    columns, body = results.cells()
    for column in columns:
        table.add_column(column, justify="left" if column == "metric" else "right")
    colour = {"yes": "[green]yes[/]", "no": "[red]no[/]"}
    for cells in body:
        table.add_row(*cells[:-1], colour.get(cells[-1], cells[-1]))
    console.print(table)
    output.write_text(json.dumps({**header, **results.to_json()}, indent=2, default=str) + "\n")
    console.print(f"wrote {output}")


def run_header(plan: Plan, main: Dataset, load_before: tuple[float, ...], total_s: float,
               code: dict[str, object]) -> dict[str, Any]:
    """What the figures of a run were measured on."""
    return {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": plan.mode,
        "plan": dataclasses.asdict(plan),
        "cpu_count": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "total_seconds": total_s,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "code": code,
        "dataset": {"events": main.events, "file_bytes": main.bytes, "agents": plan.agents,
                    "days": plan.days, "start": str(START), "timezone": TIMEZONE},
    }


def code_state() -> dict[str, object]:
    """The code under test: git commit, whether src/ differs from it, a hash of src/ccstats."""
    digest = hashlib.sha256()
    for path in sorted(SRC.rglob("*.py")):
        digest.update(str(path.relative_to(SRC)).encode() + b"\0" + path.read_bytes())

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=HERE.parent, capture_output=True,
                                  text=True, timeout=30, check=False)
        except OSError:
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    return {"commit": git("rev-parse", "--short", "HEAD"),
            "src_modified": bool(git("status", "--porcelain", "--", "src")),
            "src_sha256": digest.hexdigest()[:16]}


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="ccstats benchmarks against baselines.")
    parser.add_argument("--quick", action="store_true",
                        help="about 1/10 of the data and fewer runs")
    parser.add_argument("--workdir", type=Path, default=HERE / ".data",
                        help="cache of generated data and scratch space")
    parser.add_argument("--output", type=Path, default=None,
                        help="results JSON (default benchmarks/results.json, "
                             "results-quick.json with --quick)")
    parser.add_argument("--backend", default=None, metavar="URL",
                        help="also measure ours on this store (e.g. clickhouse://127.0.0.1:19000/"
                             "); its figures fill a column of their own")
    parser.add_argument("--queues-only", action="store_true",
                        help="measure metric 5 alone (default output results-queues.json, "
                             "results-queues-quick.json with --quick)")
    parser.add_argument("--realtime-only", action="store_true",
                        help="measure metric 6 alone (default output results-realtime.json, "
                             "results-realtime-quick.json with --quick)")
    parser.add_argument("--operations-only", action="store_true",
                        help="measure metric 7 alone (default output results-operations.json, "
                             "results-operations-quick.json with --quick)")
    parser.add_argument("--table", type=Path, default=None, metavar="RESULTS",
                        help="measure nothing: print the table of a results file as Markdown")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.table:
        print(markdown(Results.from_json(json.loads(args.table.read_text()))))
        return 0
    plan = QUICK if args.quick else FULL
    name = ("results-queues" if args.queues_only
            else "results-realtime" if args.realtime_only
            else "results-operations" if args.operations_only else "results")
    output = args.output or HERE / (f"{name}-quick.json" if args.quick else f"{name}.json")
    signal.signal(signal.SIGTERM, _terminate)
    began = time.perf_counter()
    load_before = os.getloadavg()
    console.print(f"ccstats benchmarks, {plan.mode} mode; {os.cpu_count()} cores; load average "
                  f"{load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")
    results = Results()
    code = code_state()
    console.print(f"code under test: commit {code['commit']}"
                  + (" + uncommitted changes in src/" if code["src_modified"] else ""))
    try:
        if not CCSTATS.exists():
            raise BenchmarkError(f"{CCSTATS} not found; run `make install`")
        args.workdir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=args.workdir, prefix="scratch-") as tmp, \
                Processes() as procs:
            bench = Bench(plan, Path(tmp), procs, results)
            if args.queues_only:
                main_data = queue_steps(bench, args.workdir)
            elif args.realtime_only:
                main_data = realtime_steps(bench, args.workdir)
            elif args.operations_only:
                main_data = operations_steps(bench, args.workdir)
            else:
                main_data = run_steps(bench, args.workdir, args.backend)
    except BenchmarkError as error:
        console.print(f"[red]error:[/] {error}")
        return 1
    except KeyboardInterrupt:
        console.print("[red]interrupted[/]; servers stopped, scratch files removed")
        return 130
    _check_code(results, code)
    header = run_header(plan, main_data, load_before, time.perf_counter() - began, code)
    report(results, header, output)
    return 0


def _check_code(results: Results, code: dict[str, object]) -> None:
    """A row that fails the run when src/ccstats changed while it ran."""
    after = code_state()
    if after["src_sha256"] != code["src_sha256"]:
        console.print("[red]warning:[/] src/ccstats changed while the benchmark ran; "
                      "the figures mix versions of the code")
        results.add(Row("code.unchanged", "code under test unchanged during the run",
                        f"{code['commit']} -> {after['commit']}", target="unchanged", met=False))
    code["at_end"] = after


if __name__ == "__main__":
    sys.exit(main())
