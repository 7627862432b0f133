"""`benchmarks/run.py --table`: the README's table from a results file, every figure
found by its metric's id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ccstats

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
#: The benchmark imports the code under test.
ENV = {**os.environ, "PYTHONPATH": str(Path(ccstats.__file__).parents[1])}


def _table(results: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BENCHMARKS / "run.py"), "--table", str(results)],
                          capture_output=True, text=True, env=ENV, timeout=120, check=False)


def _cells(markdown: str) -> list[list[str]]:
    return [line.removeprefix("| ").removesuffix(" |").split(" | ")
            for line in markdown.splitlines()]


def _row(metric: str, ours: str, met: bool | None = None) -> dict[str, object]:
    return {"metric": metric, "ours": ours, "baseline": "", "ratio": "", "target": "",
            "met": met}


#: Every committed results file (`run.py`, `--queues-only`, `--realtime-only`,
#: `--operations-only`; full and `--quick`) -> ids among its rows.
COMMITTED = {
    "results.json": {"import.S.rate", "query.4a.p50", "query.4f.errors"},
    "results-quick.json": {"import.S.rate", "query.4a.p50", "query.4f.errors"},
    "results-queues.json": {"import.queues.rate", "answers.queues.identical"},
    "results-realtime.json": {"realtime.onlineusers.p50", "answers.realtime.identical"},
    "results-realtime-quick.json": {"realtime.onlineusers.p50", "answers.realtime.identical"},
    "results-operations.json": {"ops.import.rate", "ops.backup.time", "ops.prune.time",
                                "ops.erase.time", "ops.erase.query_wait",
                                "answers.ops.identical"},
    "results-operations-quick.json": {"ops.import.rate", "ops.backup.time", "ops.prune.time",
                                      "ops.erase.time", "ops.erase.query_wait",
                                      "answers.ops.identical"},
}


def test_every_results_file_is_known() -> None:
    assert {path.name for path in BENCHMARKS.glob("results*.json")} == set(COMMITTED)


@pytest.mark.parametrize("name", sorted(COMMITTED))
def test_the_committed_results_have_a_row_per_metric(name: str) -> None:
    document = json.loads((BENCHMARKS / name).read_text())
    shown = _table(BENCHMARKS / name)
    assert shown.returncode == 0, shown.stderr
    cells = _cells(shown.stdout)
    assert cells[0][:2] == ["metric", "ours"] and cells[0][-1] == "met?"
    assert [row[0] for row in cells[2:]] == [row["metric"] for row in document["rows"].values()]
    assert COMMITTED[name] <= set(document["rows"])


def test_rows_come_in_metric_order_with_each_store_s_figure_beside_its_own(
        tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps({
        "rows": {"query.4a.p50": _row("4a month: p50", "20.0 ms", True),
                 "import.S.rate": _row("1 import S (1.00M ev, 1 MB): rate", "1 ev/s", False),
                 "post.empty": _row("3 (diagnostic)", "2 ev/s")},
        "backends": {"other": {"query.4a.p50": "40.0 ms", "import.S.rate": "3 ev/s"}},
    }))
    shown = _table(results)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == [
        "| metric | ours | other | baseline | ratio | target | met? |",
        "|---|---|---|---|---|---|---|",
        "| 1 import S (1.00M ev, 1 MB): rate | 1 ev/s | 3 ev/s |  |  |  | no |",
        "| 3 (diagnostic) | 2 ev/s |  |  |  |  |  |",
        "| 4a month: p50 | 20.0 ms | 40.0 ms |  |  |  | yes |",
    ]


def test_an_unknown_metric_id_is_refused(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"rows": {"query.4z.p50": _row("4z", "1 ms")}}))
    shown = _table(results)
    assert shown.returncode != 0
    assert "unknown metric id 'query.4z.p50'" in shown.stderr
