"""`make mutants`: plant hand-written faults in the core and check that the tests notice.

Each `Mutant` replaces one exact piece of text of one source file. For every mutant
the repository's ``src`` and ``tests`` are copied to a temporary folder, the fault is
planted there and the fast correctness tests (`TESTS`, on DuckDB, stopping at the first
failure) must fail: the mutant is *killed*. A mutant whose tests pass *survived*: the
tests cannot tell the fault from the real code, and must be made stronger. The
unmutated copy runs the same tests first and must pass.

Before anything runs, every mutant's text must occur exactly once in its file: a
refactor that moves or rewrites it stops the script, and `MUTANTS` is updated with it.

Usage: ``python scripts/mutants.py [--jobs N] [--seed N] [NAME ...]`` (names select
mutants). Every run of the tests gets the same hypothesis seed (random unless
``--seed`` is given, printed either way) so that a survivor can be reproduced.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The fast correctness tests, cheapest first: the first failure ends a run.
TESTS = ("tests/test_buckets.py", "tests/test_render.py", "tests/test_oracle.py",
         "tests/test_seed_fixture.py", "tests/test_inbound_oracle.py")

#: A run of the tests that takes longer than this (seconds) is stopped and counts as failed.
TIMEOUT = 900


@dataclass(frozen=True)
class Mutant:
    """One planted fault: `original` (exactly once in `path`) becomes `replacement`."""

    name: str
    path: str
    original: str
    replacement: str
    breaks: str


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "contributions-continuation-second",
        "src/ccstats/store/contributions.py",
        "least(b, (q + 1) * {q}) - q * {q} AS secs",
        "least(b, (q + 1) * {q}) - q * {q} - (q % 97 = 0)::INTEGER AS secs",
        "a continuation piece whose quarter-hour is a multiple of 97 loses a second",
    ),
    Mutant(
        "queue-call-sla-strict",
        "src/ccstats/pipeline/queue_call_sql.py",
        'conditions.append(f"wait <= {int(manual_sla)}")',
        'conditions.append(f"wait < {int(manual_sla)}")',
        "a queue call whose wait equals manual_sla is not within the service level",
    ),
    Mutant(
        "queue-call-wait",
        "src/ccstats/store/queue_call_rows.py",
        "(coalesce(t_answer, t_end) - t_start)::INTEGER AS wait",
        "(coalesce(t_end, t_answer) - t_start)::INTEGER AS wait",
        "an answered queue call waits until its end rather than its answer",
    ),
    Mutant(
        "open-interval-counted",
        "src/ccstats/store/contributions.py",
        "    WHERE e.t_end IS NOT NULL\n",
        "    WHERE coalesce(e.t_end, e.t_start) IS NOT NULL\n",
        "an open userstate counts as a zero-length one",
    ),
    Mutant(
        "open-queue-call-counted",
        "src/ccstats/store/queue_call_rows.py",
        "WHERE type = '{QUEUE_CALL}' AND t_end IS NOT NULL",
        "WHERE type = '{QUEUE_CALL}'",
        "an open queue call counts as offered",
    ),
    Mutant(
        "contributions-count-quarter",
        "src/ccstats/store/contributions.py",
        "(a // {q})::INTEGER AS qh, 1 AS cnt",
        "((a + 1) // {q})::INTEGER AS qh, 1 AS cnt",
        "a span starting in a quarter-hour's last second counts in the next quarter-hour",
    ),
    Mutant(
        "buckets-segment-start",
        "src/ccstats/buckets.py",
        "segments.append(OffsetSegment(high, current))",
        "segments.append(OffsetSegment(high + 1, current))",
        "a zone's new offset starts one quarter-hour after the change",
    ),
    Mutant(
        "buckets-scan-start",
        "src/ccstats/buckets.py",
        "first = (self.first_day * DAY - max(offsets)) // QUARTER",
        "first = (self.first_day * DAY - max(offsets)) // QUARTER + 1",
        "the first quarter-hour of the first local date is not read",
    ),
    Mutant(
        "planner-last-slot",
        "src/ccstats/pipeline/sql.py",
        "WHERE minute BETWEEN {first_minute} AND {last_minute}",
        "WHERE minute BETWEEN {first_minute} AND {last_minute - 1}",
        "the last slot of every day is left out",
    ),
    Mutant(
        "planner-grain-30",
        "src/ccstats/pipeline/plan.py",
        "Grain.LOCAL_HOUR if query.interval == 60 else",
        "Grain.LOCAL_HOUR if query.interval >= 30 else",
        "interval=30 in the customer's zone is answered from the local hours",
    ),
    Mutant(
        "planner-field-order",
        "src/ccstats/pipeline/sql.py",
        'keys = [self.fields.positions(columns["field_id"]),',
        "keys = [",
        "a small answer's fields are listed in the engine's order, not the request's",
    ),
    Mutant(
        "planner-engine-field-order",
        "src/ccstats/pipeline/sql.py",
        '(dialect.index_in(ids, "field_id"),)',
        "()",
        "a large answer's fields are listed in the engine's order, not the request's",
    ),
    Mutant(
        "renderer-position",
        "src/ccstats/pipeline/plan.py",
        "lookup[list(self.field_ids)] = np.arange(len(self.field_ids))",
        "lookup[list(self.field_ids)] = np.arange(len(self.field_ids)) // 2 * 2",
        "fields at odd positions of the request are rendered as the field before them",
    ),
    Mutant(
        "planner-position",
        "src/ccstats/pipeline/dialect.py",
        '"list_position([{values}], {x}) - 1"',
        '"(list_position([{values}], {x}) - 1) // 2 * 2"',
        "fields at odd positions of the request are taken for the field before them",
    ),
    Mutant(
        "renderer-null-count",
        "src/ccstats/pipeline/render.py",
        'count, total = self._measures(cells, "null")',
        'count, total = self._measures(cells, "0")',
        "JSON answers give 0 for the count or sum of a field without one",
    ),
    Mutant(
        "renderer-shown-count",
        "src/ccstats/pipeline/render.py",
        'pc.take(self.has_count, position)',
        'pc.take(self.has_sum, position)',
        "a field's count is shown where the field has a sum",
    ),
    Mutant(
        "renderer-key-order",
        "src/ccstats/pipeline/render.py",
        "self.keyed = resource.ordered(query.dimensions)",
        "self.keyed = self.grouped",
        "a record's keys (csv columns) come in request order",
    ),
    Mutant(
        "resource-time-text",
        "src/ccstats/pipeline/resource.py",
        'Dimension("time", "time", "minute", Text.TIME)',
        'Dimension("time", "time", "minute", Text.NUMBER)',
        "a slot's time is written as minutes after midnight",
    ),
    Mutant(
        "replacement-first-wins",
        "src/ccstats/store/duckdb_batch.py",
        "PARTITION BY event_id ORDER BY line_no DESC",
        "PARTITION BY event_id ORDER BY line_no",
        "the first line of an id repeated in a batch wins",
    ),
    Mutant(
        "replacement-not-withdrawn",
        "src/ccstats/store/duckdb_batch.py",
        "self._deltas.append(sums_sql(replaced, -1))",
        "self._deltas.append(sums_sql(replaced, 0))",
        "a replaced event's old contribution stays",
    ),
    Mutant(
        "replacement-taken-as-unchanged",
        "src/ccstats/store/duckdb_batch.py",
        'for col in EVENT_COLUMNS.split(", ")',
        'for col in EVENT_COLUMNS.split(", ")[:2]',
        "a new version of an event of the same type is taken as unchanged",
    ),
    Mutant(
        "deletion-not-withdrawn",
        "src/ccstats/store/duckdb_batch.py",
        "append_sums(temp, c, zone, sums_sql(deleted, -1))",
        "append_sums(temp, c, zone, sums_sql(deleted, 0))",
        "a deleted event's contribution stays",
    ),
)


def check_targets(mutants: tuple[Mutant, ...]) -> list[str]:
    """A problem for every mutant whose text does not occur exactly once in its file."""
    problems = []
    for mutant in mutants:
        source = ROOT / mutant.path
        found = source.read_text(encoding="utf-8").count(mutant.original) if source.is_file() else 0
        if found != 1:
            problems.append(f"{mutant.name}: {mutant.original!r} occurs {found} times in "
                            f"{mutant.path}; update MUTANTS in {Path(__file__).name}")
    return problems


def copy_tree(folder: Path) -> Path:
    """A copy of the repository's sources and tests in `folder`, with the shared fixtures
    beside it (where the tests look for them)."""
    tree = folder / "ccstats"
    ignore = shutil.ignore_patterns("__pycache__", ".hypothesis", "*.duckdb*")
    for part in ("src", "tests"):
        shutil.copytree(ROOT / part, tree / part, ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", tree / "pyproject.toml")
    shared = ROOT.parent / "shared"
    if shared.exists():
        (folder / "shared").symlink_to(shared.resolve(), target_is_directory=True)
    return tree


def plant(tree: Path, mutant: Mutant) -> None:
    source = tree / mutant.path
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace(mutant.original, mutant.replacement, 1), encoding="utf-8")


@dataclass(frozen=True)
class Outcome:
    """How `TESTS` went on one copy of the tree."""

    passed: bool
    seconds: float
    failure: str
    """The first failing test (pytest's summary line), or why the run failed."""


def _first_failure(output: str) -> str:
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" ", 1)[1][:120]
    return output.strip().splitlines()[-1] if output.strip() else "no output"


