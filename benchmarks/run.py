"""ccstats benchmarks: import, HTTP ingest and query latency against baselines.

    .venv/bin/python benchmarks/run.py            # full: S = 1,000 agents x 90 days (~30 min max)
    .venv/bin/python benchmarks/run.py --quick    # 100 agents, fewer runs (< 5 min)

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

Prints one table (metric | ours | baseline | ratio | target | met?) and writes the
numbers to ``benchmarks/results.json`` (``results-quick.json`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import os
import platform
import queue
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import duckdb
import httpx
import numpy as np
from rich.console import Console
from rich.table import Table

from bench_data import START, TIMEZONE, Dataset, DayRange, dataset, replaced_days
from bench_proc import (
    CCSTATS,
    CUSTOMER,
    PASSWORD,
    BenchmarkError,
    Processes,
    RssSampler,
    Server,
    Timing,
    rss_bytes,
    run,
    run_json,
)

HERE = Path(__file__).resolve().parent
BASELINES = HERE / "bench_baselines.py"
STATS = "/v2/statistics/userbased"
MB = 1e6

#: Wide enough for the table when the output goes to a file or a pipe.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


@dataclass(frozen=True)
class Plan:
    """How much data and how many repetitions; `full` and `quick` below."""

    mode: str
    agents: int
    year_agents: int
    import_runs: int
    post_runs: int
    month_runs: int  # (a)
    range_runs: int  # (b)
    day_runs: int  # (c)
    download_runs: int  # (d)
    year_runs: int  # (e)
    baseline_runs: int
    pandas_runs: int
    load_seconds: float  # (f)
    days: int = 90
    next_days: int = 14
    replace_share: float = 0.10
    year_days: int = 365
    post_clients: int = 4
    batch_events: int = 10_000
    load_clients: int = 16


FULL = Plan(
    mode="full", agents=1000, year_agents=400, import_runs=3, post_runs=3, month_runs=50,
    range_runs=30, day_runs=50, download_runs=5, year_runs=3, baseline_runs=3, pandas_runs=3,
    load_seconds=20.0,
)
QUICK = Plan(
    mode="quick", agents=100, year_agents=40, import_runs=2, post_runs=2, month_runs=20,
    range_runs=10, day_runs=20, download_runs=3, year_runs=1, baseline_runs=2, pandas_runs=2,
    load_seconds=8.0,
)

# Targets.
IMPORT_RATE = 500_000
IMPORT_VS_READ_JSON = 4.0
IMPORT_MORE_RATE = 300_000
POST_RATE = 150_000
MONTH_P50_MS, MONTH_P99_MS, MONTH_VS_BASELINE = 50.0, 150.0, 20.0
RANGE_P50_MS = 100.0
DAY_P50_MS = 10.0
DOWNLOAD_MB_S, DOWNLOAD_TTFB_MS, DOWNLOAD_VS_ORJSON = 100.0, 300.0, 4.0
YEAR_MIN_MB, YEAR_RSS_MB = 500.0, 200.0
LOAD_RPS, LOAD_P99_MS = 60.0, 500.0


# ---------------------------------------------------------------------------------------
# results


@dataclass
class Row:
    metric: str
    ours: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    met: bool | None = None


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    #: Further backends (`--backend`): column name -> {metric: value of ours on that store}.
    columns: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        mark = "" if row.met is None else ("met" if row.met else "NOT met")
        console.print(f"  -> {row.metric}: {row.ours}"
                      + (f" (baseline {row.baseline})" if row.baseline else "")
                      + (f" {mark}" if mark else ""))


def faster(ours_s: float, base_s: float) -> str:
    """The ratio as words: how many times faster or slower ours is."""
    if ours_s <= 0 or base_s <= 0:
        return ""
    if base_s >= ours_s:
        return f"{base_s / ours_s:.1f}x faster"
    return f"{ours_s / base_s:.2f}x slower"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def rate(events: int, seconds: float) -> str:
    return f"{events / seconds:,.0f} ev/s"


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def load_average() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return one, five, fifteen


@contextmanager
def step(what: str) -> Iterator[None]:
    began = time.perf_counter()
    load = os.getloadavg()[0]
    console.print(f"[bold]>> {what}[/]  (load {load:.2f})")
    yield
    console.print(f"   done: {what} in {time.perf_counter() - began:.1f} s")


# ---------------------------------------------------------------------------------------
# query parameters


def day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


def ymd(date: dt.date) -> str:
    return date.strftime("%Y%m%d")


def month_ranges(count: int, days: int, rng: random.Random) -> list[tuple[dt.date, dt.date]]:
    """``count`` distinct ranges of 28-31 days inside the first ``days`` days, around February."""
    choices = [
        (first, length)
        for length in (28, 29, 30, 31)
        for first in range(14, 45)
        if first + length <= days
    ]
    picked = rng.sample(choices, min(count, len(choices)))
    picked += [rng.choice(choices) for _ in range(count - len(picked))]
    return [(day(first), day(first + length - 1)) for first, length in picked]


def long_ranges(count: int, days: int, rng: random.Random) -> list[tuple[dt.date, dt.date]]:
    """``count`` ranges of ``days - 6`` .. ``days`` days inside the data (the first is all)."""
    choices = [(0, days)] + [
        (first, length)
        for length in range(days - 6, days + 1)
        for first in range(days - length + 1)
        if (first, length) != (0, days)
    ]
    picked = [choices[0], *rng.sample(choices[1:], min(count - 1, len(choices) - 1))]
    picked += [rng.choice(choices) for _ in range(count - len(picked))]
    return [(day(first), day(first + length - 1)) for first, length in picked]


def params(first: dt.date, last: dt.date, dimensions: str, **extra: str) -> dict[str, str]:
    return {"from": ymd(first), "to": ymd(last), "dimensions": dimensions, **extra}


def range_arg(first: dt.date, last: dt.date) -> str:
    return f"{ymd(first)}:{ymd(last)}"


# ---------------------------------------------------------------------------------------
# HTTP measurements


def get(client: httpx.Client, query: dict[str, str]) -> tuple[float, bytes]:
    """One statistics request: (seconds, body); raises on anything but 200."""
    began = time.perf_counter()
    response = client.get(STATS, params=query)
    seconds = time.perf_counter() - began
    if response.status_code != 200:
        raise BenchmarkError(f"GET {STATS} {query} answered {response.status_code}: "
                             f"{response.text[:500]}")
    return seconds, response.content


@dataclass(frozen=True)
class Download:
    ttfb: float  # seconds to the first body byte
    seconds: float
    size: int
    sha256: str | None


def download(client: httpx.Client, query: dict[str, str], digest: bool = False,
             during: Callable[[], None] | None = None) -> Download:
    """Stream one answer, discarding it (or only hashing it); time the first byte and all."""
    hasher = hashlib.sha256() if digest else None
    began = time.perf_counter()
    first: float | None = None
    size = 0
    with client.stream("GET", STATS, params=query) as response:
        if response.status_code != 200:
            response.read()
            raise BenchmarkError(f"GET {STATS} {query} answered {response.status_code}: "
                                 f"{response.text[:500]}")
        for chunk in response.iter_raw(1 << 20):
            if first is None:
                first = time.perf_counter() - began
            size += len(chunk)
            if hasher is not None:
                hasher.update(chunk)
            if during is not None:
                during()
    seconds = time.perf_counter() - began
    return Download(first or seconds, seconds, size, hasher.hexdigest() if hasher else None)


def warm_up(client: httpx.Client, first: dt.date, last: dt.date) -> None:
    """One untimed request: verifies the key (cached a minute) and touches the store."""
    get(client, params(first, last, "project"))


# ---------------------------------------------------------------------------------------
# the benchmark


def datasets(plan: Plan, workdir: Path) -> tuple[Dataset, Dataset, Dataset, Dataset]:
    """S, the days right after it, those plus ~10 % of S's days again, and the year."""

    def say(text: str) -> None:
        console.print(f"   {text}")

    main = dataset(workdir, "main", plan.agents, [(START, plan.days)], say)
    after: DayRange = (day(plan.days), plan.next_days)
    new = dataset(workdir, "next", plan.agents, [after], say)
    extra = dataset(workdir, "extra", plan.agents,
                    [after, *replaced_days(plan.days, plan.replace_share)], say)
    year = dataset(workdir, "year", plan.year_agents, [(START, plan.year_days)], say)
    return main, new, extra, year


