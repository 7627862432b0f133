"""The stores of the benchmark: made, filled and copied with the CLI, or removed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

from bench_data import TIMEZONE, Dataset
from bench_proc import CCSTATS, CUSTOMER, PASSWORD, BenchmarkError, Timing, run

HERE = Path(__file__).resolve().parent
BASELINES = HERE / "bench_baselines.py"


def create_customer(db: Path | str) -> None:
    run([str(CCSTATS), "customer", "create", CUSTOMER, "--timezone", TIMEZONE,
         "--password", PASSWORD, "--db", str(db)], "ccstats customer create")


def ccstats_import(data: Dataset, db: Path | str) -> Timing:
    """`ccstats import` of the file, checked to store every event."""
    timing, said = run([str(CCSTATS), "import", str(data.path), "--customer", CUSTOMER,
                        "--db", str(db)], f"ccstats import {data.path.name}")
    stored = re.search(r"stored (\d+) events", said)
    if stored is None or int(stored[1]) != data.events:
        raise BenchmarkError(f"ccstats import said {said.strip()[-300:]!r}, "
                             f"expected {data.events} events")
    return timing


def read_json(data: Dataset, db: Path, sample_all: bool = False) -> Timing:
    """DuckDB's read_json of the file into a new database (the import's baseline); with
    `sample_all`, its columns are taken from every line, not from a sample."""
    remove_db(db)
    timing, said = run([sys.executable, str(BASELINES), "read-json", str(db),
                        str(data.path), *(["--sample-all"] if sample_all else [])],
                       "DuckDB read_json")
    if f'"rows": {data.events}' not in said:
        raise BenchmarkError(f"read_json stored {said.strip()!r}, expected {data.events}")
    return timing


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


class Copied(NamedTuple):
    cp: float  # seconds of `cp` alone
    synced: float  # seconds of `cp` and an fsync of the copy


def cp_synced(source: Path, target: Path) -> Copied:
    """`cp SOURCE TARGET`, then an fsync of TARGET (what a backup that survives a crash
    needs), timed after every earlier write reached the disk; TARGET is removed after."""
    target.unlink(missing_ok=True)
    os.sync()
    began = time.perf_counter()
    subprocess.run(["cp", str(source), str(target)], check=True, timeout=1800)
    copied = time.perf_counter() - began
    descriptor = os.open(target, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    synced = time.perf_counter() - began
    target.unlink()
    return Copied(copied, synced)


def same_file(a: Path, b: Path) -> bool:
    return a.exists() and b.exists() and a.read_bytes() == b.read_bytes()
