"""The baselines of 4a, 4b and 4d (`bench_baselines.py`), and whether they answer as ours.

DuckDB SQL over the raw events (``raw``: the read_json table) and over the normalised
events (``ev``) answer 4a and 4b, pandas answers 4a, and the grouped numbers fetched
into Python and serialised with orjson answer 4d.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_console import step
from bench_plan import Bench
from bench_proc import run_json
from bench_ranges import DateRange, QueryRanges, range_arg
from bench_stores import BASELINES, same_file


@dataclass(frozen=True)
class _Baselines:
    """Runs of `bench_baselines.py`, named by query and source ("a-raw", "a-pd", "d"...);
    each writes its first answer into the scratch folder."""

    bench: Bench
    raw_db: Path

    def out(self, name: str) -> Path:
        return self.bench.scratch / f"{name}-base.json"

    def ranges(self, items: list[DateRange], count: int) -> list[str]:
        return [arg for r in items[:count] for arg in ("--range", range_arg(*r))]

    def run(self, what: str, command: str, db: Path, *args: str) -> dict[str, Any]:
        return run_json([sys.executable, str(BASELINES), command, str(db), *args], what)

    def duckdb(self, name: str, dims: str, items: list[DateRange]) -> dict[str, Any]:
        source = name.split("-")[1]
        what = "the read_json table" if source == "raw" else "the normalised events"
        runs = self.bench.plan.baseline_runs
        with step(f"{name[0]} baseline: DuckDB SQL over {what}, {runs} runs"):
            return self.run(f"DuckDB baseline ({name})", "duckdb-query", self.raw_db,
                            "--source", source, "--dims", dims, *self.ranges(items, runs),
                            "--out", str(self.out(name)))

    def pandas(self, items: list[DateRange]) -> dict[str, Any]:
        runs = self.bench.plan.pandas_runs
        with step(f"4a baseline: pandas over the normalised events, {runs} months"):
            return self.run("pandas baseline (a)", "pandas-query", self.raw_db, "--dims", "user",
                            *self.ranges(items, runs), "--out", str(self.out("a-pd")))

    def render(self, store: Path, items: list[DateRange]) -> dict[str, Any]:
        runs = self.bench.plan.baseline_runs
        with step(f"4d baseline: grouped rows -> Python -> orjson, {runs} months"):
            return self.run("orjson baseline (d)", "render", store, *self.ranges(items, runs),
                            "--out", str(self.out("d")))


def query_baselines(bench: Bench, store: Path, raw_db: Path, ranges: QueryRanges,
                    answers: dict[str, Path], ours_d_sha256: str | None
                    ) -> tuple[dict[str, dict[str, Any]], dict[str, bool | None]]:
    """Each baseline's measurements, and whether its answer is ours byte for byte (None:
    not compared)."""
    runs = _Baselines(bench, raw_db)
    base = {
        "a-raw": runs.duckdb("a-raw", "user", ranges.months),
        "a-ev": runs.duckdb("a-ev", "user", ranges.months),
        "a-pd": runs.pandas(ranges.months),
        "b-raw": runs.duckdb("b-raw", "project,date", ranges.spans),
        "b-ev": runs.duckdb("b-ev", "project,date", ranges.spans),
        "d": runs.render(store, ranges.downloads),
    }
    same: dict[str, bool | None] = {
        name: same_file(answers[name[0]], runs.out(name))
        for name in ("a-raw", "a-ev", "b-raw", "b-ev")
    }
    same["a-pd"] = (None if "skipped" in base["a-pd"]
                    else same_file(answers["a"], runs.out("a-pd")))
    same["d"] = ours_d_sha256 == _first(base["d"].get("sha256"))
    return base, same


def _first(value: object) -> object:
    return value[0] if isinstance(value, list) and value else None