@dataclass
class Bench:
    plan: Plan
    workdir: Path
    scratch: Path
    procs: Processes
    results: Results
    rng: random.Random = field(default_factory=lambda: random.Random(20250106))

    # -- 1. import of S -----------------------------------------------------------------
    def create_customer(self, db: Path) -> None:
        run([str(CCSTATS), "customer", "create", CUSTOMER, "--timezone", TIMEZONE,
             "--password", PASSWORD, "--db", str(db)], "ccstats customer create")

    def ccstats_import(self, data: Dataset, db: Path | str) -> Timing:
        timing, said = run([str(CCSTATS), "import", str(data.path), "--customer", CUSTOMER,
                            "--db", str(db)], f"ccstats import {data.path.name}")
        stored = re.search(r"stored (\d+) events", said)
        if stored is None or int(stored[1]) != data.events:
            raise BenchmarkError(f"ccstats import said {said.strip()[-300:]!r}, "
                                 f"expected {data.events} events")
        return timing

    def read_json(self, data: Dataset, db: Path) -> Timing:
        remove_db(db)
        timing, said = run([sys.executable, str(BASELINES), "read-json", str(db),
                            str(data.path)], "DuckDB read_json")
        if f'"rows": {data.events}' not in said:
            raise BenchmarkError(f"read_json stored {said.strip()!r}, expected {data.events}")
        return timing

    def import_s(self, main: Dataset) -> tuple[Path, Path]:
        """Metric 1; returns the S store of the last run and the last read_json database."""
        p = self.plan
        store, base_db = self.scratch / "s.duckdb", self.scratch / "raw.duckdb"
        ours: list[Timing] = []
        base: list[Timing] = []
        for i in range(p.import_runs):
            base.append(self.read_json(main, base_db))
            remove_db(store)
            self.create_customer(store)
            ours.append(self.ccstats_import(main, store))
            console.print(f"   run {i + 1}/{p.import_runs}: ccstats import {ours[-1].wall:.1f} s "
                          f"(CPU {ours[-1].cpu:.1f} s), read_json {base[-1].wall:.1f} s "
                          f"(CPU {base[-1].cpu:.1f} s)")
        o = statistics.median(t.wall for t in ours)
        b = statistics.median(t.wall for t in base)
        o_cpu = statistics.median(t.cpu for t in ours)
        b_cpu = statistics.median(t.cpu for t in base)
        label = f"1 import S ({main.events / 1e6:.2f}M ev, {main.bytes / MB:,.0f} MB)"
        self.results.add(Row(f"{label}: rate", rate(main.events, o), rate(main.events, b),
                             faster(o, b), f">= {IMPORT_RATE:,} ev/s",
                             main.events / o >= IMPORT_RATE))
        self.results.add(Row("1 import S: time vs read_json", f"{o:.1f} s (CPU {o_cpu:.1f} s)",
                             f"{b:.1f} s (CPU {b_cpu:.1f} s)", faster(o, b),
                             f"<= {IMPORT_VS_READ_JSON:g}x read_json",
                             o / b <= IMPORT_VS_READ_JSON))
        self.results.data["import_s"] = {
            "events": main.events, "file_bytes": main.bytes,
            "ours_s": [t.wall for t in ours], "ours_cpu_s": [t.cpu for t in ours],
            "read_json_s": [t.wall for t in base], "read_json_cpu_s": [t.cpu for t in base],
            "ours_median_s": o, "read_json_median_s": b, "ours_events_per_s": main.events / o,
            "read_json_events_per_s": main.events / b, "ours_over_read_json": o / b,
            "store_bytes": store.stat().st_size,
        }
        return store, base_db

    # -- 2. import into a store holding S -----------------------------------------------
    def import_more(self, store: Path, extra: Dataset, new: Dataset) -> None:
        p = self.plan
        copy, base_db = self.scratch / "more.duckdb", self.scratch / "more-raw.duckdb"
        ours: list[Timing] = []
        base: list[Timing] = []
        for i in range(p.import_runs):
            base.append(self.read_json(extra, base_db))
            copy_db(store, copy)
            ours.append(self.ccstats_import(extra, copy))
            console.print(f"   run {i + 1}/{p.import_runs}: ccstats import {ours[-1].wall:.1f} s, "
                          f"read_json {base[-1].wall:.1f} s")
        remove_db(copy)
        remove_db(base_db)
        o = statistics.median(t.wall for t in ours)
        b = statistics.median(t.wall for t in base)
        replaced = extra.events - new.events
        self.results.add(Row(
            f"2 import {extra.events / 1e6:.2f}M more into S ({replaced / 1e6:.2f}M replace)",
            rate(extra.events, o), rate(extra.events, b), faster(o, b),
            f">= {IMPORT_MORE_RATE:,} ev/s", extra.events / o >= IMPORT_MORE_RATE))
        self.results.data["import_more"] = {
            "events": extra.events, "new_events": new.events, "replacing_events": replaced,
            "replaced_days": [str(first) for first, _ in replaced_days(p.days, p.replace_share)],
            "ours_s": [t.wall for t in ours], "read_json_s": [t.wall for t in base],
            "ours_median_s": o, "read_json_median_s": b, "ours_events_per_s": extra.events / o,
            "read_json_events_per_s": extra.events / b,
        }

    # -- 3. POST /v2/events -------------------------------------------------------------
    def post_events(self, store: Path, new: Dataset) -> None:
        p = self.plan
        lines = new.path.read_bytes().splitlines(keepends=True)
        batches = [b"".join(lines[i:i + p.batch_events])
                   for i in range(0, len(lines), p.batch_events)]
        del lines
        copy = self.scratch / "post.duckdb"

        def runs(into: str, prepare: Callable[[], None]) -> list[float]:
            walls: list[float] = []
            for i in range(p.post_runs):
                prepare()
                server = self.procs.serve(copy, self.scratch / "post-server.log")
                try:
                    walls.append(post_all(server, batches, p.post_clients, new.events))
                finally:
                    self.procs.stop(server)
                console.print(f"   run {i + 1}/{p.post_runs} into {into}: {new.events:,} events "
                              f"in {walls[-1]:.1f} s ({new.events / walls[-1]:,.0f} ev/s)")
            return walls

        def empty() -> None:
            remove_db(copy)
            self.create_customer(copy)

        walls = runs("a copy of the S store", lambda: copy_db(store, copy))
        empty_walls = runs("an empty store (diagnostic)", empty)
        remove_db(copy)
        w, e = statistics.median(walls), statistics.median(empty_walls)
        self.results.add(Row(
            f"3 POST /v2/events ({p.post_clients} clients, {p.batch_events:,}-event batches)",
            rate(new.events, w), "", "", f">= {POST_RATE:,} ev/s", new.events / w >= POST_RATE))
        self.results.add(Row("3 (diagnostic: the same POSTs into an empty store)",
                             rate(new.events, e)))
        self.results.data["post_events"] = {
            "events": new.events, "batches": len(batches), "clients": p.post_clients,
            "seconds": walls, "median_s": w, "events_per_s": new.events / w,
            "empty_store_seconds": empty_walls, "empty_store_events_per_s": new.events / e,
        }

    # -- 4. queries ---------------------------------------------------------------------
    def queries(self, store: Path, raw_db: Path) -> None:
        p = self.plan
        months = month_ranges(p.month_runs, p.days, self.rng)
        spans = long_ranges(p.range_runs, p.days, self.rng)
        downloads = month_ranges(p.download_runs, p.days, self.rng)
        answers = {name: self.scratch / f"{name}-ours.json" for name in ("a", "b")}
        measured: dict[str, Any] = {}
        server = self.procs.serve(store, self.scratch / "query-server.log")
        try:
            with server.client() as client:
                measured["a"] = self.month_by_user(client, months, answers["a"])
                measured["b"] = self.range_by_project_date(client, spans, answers["b"])
                measured["c"] = self.day_by_quarter(client)
                measured["d"] = self.month_download(client, downloads)
            measured["f"] = self.mixed_load(server)
        finally:
            self.procs.stop(server)
        self.query_baselines(store, raw_db, months, spans, downloads, answers, measured)
        self.results.data["queries"] = measured

    def month_by_user(self, client: httpx.Client, months: list[tuple[dt.date, dt.date]],
                      answer: Path) -> dict[str, Any]:
        with step(f"4a: {len(months)} x a month (28-31 days), dimensions=user, all KPIs"):
            warm_up(client, *months[0])
            seconds = []
            for i, (first, last) in enumerate(months):
                took, body = get(client, params(first, last, "user"))
                seconds.append(took)
                if i == 0:
                    answer.write_bytes(body)
        return {"seconds": seconds, "p50_s": statistics.median(seconds),
                "p99_s": percentile(seconds, 99), "ranges": [range_arg(*m) for m in months],
                "bytes_first": answer.stat().st_size}

    def range_by_project_date(self, client: httpx.Client,
                              spans: list[tuple[dt.date, dt.date]], answer: Path
                              ) -> dict[str, Any]:
        with step(f"4b: {len(spans)} x {self.plan.days} days, dimensions=project,date"):
            warm_up(client, *spans[0])
            seconds = []
            for i, (first, last) in enumerate(spans):
                took, body = get(client, params(first, last, "project,date"))
                seconds.append(took)
                if i == 0:
                    answer.write_bytes(body)
        return {"seconds": seconds, "p50_s": statistics.median(seconds),
                "p99_s": percentile(seconds, 99), "ranges": [range_arg(*s) for s in spans]}

    def day_by_quarter(self, client: httpx.Client) -> dict[str, Any]:
        p = self.plan
        weekdays = [d for d in range(p.days) if day(d).weekday() < 5]
        with step(f"4c: {p.day_runs} x one user, one day, dimensions=time&interval=15"):
            warm_up(client, day(weekdays[0]), day(weekdays[0]))
            seconds, sizes = [], []
            for _ in range(p.day_runs):
                when = day(self.rng.choice(weekdays))
                user = str(self.rng.randint(1, p.agents))
                took, body = get(client, params(when, when, "time", interval="15", users=user))
                seconds.append(took)
                sizes.append(len(body))
        return {"seconds": seconds, "p50_s": statistics.median(seconds),
                "p99_s": percentile(seconds, 99), "median_bytes": statistics.median(sizes)}

    def month_download(self, client: httpx.Client, months: list[tuple[dt.date, dt.date]]
                       ) -> dict[str, Any]:
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

    def mixed_load(self, server: Server) -> dict[str, Any]:
        p = self.plan
        with step(f"4f: {p.load_clients} clients, mixed month queries for {p.load_seconds:g} s"):
            result = mixed_load(server, p, self.rng.randrange(1 << 30))
        return result

    def query_baselines(self, store: Path, raw_db: Path,
                        months: list[tuple[dt.date, dt.date]],
                        spans: list[tuple[dt.date, dt.date]],
                        downloads: list[tuple[dt.date, dt.date]],
                        answers: dict[str, Path], measured: dict[str, Any]) -> None:
        p = self.plan
        py, script = sys.executable, str(BASELINES)
        names = ("a-raw", "a-ev", "a-pd", "b-raw", "b-ev", "d")
        out = {name: self.scratch / f"{name}-base.json" for name in names}

        def ranges(items: list[tuple[dt.date, dt.date]], count: int) -> list[str]:
            return [arg for r in items[:count] for arg in ("--range", range_arg(*r))]

        def duck(name: str, dims: str, items: list[tuple[dt.date, dt.date]]) -> dict[str, Any]:
            source = name.split("-")[1]
            what = "the read_json table" if source == "raw" else "the normalised events"
            with step(f"{name[0]} baseline: DuckDB SQL over {what}, {p.baseline_runs} runs"):
                return run_json([py, script, "duckdb-query", str(raw_db), "--source", source,
                                 "--dims", dims, *ranges(items, p.baseline_runs),
                                 "--out", str(out[name])], f"DuckDB baseline ({name})")

        base: dict[str, dict[str, Any]] = {
            "a-raw": duck("a-raw", "user", months),
            "a-ev": duck("a-ev", "user", months),
        }
        with step(f"4a baseline: pandas over the normalised events, {p.pandas_runs} months"):
            base["a-pd"] = run_json([py, script, "pandas-query", str(raw_db), "--dims", "user",
                                     *ranges(months, p.pandas_runs), "--out", str(out["a-pd"])],
                                    "pandas baseline (a)")
        base["b-raw"] = duck("b-raw", "project,date", spans)
        base["b-ev"] = duck("b-ev", "project,date", spans)
        with step(f"4d baseline: grouped rows -> Python -> orjson, {p.baseline_runs} months"):
            base["d"] = run_json([py, script, "render", str(store),
                                  *ranges(downloads, p.baseline_runs), "--out", str(out["d"])],
                                 "orjson baseline (d)")
        same: dict[str, bool | None] = {
            name: same_file(answers[name[0]], out[name])
            for name in ("a-raw", "a-ev", "b-raw", "b-ev")
        }
        same["a-pd"] = None if "skipped" in base["a-pd"] else same_file(answers["a"], out["a-pd"])
        same["d"] = measured["d"]["first_sha256"] == _first(base["d"].get("sha256"))
        measured["baselines"] = {**base, "answers_equal": same}
        self.query_rows(measured, base, same)

    def query_rows(self, m: dict[str, Any], base: dict[str, dict[str, Any]],
                   same: dict[str, bool | None]) -> None:
        add = self.results.add
        a, b, c, d, f = m["a"], m["b"], m["c"], m["d"], m["f"]
        pandas_a, render_d = base["a-pd"], base["d"]

        def median_s(name: str) -> float:
            return float(statistics.median(base[name]["seconds"]))

        raw_a, ev_a = median_s("a-raw"), median_s("a-ev")
        add(Row("4a month, dims=user: p50", ms(a["p50_s"]), f"DuckDB {ms(raw_a)}",
                faster(a["p50_s"], raw_a), f"<= {MONTH_P50_MS:g} ms",
                a["p50_s"] * 1000 <= MONTH_P50_MS))
        add(Row("4a month, dims=user: p99", ms(a["p99_s"]), "", "",
                f"<= {MONTH_P99_MS:g} ms", a["p99_s"] * 1000 <= MONTH_P99_MS))
        add(Row("4a vs DuckDB SQL over the raw events (read_json table)", ms(a["p50_s"]),
                ms(raw_a), faster(a["p50_s"], raw_a), f"baseline >= {MONTH_VS_BASELINE:g}x slower",
                raw_a / a["p50_s"] >= MONTH_VS_BASELINE))
        add(Row("4a vs DuckDB SQL over normalised events (stronger; info)", ms(a["p50_s"]),
                ms(ev_a), faster(a["p50_s"], ev_a)))
        if "skipped" in pandas_a:
            add(Row("4a vs pandas over normalised events", ms(a["p50_s"]),
                    str(pandas_a["skipped"])))
        else:
            pandas_s = median_s("a-pd")
            add(Row("4a vs pandas over normalised events", ms(a["p50_s"]),
                    f"{ms(pandas_s)} (+{pandas_a['load_s']:.1f} s load)",
                    faster(a["p50_s"], pandas_s), f"baseline >= {MONTH_VS_BASELINE:g}x slower",
                    pandas_s / a["p50_s"] >= MONTH_VS_BASELINE))
        raw_b, ev_b = median_s("b-raw"), median_s("b-ev")
        add(Row(f"4b {self.plan.days} days, dims=project,date: p50", ms(b["p50_s"]),
                f"DuckDB {ms(raw_b)} (normalised {ms(ev_b)})", faster(b["p50_s"], raw_b),
                f"<= {RANGE_P50_MS:g} ms", b["p50_s"] * 1000 <= RANGE_P50_MS))
        add(Row("4c one user, one day, dims=time, 15 min: p50", ms(c["p50_s"]), "", "",
                f"<= {DAY_P50_MS:g} ms", c["p50_s"] * 1000 <= DAY_P50_MS))
        base_d = statistics.median(render_d["seconds"])
        base_mb_s = statistics.median(render_d["bytes"]) / base_d / MB
        add(Row(f"4d month, dims=p,u,d,t ({d['median_bytes'] / MB:,.0f} MB): throughput",
                f"{d['median_mb_per_s']:,.0f} MB/s", f"orjson {base_mb_s:,.0f} MB/s",
                faster(d["median_s"], base_d), f">= {DOWNLOAD_MB_S:g} MB/s",
                d["median_mb_per_s"] >= DOWNLOAD_MB_S))
        add(Row("4d time to first byte", ms(d["median_ttfb_s"]),
                f"{ms(base_d)} (all at once)", "", f"<= {DOWNLOAD_TTFB_MS:g} ms",
                d["median_ttfb_s"] * 1000 <= DOWNLOAD_TTFB_MS))
        fetch_d = statistics.median(render_d["query_seconds"])
        add(Row("4d whole answer vs Python + orjson", ms(d["median_s"]),
                f"{ms(base_d)} (SQL + fetch {ms(fetch_d)})",
                faster(d["median_s"], base_d), f"ours >= {DOWNLOAD_VS_ORJSON:g}x faster",
                base_d / d["median_s"] >= DOWNLOAD_VS_ORJSON))
        add(Row(f"4f {self.plan.load_clients} clients, mixed months: throughput",
                f"{f['requests_per_s']:,.1f} req/s", "", "", f">= {LOAD_RPS:g} req/s",
                f["requests_per_s"] >= LOAD_RPS))
        add(Row("4f latency p99 (p50)", f"{ms(f['p99_s'])} ({ms(f['p50_s'])})", "", "",
                f"<= {LOAD_P99_MS:g} ms", f["p99_s"] * 1000 <= LOAD_P99_MS))
        add(Row("4f errors", f"{f['errors']} of {f['requests']}", "", "", "= 0",
                f["errors"] == 0))
        checked = {k: v for k, v in same.items() if v is not None}
        add(Row("baseline answers byte-identical to ours",
                ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in checked.items()), "", "",
                "all equal", all(checked.values())))

    # -- the same metrics on another store (--backend) ------------------------------------
    def backend_column(self, url: str, main: Dataset, new: Dataset, extra: Dataset
                       ) -> dict[str, str]:
        """Metrics 1, 2, 3 (into an empty store), 4a-4d and 4f with ``--db url``.

        Each store is a new database of that server, made with ``ccstats migrate`` and
        dropped afterwards. Queries use the same ranges as the main run (same seed);
        each import runs once. Returns metric -> value, for the rows of the main run.
        """
        from ccstats.store import clickhouse_schema
        from ccstats.store.clickhouse_target import Target

        p = self.plan
        rng = random.Random(20250106)  # the seed of the main run: the same ranges
        months = month_ranges(p.month_runs, p.days, rng)
        spans = long_ranges(p.range_runs, p.days, rng)
        downloads = month_ranges(p.download_runs, p.days, rng)
        targets = [Target.parse(url).with_database(f"bench_{name}_{os.getpid()}")
                   for name in ("s", "post")]
        values: dict[str, str] = {}
        try:
            for target in targets:
                run([str(CCSTATS), "migrate", "--db", target.url], "ccstats migrate")
                run([str(CCSTATS), "customer", "create", CUSTOMER, "--timezone", TIMEZONE,
                     "--password", PASSWORD, "--db", target.url], "ccstats customer create")
            s_url, post_url = targets[0].url, targets[1].url
            with step(f"{url}: 1, import S"):
                took = self.ccstats_import(main, s_url)
            values["1 import S ("] = rate(main.events, took.wall)
            values["1 import S: time"] = f"{took.wall:.1f} s (CPU {took.cpu:.1f} s)"
            server = self.procs.serve(s_url, self.scratch / "backend-server.log")
            try:
                with server.client() as client:
                    a = self.month_by_user(client, months, self.scratch / "a-backend.json")
                    b = self.range_by_project_date(client, spans,
                                                   self.scratch / "b-backend.json")
                    c = self.day_by_quarter(client)
                    d = self.month_download(client, downloads)
                f = self.mixed_load(server)
            finally:
                self.procs.stop(server)
            same = same_file(self.scratch / "a-backend.json", self.scratch / "a-ours.json")
            values["4a month, dims=user: p50"] = ms(a["p50_s"])
            values["4a month, dims=user: p99"] = ms(a["p99_s"])
            values["4b "] = ms(b["p50_s"])
            values["4c "] = ms(c["p50_s"])
            values["4d month"] = f"{d['median_mb_per_s']:,.0f} MB/s"
            values["4d time to first byte"] = ms(d["median_ttfb_s"])
            values["4d whole answer"] = ms(d["median_s"])
            values[f"4f {p.load_clients} clients"] = \
                f"{f['requests_per_s']:,.1f} req/s"
            values["4f latency"] = f"{ms(f['p99_s'])} ({ms(f['p50_s'])})"
            values["4f errors"] = f"{f['errors']} of {f['requests']}"
            values["baseline answers"] = f"4a answer equal to DuckDB's: {'yes' if same else 'NO'}"
            with step(f"{url}: 2, import {extra.events:,} more events into S"):
                took = self.ccstats_import(extra, s_url)
            values["2 import"] = rate(extra.events, took.wall)
            lines = new.path.read_bytes().splitlines(keepends=True)
            batches = [b"".join(lines[i:i + p.batch_events])
                       for i in range(0, len(lines), p.batch_events)]
            with step(f"{url}: 3, POST /v2/events into an empty store"):
                server = self.procs.serve(post_url, self.scratch / "backend-post.log")
                try:
                    seconds = post_all(server, batches, p.post_clients, new.events)
                finally:
                    self.procs.stop(server)
            values["3 (diagnostic"] = rate(new.events, seconds)
        finally:
            for target in targets:
                clickhouse_schema.drop(target)
        return {row.metric: value for row in self.results.rows
                for prefix, value in values.items() if row.metric.startswith(prefix)}

    # -- 4e. a year of hourly records ---------------------------------------------------
    def year(self, year: Dataset) -> None:
        p = self.plan
        store = self.scratch / "year.duckdb"
        with step(f"4e: year store: import {year.events:,} events ({year.bytes / MB:,.0f} MB)"):
            remove_db(store)
            self.create_customer(store)
            timing = self.ccstats_import(year, store)
        console.print(f"   imported in {timing.wall:.1f} s "
                      f"({year.events / timing.wall:,.0f} ev/s)")
        first, last = START, START + dt.timedelta(days=p.year_days - 1)
        dims = "project,user,date,time"
        runs: list[dict[str, float]] = []
        server = self.procs.serve(store, self.scratch / "year-server.log")
        try:
            with server.client(timeout=600.0) as client, \
                    step(f"4e: {p.year_runs} x {p.year_days} days, dimensions={dims}, "
                         "RSS sampled every 50 ms"):
                warm_up(client, first, first)
                for i in range(p.year_runs):
                    # vary the range by a day so that no run repeats the previous one
                    query = params(first, last - dt.timedelta(days=i % 2), dims)
                    before = rss_bytes(server.pid)
                    with RssSampler(server.pid) as sampler:
                        got = download(client, query)
                    runs.append({"rss_before": before, "rss_peak": sampler.peak,
                                 "growth": sampler.peak - before, "bytes": got.size,
                                 "seconds": got.seconds, "ttfb_s": got.ttfb,
                                 "samples": sampler.samples})
                    console.print(f"   run {i + 1}/{p.year_runs}: {got.size / MB:,.0f} MB in "
                                  f"{got.seconds:.1f} s, RSS {before / MB:,.0f} -> "
                                  f"{sampler.peak / MB:,.0f} MB")
        finally:
            self.procs.stop(server)
        remove_db(store)
        growth = statistics.median(r["growth"] for r in runs) / MB
        first_growth = runs[0]["growth"] / MB
        quick = p.mode == "quick"  # too few agents for a 500 MB answer: size is not a target
        size = statistics.median(r["bytes"] for r in runs) / MB
        secs = statistics.median(r["seconds"] for r in runs)
        self.results.add(Row(f"4e year, dims=p,u,d,t ({p.year_agents} agents): answer size",
                             f"{size:,.0f} MB ({size / secs:,.0f} MB/s)", "", "",
                             f">= {YEAR_MIN_MB:g} MB" + (" (full mode)" if quick else ""),
                             None if quick else size >= YEAR_MIN_MB))
        said = f"{growth:,.0f} MB" + (f" (1st run {first_growth:,.0f} MB)" if len(runs) > 1 else "")
        self.results.add(Row("4e server RSS growth while streaming it (median)", said,
                             "", "", f"<= {YEAR_RSS_MB:g} MB", growth <= YEAR_RSS_MB))
        self.results.data["year"] = {
            "events": year.events, "agents": year.agents, "days": p.year_days,
            "import_s": timing.wall, "import_events_per_s": year.events / timing.wall,
            "runs": runs, "median_growth_bytes": growth * MB, "median_answer_bytes": size * MB,
        }


