"""Metric 7c's baseline, run as a subprocess of `run.py`:

    python benchmarks/bench_ops_baselines.py prune DB --cutoff EPOCH

``prune``: in a database made by ``bench_baselines.py read-json`` and ``prepare`` (the
events of S normalised in table ``ev``: one row per event, timestamps as epoch
seconds, as ours stores them), DuckDB's ``DELETE`` of the events a retention with
this cutoff removes: those that ended before it, and the open ones that started
before it (``ccstats.store.selection``). With ours' write-ahead log threshold
(`CHECKPOINT_THRESHOLD`: at DuckDB's default of 16 MiB, the commit of millions of
deleted rows would also checkpoint the whole file, which ours defers). Only the
statement is timed (autocommit: its commit included), not opening the database.
Prints ``{"seconds": s, "deleted": n}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import duckdb

from ccstats.store.duckdb_store import CHECKPOINT_THRESHOLD

PRUNE = """DELETE FROM ev
WHERE t_end < $cutoff OR (t_end IS NULL AND t_start < $cutoff)"""


def prune(db: str, cutoff: int) -> dict[str, object]:
    with duckdb.connect(db) as con:
        con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        began = time.perf_counter()
        row = con.execute(PRUNE, {"cutoff": cutoff}).fetchone()
        seconds = time.perf_counter() - began
    return {"seconds": seconds, "deleted": int(row[0]) if row else 0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    pruning = sub.add_parser("prune")
    pruning.add_argument("db")
    pruning.add_argument("--cutoff", type=int, required=True, help="epoch seconds")
    args = parser.parse_args(argv)
    print(json.dumps(prune(args.db, args.cutoff)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
