"""Ingest benchmark: ``ccstats import`` against DuckDB's own ``read_json``.

    .venv/bin/python benchmarks/ingest.py [--events 1000000] [--runs 3] [--workdir DIR]

Generates (once, cached in the work directory) an NDJSON file of about
``--events`` realistic events with :func:`ccstats.demo.write_file`, then times,
``--runs`` times each, in fresh database files and separate processes:

* baseline: ``CREATE TABLE t AS SELECT * FROM read_json(file, format='newline_delimited')``
  in a fresh DuckDB file (the floor: parse and store, no validation, no statistics);
* ours: ``ccstats import EVENTS --customer bench --db FILE`` (after an untimed
  ``ccstats customer create bench --db FILE``).

Prints a table (medians; ratio = our time / baseline time) and writes the numbers
to ``benchmarks/results-ingest.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import duckdb
from rich.console import Console
from rich.table import Table

from ccstats import demo

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results-ingest.json"
CCSTATS = Path(sys.executable).parent / "ccstats"

SEED = 20240304
START = dt.date(2024, 3, 4)  # a Monday; ranges of a few weeks cross the DST change
TIMEZONE = "Europe/Budapest"
PROJECTS = 20
MAX_AGENTS = 1000
MIN_DAYS = 14

TARGET_EVENTS_PER_S = 300_000
TARGET_RATIO = 5.0
TARGET_GENERATE_PER_S = 1_000_000

BASELINE_SCRIPT = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute(
    "CREATE TABLE t AS SELECT * FROM read_json(?, format='newline_delimited')", [sys.argv[2]]
)
con.close()
"""

console = Console()


class BenchmarkError(Exception):
    """A step failed; the message says which and what to do."""


@dataclass(frozen=True)
class Dataset:
    path: Path
    events: int
    agents: int
    days: int
    generated_per_s: float | None  # None when the file came from the cache


def nproc() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def plan(events: int) -> tuple[int, int]:
    """(agents, days) for about ``events`` events, from a small calibration run."""
    sample_agents, sample_days = 100, 28
    sample = sum(
        chunk.count(b"\n")
        for chunk in demo.generate(
            seed=SEED,
            agents=sample_agents,
            projects=PROJECTS,
            days=sample_days,
            start=START,
            timezone=TIMEZONE,
            system_users=0,
        )
    )
    per_agent_day = sample / (sample_agents * sample_days)
    days = round(events / (per_agent_day * MAX_AGENTS))
    if days >= MIN_DAYS:
        return MAX_AGENTS, days
    return max(1, round(events / (per_agent_day * MIN_DAYS))), MIN_DAYS


def dataset(events: int, workdir: Path) -> Dataset:
    """The cached events file for ``events``, generated if missing."""
    workdir.mkdir(parents=True, exist_ok=True)
    ignore = workdir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# generated benchmark data\n*\n")
    # The generator's source is part of the key: a changed generator regenerates.
    version = hashlib.sha256(Path(demo.__file__).read_bytes()).hexdigest()[:10]
    agents, days = plan(events)
    name = f"events-{events}-a{agents}-d{days}-s{SEED}-{version}"
    path, meta = workdir / f"{name}.ndjson", workdir / f"{name}.json"
    if path.exists() and meta.exists():
        count = int(json.loads(meta.read_text())["events"])
        return Dataset(path, count, agents, days, None)
    console.print(f"generating ~{events:,} events: {agents} agents x {days} days -> {path}")
    began = time.perf_counter()
    count = demo.write_file(
        path,
        seed=SEED,
        agents=agents,
        projects=PROJECTS,
        days=days,
        start=START,
        timezone=TIMEZONE,
    )
    elapsed = time.perf_counter() - began
    meta.write_text(json.dumps({"events": count, "agents": agents, "days": days}) + "\n")
    return Dataset(path, count, agents, days, count / elapsed)


class Timing(NamedTuple):
    wall: float  # seconds
    cpu: float  # user + system seconds of the process and its children


