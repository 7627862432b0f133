"""Where the CPU of ``ccstats import`` goes, and the fastest import it allows here.

    .venv/bin/python benchmarks/import_budget.py            # scale S (1,000 agents x 90 days)
    .venv/bin/python benchmarks/import_budget.py --quick    # 100 agents

An import does two things at once, in two threads: reading and validating the
file's blocks, and storing the validated events (events, then the quarter-hour,
local-hour and local-day sums) in one transaction. This script times each alone,
in process, on the same file the benchmark imports (``bench_data``):

1. **validate**: read the file's blocks and validate them (the events are kept);
2. **store**: store those events into an empty store, and close it;
3. **import**: both overlapped, as ``ccstats import`` does;
4. DuckDB's ``read_json`` of the file into a table, the benchmark's baseline.

On this machine's cores, an overlapped import can take no less than the larger of
the CPU of both parts divided by the cores, and the store part alone (its
statements run one after the other). The last table gives that bound as events
per second beside the target, and beside what the overlapped import reached.
Figures are medians of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import NamedTuple

import duckdb
import pyarrow as pa
from rich.console import Console
from rich.table import Table

from bench_baselines import READ_JSON
from bench_data import START, TIMEZONE, dataset
from ccstats.ingest.lines import file_blocks
from ccstats.ingest.validate import Validator
from ccstats.model import ALL_SCOPES, ApiKey
from ccstats.service import Service
from ccstats.store.duckdb_store import DuckDBStore

HERE = Path(__file__).resolve().parent
TARGET = 500_000  # events per second, the target for importing S
DAYS = 90

console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


class Cost(NamedTuple):
    wall: float
    cpu: float  # user + system seconds of every thread of this process


def _measure(work: Callable[[], object]) -> Cost:
    before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    work()
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_SELF)
    return Cost(wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)


def _validate(path: Path, events: list[pa.Table]) -> None:
    validator = Validator()
    try:
        for block in file_blocks(path):
            checked = validator.validate(block.table)
            if checked.rejected_lines:
                raise SystemExit(f"{path}: line {checked.rejected_lines[0]} is invalid")
            events.append(checked.events)
    finally:
        validator.close()


def _store(folder: Path, events: list[pa.Table]) -> None:
    store = DuckDBStore(folder / "store.duckdb")
    try:
        # a key that no password matches: nothing logs in here
        customer = store.create_customer("budget", TIMEZONE,
                                         ApiKey("budget", bytes(16), bytes(32), ALL_SCOPES))
        assert customer is not None
        with store.writer(customer.customer_id) as writer:
            for table in events:
                writer.add(table)
    finally:
        store.close()


def _import(folder: Path, path: Path) -> None:
    service = Service.open(str(folder / "import.duckdb"))
    try:
        service.create_customer("budget", TIMEZONE, "pw")
        service.import_files("budget", [path])
    finally:
        service.close()


def _read_json(folder: Path, path: Path) -> None:
    db = duckdb.connect(str(folder / "read_json.duckdb"))
    try:
        db.execute(READ_JSON, [str(path)])
    finally:
        db.close()


def _median(costs: list[Cost]) -> Cost:
    return Cost(statistics.median(c.wall for c in costs), statistics.median(c.cpu for c in costs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 agents instead of 1,000")
    parser.add_argument("--runs", type=int, default=3, help="runs of each part (median)")
    parser.add_argument("--workdir", type=Path, default=HERE / ".data",
                        help="where the benchmark's data files are cached")
    args = parser.parse_args()
    agents = 100 if args.quick else 1000
    data = dataset(args.workdir, "main", agents, [(START, DAYS)], console.print)
    cores = os.cpu_count() or 1
    console.print(f"{data.path.name}: {data.events:,} events, {data.bytes / 1e6:,.0f} MB; "
                  f"{cores} cores; {args.runs} runs")
    parts: dict[str, list[Cost]] = {name: [] for name in
                                    ("validate", "store", "import", "read_json")}
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(dir=args.workdir) as scratch:
            folder = Path(scratch)
            events: list[pa.Table] = []
            parts["validate"].append(_measure(partial(_validate, data.path, events)))
            parts["store"].append(_measure(partial(_store, folder, events)))
            events.clear()
            parts["import"].append(_measure(partial(_import, folder, data.path)))
            parts["read_json"].append(_measure(partial(_read_json, folder, data.path)))
        console.print(f"  run {run + 1}: " + ", ".join(
            f"{name} {costs[-1].wall:.1f} s (CPU {costs[-1].cpu:.1f} s)"
            for name, costs in parts.items()))
    cost = {name: _median(costs) for name, costs in parts.items()}

    table = Table(title=f"Import of {data.events / 1e6:.2f}M events: where the CPU goes")
    for column in ("part", "wall s", "CPU s", "CPU µs per event", "events/s"):
        table.add_column(column, justify="left" if column == "part" else "right")
    labels = {"validate": "1 read and validate", "store": "2 store (events, 3 grains, close)",
              "import": "3 ccstats import (1 and 2 overlapped)",
              "read_json": "4 DuckDB read_json (baseline)"}
    for name, label in labels.items():
        c = cost[name]
        table.add_row(label, f"{c.wall:.1f}", f"{c.cpu:.1f}",
                      f"{c.cpu / data.events * 1e6:.2f}", f"{data.events / c.wall:,.0f}")
    console.print(table)

    both = cost["validate"].cpu + cost["store"].cpu
    floor = max(both / cores, cost["store"].wall)
    bound = Table(title=f"The fastest overlapped import on {cores} cores")
    for column in ("bound", "seconds", "events/s", "target", "reached"):
        bound.add_column(column, justify="left" if column == "bound" else "right")
    bound.add_row(f"CPU of 1 + 2 over {cores} cores", f"{both / cores:.1f}",
                  f"{data.events / (both / cores):,.0f}", "", "")
    bound.add_row("2 alone (its statements are serial)", f"{cost['store'].wall:.1f}",
                  f"{data.events / cost['store'].wall:,.0f}", "", "")
    bound.add_row("the larger of both", f"{floor:.1f}", f"{data.events / floor:,.0f}",
                  f"{TARGET:,}", f"{data.events / cost['import'].wall:,.0f}")
    console.print(bound)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
