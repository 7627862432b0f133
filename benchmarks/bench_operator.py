"""Metric 7's servers: `ccstats serve` with the operator routes, and the administering
commands (`--server URL`) sent to them with the operator key."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from bench_plan import Bench
from bench_proc import CCSTATS, BenchmarkError, Server, Timing, run


@dataclass(frozen=True)
class Operator:
    """A fresh operator key: its file (for the servers) and the commands' environment."""

    key_file: Path
    env: dict[str, str]

    @property
    def key(self) -> str:
        return self.env["CCSTATS_OPERATOR_KEY"]


def operator(scratch: Path) -> Operator:
    """A new key made by `ccstats operator-key new`, written to a file of the scratch folder."""
    _, said = run([str(CCSTATS), "operator-key", "new"], "ccstats operator-key new")
    key = said.strip().splitlines()[0]
    key_file = scratch / "operator.key"
    key_file.write_text(key + "\n")
    return Operator(key_file, {**os.environ, "CCSTATS_OPERATOR_KEY": key})


def serve(bench: Bench, op: Operator, db: Path, name: str) -> Server:
    """`ccstats serve` on `db` with the operator routes; no scheduled prune (the benchmark
    prunes by hand, timed)."""
    return bench.procs.serve(db, bench.scratch / f"{name}-server.log",
                             ["--operator-key-file", str(op.key_file), "--prune-every", "0"])


def command(op: Operator, server: Server, argv: list[str]) -> tuple[Timing, str]:
    """`ccstats ARGV --server URL`, timed; its output."""
    return run([str(CCSTATS), *argv, "--server", server.url], f"ccstats {' '.join(argv)}",
               env=op.env)


def request_ms(server: Server, method: str, path: str) -> float:
    """The server's own time of its last request `method path`, from its access log."""
    found: float | None = None
    for line in server.log.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("method") == method and entry.get("path") == path and "ms" in entry:
            found = float(entry["ms"])
    if found is None:
        raise BenchmarkError(f"no {method} {path} in the access log {server.log}")
    return found