def run(argv: list[str], what: str) -> tuple[Timing, str]:
    """Run ``argv``; return its timing and its output, or raise."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if done.returncode != 0:
        output = (done.stderr or done.stdout).strip()
        raise BenchmarkError(f"{what} failed (exit {done.returncode}):\n{output}")
    return Timing(wall, cpu), done.stdout + done.stderr


def check_cli() -> None:
    hint = "the ccstats CLI with an `import` command is needed (src/ccstats/cli.py)"
    if not CCSTATS.exists():
        raise BenchmarkError(f"{CCSTATS} not found: {hint}; run `pip install -e .`")
    done = subprocess.run(
        [str(CCSTATS), "import", "--help"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:]
        raise BenchmarkError(f"`ccstats import --help` failed ({' '.join(last)}): {hint}")


def baseline_once(data: Dataset, scratch: Path) -> Timing:
    db = scratch / "baseline.duckdb"
    db.unlink(missing_ok=True)
    seconds, _ = run([sys.executable, "-c", BASELINE_SCRIPT, str(db), str(data.path)], "read_json")
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM t").fetchone()
    if row is None or row[0] != data.events:
        raise BenchmarkError(f"read_json stored {row} rows, expected {data.events}")
    db.unlink()
    return seconds


def ours_once(data: Dataset, scratch: Path) -> Timing:
    db = scratch / "ccstats.duckdb"
    for leftover in scratch.glob("ccstats.duckdb*"):
        leftover.unlink()
    db_option = ["--db", str(db)]
    run(
        [
            str(CCSTATS),
            "customer",
            "create",
            "bench",
            "--timezone",
            TIMEZONE,
            "--password",
            "x",
            *db_option,
        ],
        "ccstats customer create",
    )
    seconds, said = run(
        [str(CCSTATS), "import", str(data.path), "--customer", "bench", *db_option],
        "ccstats import",
    )
    stored = re.search(r"stored (\d+) events", said)
    if stored and int(stored[1]) != data.events:
        raise BenchmarkError(f"ccstats import said {said.strip()!r}, expected {data.events}")
    for leftover in scratch.glob("ccstats.duckdb*"):
        leftover.unlink()
    return seconds


def report(
    data: Dataset, ours: list[Timing], baseline: list[Timing], runs: int, load: float
) -> None:
    ours_s = statistics.median(t.wall for t in ours)
    base_s = statistics.median(t.wall for t in baseline)
    ours_cpu = statistics.median(t.cpu for t in ours)
    base_cpu = statistics.median(t.cpu for t in baseline)
    ours_rate, base_rate = data.events / ours_s, data.events / base_s
    ratio, cpu_ratio = ours_s / base_s, ours_cpu / base_cpu
    size = data.path.stat().st_size
    met_rate, met_ratio = ours_rate >= TARGET_EVENTS_PER_S, ratio <= TARGET_RATIO

    def yes(ok: bool) -> str:
        return "[green]yes[/]" if ok else "[red]no[/]"

    table = Table(
        title=f"Ingest: {data.events:,} events ({size / 1e6:,.0f} MB NDJSON), "
        f"median of {runs} runs, nproc = {nproc()}",
        caption=f"{data.agents} agents x {data.days} days x {PROJECTS} projects; each run in a "
        "fresh DuckDB file, as a subprocess; ratio = ours / read_json; "
        f"load average before: {load:.2f}",
    )
    for column in ("metric", "ours", "read_json", "ratio", "target", "met?"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    table.add_row(
        "import rate",
        f"{ours_rate:,.0f} ev/s",
        f"{base_rate:,.0f} ev/s",
        f"{ratio:.2f}x",
        f">= {TARGET_EVENTS_PER_S // 1000:,}k ev/s",
        yes(met_rate),
    )
    table.add_row(
        "import time",
        f"{ours_s:.2f} s",
        f"{base_s:.2f} s",
        f"{ratio:.2f}x",
        f"<= {TARGET_RATIO:g}x",
        yes(met_ratio),
    )
    table.add_row(
        "import CPU", f"{ours_cpu:.2f} s", f"{base_cpu:.2f} s", f"{cpu_ratio:.2f}x", "", ""
    )
    if data.generated_per_s is not None:
        table.add_row(
            "generate rate",
            f"{data.generated_per_s:,.0f} ev/s",
            "",
            "",
            f">= {TARGET_GENERATE_PER_S / 1e6:g}M ev/s",
            yes(data.generated_per_s >= TARGET_GENERATE_PER_S),
        )
    console.print(table)

    def side(timings: list[Timing], median: float, cpu: float) -> dict[str, object]:
        return {
            "seconds": [t.wall for t in timings],
            "cpu_seconds": [t.cpu for t in timings],
            "median_s": median,
            "median_cpu_s": cpu,
            "events_per_s": data.events / median,
        }

    results = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "nproc": nproc(),
        "load_average_before": load,
        "platform": platform.platform(),
        "duckdb": duckdb.__version__,
        "events": data.events,
        "file_bytes": size,
        "agents": data.agents,
        "days": data.days,
        "projects": PROJECTS,
        "runs": runs,
        "ours": side(ours, ours_s, ours_cpu),
        "baseline_read_json": side(baseline, base_s, base_cpu),
        "ratio_ours_to_baseline": ratio,
        "cpu_ratio_ours_to_baseline": cpu_ratio,
        "targets": {"events_per_s": TARGET_EVENTS_PER_S, "max_ratio": TARGET_RATIO},
        "met": {"events_per_s": met_rate, "ratio": met_ratio},
        "generate_events_per_s": data.generated_per_s,
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    console.print(f"wrote {RESULTS}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time `ccstats import` against DuckDB read_json on generated events."
    )
    parser.add_argument("--events", type=int, default=1_000_000, help="about how many events")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (median)")
    parser.add_argument(
        "--workdir", type=Path, default=HERE / ".data", help="cache for the generated file"
    )
    args = parser.parse_args(argv)
    if args.events < 1 or args.runs < 1:
        parser.error("--events and --runs must be >= 1")
    load = os.getloadavg()[0]
    try:
        data = dataset(args.events, args.workdir)
        check_cli()
        ours: list[Timing] = []
        baseline: list[Timing] = []
        with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
            scratch = Path(tmp)
            for i in range(args.runs):
                baseline.append(baseline_once(data, scratch))
                ours.append(ours_once(data, scratch))
                console.print(
                    f"run {i + 1}/{args.runs}: ours {ours[-1].wall:.2f} s "
                    f"(CPU {ours[-1].cpu:.2f} s), read_json {baseline[-1].wall:.2f} s "
                    f"(CPU {baseline[-1].cpu:.2f} s)"
                )
    except BenchmarkError as error:
        console.print(f"[red]error:[/] {error}")
        return 1
    report(data, ours, baseline, args.runs, load)
    return 0


if __name__ == "__main__":
    sys.exit(main())