def run_tests(mutant: Mutant | None, seed: int) -> Outcome:
    """How `TESTS` go on a copy of the tree with `mutant` planted (if any)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ccstats-mutant-") as folder:
        tree = copy_tree(Path(folder))
        if mutant is not None:
            plant(tree, mutant)
        env = {k: v for k, v in os.environ.items() if k != "CCSTATS_TEST_DB"}
        env["PYTHONPATH"] = str(tree / "src")
        command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                   "-rfE", "--hypothesis-profile=mutants", f"--hypothesis-seed={seed}", *TESTS]
        try:
            done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True,
                                  timeout=TIMEOUT, check=False)
            passed, failure = done.returncode == 0, _first_failure(done.stdout + done.stderr)
        except subprocess.TimeoutExpired:
            passed, failure = False, f"timed out after {TIMEOUT} s"
    return Outcome(passed, time.monotonic() - started, "" if passed else failure)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="run only these mutants")
    parser.add_argument("--jobs", type=int, default=2, help="test runs at a time")
    parser.add_argument("--seed", type=int, default=random.randrange(2**32),
                        help="hypothesis seed of every run")
    options = parser.parse_args()
    unknown = set(options.names) - {m.name for m in MUTANTS}
    if unknown:
        parser.error(f"no mutant called {', '.join(sorted(unknown))}")
    problems = check_targets(MUTANTS)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    chosen = [m for m in MUTANTS if not options.names or m.name in options.names]
    print(f"{len(chosen)} mutants, {options.jobs} at a time, --hypothesis-seed={options.seed}: "
          f"{' '.join(TESTS)}", flush=True)
    started = time.monotonic()
    runs: list[Mutant | None] = [None, *chosen]
    with ThreadPoolExecutor(options.jobs) as pool:
        outcomes = list(pool.map(lambda m: run_tests(m, options.seed), runs))
    status = report(runs, outcomes, options.seed)
    print(f"{time.monotonic() - started:.0f} s in all")
    return status


def report(runs: list[Mutant | None], outcomes: list[Outcome], seed: int) -> int:
    """Print the table (mutant, result, seconds, what it breaks and the test that saw it);
    1 if the unmutated tree failed or a mutant survived, else 0."""
    width = max(len(m.name) if m else 11 for m in runs)
    failed = False
    for mutant, outcome in zip(runs, outcomes, strict=True):
        if mutant is None:
            name, verdict = "(unmutated)", "passed" if outcome.passed else "FAILED"
            detail = outcome.failure
            failed |= not outcome.passed
        else:
            name, verdict = mutant.name, "SURVIVED" if outcome.passed else "killed"
            detail = f"{mutant.breaks}; {mutant.path}" if outcome.passed else (
                f"{mutant.breaks} <- {outcome.failure}")
            failed |= outcome.passed
        print(f"{name:<{width}}  {verdict:<8}  {outcome.seconds:5.1f} s  {detail}")
    if failed:
        print(f"reproduce one run with: python scripts/mutants.py --seed {seed} NAME",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
