"""How much data and how many repetitions (`FULL`, `QUICK`), and what every step shares."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from bench_proc import Processes
from bench_results import Results

#: The seed of the query ranges: every run, and every store of a run, asks the same.
RANGES_SEED = 20250106


@dataclass(frozen=True)
class Plan:
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
    realtime_runs: int = 100  # 6.1
    stream_posts: int = 100  # 6.2
    stream_load_rounds: int = 4  # 6.3
    streams: int = 200  # 6.3
    ops_runs: int = 3  # 7b, 7c
    backup_posts: int = 5  # 7b


FULL = Plan(
    mode="full", agents=1000, year_agents=400, import_runs=3, post_runs=3, month_runs=50,
    range_runs=30, day_runs=50, download_runs=5, year_runs=3, baseline_runs=3, pandas_runs=3,
    load_seconds=20.0,
)
QUICK = Plan(
    mode="quick", agents=100, year_agents=40, import_runs=2, post_runs=2, month_runs=20,
    range_runs=10, day_runs=20, download_runs=3, year_runs=1, baseline_runs=2, pandas_runs=2,
    load_seconds=8.0, realtime_runs=30, stream_posts=20, stream_load_rounds=2,
)


@dataclass
class Bench:
    """What the steps share: the plan, a scratch folder, the servers, the results."""

    plan: Plan
    scratch: Path
    procs: Processes
    results: Results
    rng: random.Random = field(default_factory=lambda: random.Random(RANGES_SEED))