def _first(value: object) -> object:
    return value[0] if isinstance(value, list) and value else None


def same_file(a: Path, b: Path) -> bool:
    return a.exists() and b.exists() and a.read_bytes() == b.read_bytes()


def remove_db(db: Path) -> None:
    for path in (db, db.with_name(db.name + ".wal")):
        path.unlink(missing_ok=True)


def copy_db(source: Path, target: Path) -> None:
    """A copy of a database, written to disk before the timed work that follows it
    (else the kernel writes the copy back during that work, and every commit's
    fsync waits for it)."""
    remove_db(target)
    shutil.copy(source, target)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copy(wal, target.with_name(target.name + ".wal"))
    os.sync()


def post_all(server: Server, batches: list[bytes], clients: int, events: int) -> float:
    """POST every batch from ``clients`` threads; the wall time of the whole."""
    todo: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    for batch in batches:
        todo.put(batch)
    stored = [0] * clients
    failures: list[str] = []
    headers = {"Content-Type": "application/x-ndjson"}

    def worker(index: int) -> None:
        with server.client(timeout=600.0) as client:
            while not failures:
                try:
                    batch = todo.get_nowait()
                except queue.Empty:
                    return
                response = client.post("/v2/events", content=batch, headers=headers)
                if response.status_code != 200:
                    failures.append(f"{response.status_code}: {response.text[:300]}")
                    return
                stored[index] += int(response.json()["response"]["stored"])

    with server.client() as client:  # verify the key once, untimed
        client.get("/v2/projects").raise_for_status()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    if failures:
        raise BenchmarkError(f"POST /v2/events failed: {failures[0]}")
    if sum(stored) != events:
        raise BenchmarkError(f"POST /v2/events stored {sum(stored)} events, expected {events}")
    return wall


#: The mix of 4f: (name, dimensions, further options); "N random" users are drawn per request.
MIXED: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("user", "user", {}),
    ("project", "project", {}),
    ("date", "date", {}),
    ("time", "time", {}),
    ("project,date", "project,date", {}),
    ("user, 4 fields", "user",
     {"fields": "callOutAttempt,callOutReached,userstateCall,userstateAvailable"}),
    ("project,user, 10 users", "project,user", {"users": "10 random"}),
    ("user,date, 5 users", "user,date", {"users": "5 random"}),
)


def mixed_load(server: Server, plan: Plan, seed: int) -> dict[str, Any]:
    """``plan.load_clients`` threads send mixed month queries until the time is up."""
    deadline = time.perf_counter() + plan.load_seconds
    done: list[list[tuple[str, float]]] = [[] for _ in range(plan.load_clients)]
    errors: list[str] = []
    sizes = [0] * plan.load_clients
    lock = threading.Lock()

    def query(rng: random.Random) -> tuple[str, dict[str, str]]:
        [(first, last)] = month_ranges(1, plan.days, rng)
        name, dims, extra = rng.choice(MIXED)
        chosen = dict(extra)
        if "users" in chosen:
            count = int(chosen["users"].split()[0])
            chosen["users"] = ",".join(str(u) for u in rng.sample(range(1, plan.agents + 1),
                                                                  min(count, plan.agents)))
        return name, params(first, last, dims, **chosen)

    def worker(index: int) -> None:
        rng = random.Random(seed + index)
        with server.client(timeout=60.0) as client:
            while time.perf_counter() < deadline:
                name, wanted = query(rng)
                began = time.perf_counter()
                try:
                    response = client.get(STATS, params=wanted)
                    took = time.perf_counter() - began
                    sizes[index] += len(response.content)
                    if response.status_code != 200:
                        with lock:
                            errors.append(f"{response.status_code} {wanted}")
                except httpx.HTTPError as error:
                    took = time.perf_counter() - began
                    with lock:
                        errors.append(f"{type(error).__name__} {wanted}")
                done[index].append((name, took))

    with server.client() as client:
        warm_up(client, START + dt.timedelta(days=28), START + dt.timedelta(days=55))
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(plan.load_clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    flat = [item for per_client in done for item in per_client]
    if not flat:
        raise BenchmarkError("the mixed load made no request")
    latencies = [took for _, took in flat]
    by_kind = {
        name: {"requests": len(times), "p50_s": statistics.median(times),
               "p99_s": percentile(times, 99)}
        for name, _, _ in MIXED
        if (times := [took for kind, took in flat if kind == name])
    }
    console.print(f"   {len(flat):,} requests in {wall:.1f} s, {len(errors)} errors, "
                  f"{sum(sizes) / MB:,.0f} MB received; p50 by kind: "
                  + ", ".join(f"{k} {v['p50_s'] * 1000:,.0f} ms" for k, v in by_kind.items()))
    return {"requests": len(flat), "errors": len(errors), "first_errors": errors[:5],
            "seconds": wall, "requests_per_s": len(flat) / wall,
            "p50_s": statistics.median(latencies), "p99_s": percentile(latencies, 99),
            "max_s": max(latencies), "bytes": sum(sizes), "by_kind": by_kind}


# ---------------------------------------------------------------------------------------
# report


def order(row: Row) -> str:
    """Rows by metric number (1, 2, 3, 4a ... 4f); the rest last, in the order added."""
    first = row.metric.split()[0]
    return first if first[:1].isdigit() else "9"


def report(results: Results, plan: Plan, main: Dataset, load_before: tuple[float, ...],
           total_s: float, output: Path, code: dict[str, object]) -> None:
    load_after = load_average()
    modified = " + uncommitted changes in src/" if code["src_modified"] else ""
    table = Table(
        title=f"ccstats benchmarks ({plan.mode}): S = {plan.agents:,} agents x {plan.days} days "
              f"= {main.events:,} events; {os.cpu_count()} cores",
        caption=f"medians; ours and baseline measured in the same run, one after the other; "
                f"zone {TIMEZONE}; load average before {load_before[0]:.2f} "
                f"(5 min {load_before[1]:.2f}), after {load_after[0]:.2f}; "
                f"total {total_s / 60:.1f} min; code: commit {code['commit']}{modified}",
    )
    backends = list(results.columns)
    for column in ("metric", "ours", *backends, "baseline", "ratio", "target", "met?"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for row in sorted(results.rows, key=order):
        met = "" if row.met is None else ("[green]yes[/]" if row.met else "[red]no[/]")
        table.add_row(row.metric, row.ours,
                      *(results.columns[name].get(row.metric, "") for name in backends),
                      row.baseline, row.ratio, row.target, met)
    console.print(table)
    document = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": plan.mode,
        "plan": dataclasses.asdict(plan),
        "cpu_count": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "total_seconds": total_s,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "code": code,
        "dataset": {"events": main.events, "file_bytes": main.bytes, "agents": plan.agents,
                    "days": plan.days, "start": str(START), "timezone": TIMEZONE},
        "rows": [dataclasses.asdict(row) for row in sorted(results.rows, key=order)],
        "backends": results.columns,
        "measurements": results.data,
    }
    output.write_text(json.dumps(document, indent=2, default=str) + "\n")
    console.print(f"wrote {output}")


SRC = HERE.parent / "src" / "ccstats"


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


def check_cli() -> None:
    if not CCSTATS.exists():
        raise BenchmarkError(f"{CCSTATS} not found; run `make install`")


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ccstats benchmarks against baselines.")
    parser.add_argument("--quick", action="store_true",
                        help="about 1/10 of the data and fewer runs (a few minutes)")
    parser.add_argument("--workdir", type=Path, default=HERE / ".data",
                        help="cache of generated data and scratch space")
    parser.add_argument("--output", type=Path, default=None,
                        help="results JSON (default benchmarks/results.json, "
                             "results-quick.json with --quick)")
    parser.add_argument("--backend", default=None, metavar="URL",
                        help="also measure ours on this store (e.g. clickhouse://127.0.0.1:19000/"
                             "); its figures fill a column of their own")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    output = args.output or HERE / ("results-quick.json" if args.quick else "results.json")
    signal.signal(signal.SIGTERM, _terminate)
    began = time.perf_counter()
    load_before = load_average()
    console.print(f"ccstats benchmarks, {plan.mode} mode; {os.cpu_count()} cores; load average "
                  f"{load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")
    results = Results()
    code = code_state()
    console.print(f"code under test: commit {code['commit']}"
                  + (" + uncommitted changes in src/" if code["src_modified"] else ""))
    try:
        check_cli()
        args.workdir.mkdir(parents=True, exist_ok=True)
        with step("data (generated once, then cached)"):
            bench_main, new, extra, year = datasets(plan, args.workdir)
        with tempfile.TemporaryDirectory(dir=args.workdir, prefix="scratch-") as tmp, \
                Processes() as procs:
            bench = Bench(plan, args.workdir, Path(tmp), procs, results)
            with step(f"1: import S, {plan.import_runs} runs each (ccstats import, read_json)"):
                store, raw_db = bench.import_s(bench_main)
            with step("baseline database: normalise the raw events (untimed)"):
                prepared = run_json([sys.executable, str(BASELINES), "prepare", str(raw_db)],
                                    "baseline prepare")
                results.data["baseline_prepare"] = prepared
            with step("4a-4d, 4f: queries over HTTP against the S store, then baselines"):
                bench.queries(store, raw_db)
            with step(f"2: import {extra.events:,} more events into copies of the S store"):
                bench.import_more(store, extra, new)
            with step(f"3: POST /v2/events, {new.events:,} events, {plan.post_runs} runs"):
                bench.post_events(store, new)
            with step("4e: a year of hourly records: server memory while streaming"):
                bench.year(year)
            if args.backend:
                with step(f"the same metrics on {args.backend}"):
                    name = args.backend.split("://", 1)[0]
                    results.columns[name] = bench.backend_column(args.backend, bench_main,
                                                                 new, extra)
    except BenchmarkError as error:
        console.print(f"[red]error:[/] {error}")
        return 1
    except KeyboardInterrupt:
        console.print("[red]interrupted[/]; servers stopped, scratch files removed")
        return 130
    after = code_state()
    if after["src_sha256"] != code["src_sha256"]:
        console.print("[red]warning:[/] src/ccstats changed while the benchmark ran; "
                      "the figures mix versions of the code")
        results.add(Row("code under test unchanged during the run",
                        f"{code['commit']} -> {after['commit']}", target="unchanged", met=False))
    code["at_end"] = after
    report(results, plan, bench_main, load_before, time.perf_counter() - began, output, code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
