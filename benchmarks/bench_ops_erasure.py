"""Metric 7c: a user's erasure, whose cost is the DuckDB file's rewrite: `ccstats user erase
--db` against `cp` + fsync of the file, and `user erase --server` with statistics
requests sent one after another all along it (the one that comes while the server
rewrites its file waits for the rewrite) against the same request alone (see
`bench_operations`)."""

from __future__ import annotations

import re
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx

from bench_console import say
from bench_http import get
from bench_operator import Operator, command, request_ms, serve
from bench_plan import Bench
from bench_proc import CCSTATS, CUSTOMER, BenchmarkError, Server, run
from bench_results import MB, Row, faster, ms
from bench_stores import copy_db, cp_synced, remove_db

#: The agent erased: the demo's agents are users 1 .. agents.
ERASED_USER = 1
ERASED = re.compile(rf"erased user {ERASED_USER} \((.*)\) of {CUSTOMER}: (\d+) events")
SCRUBBED = "no file of the database holds them any more"
ERASE_ROUTE = f"/v2/operator/customers/{CUSTOMER}/users/{ERASED_USER}"
#: The name the erased agent is given first: no other user's name holds its bytes (the
#: users are named "User ID" when their first event registers them).
ERASED_NAME = "Zebulon Erased-Benchmark"


def erase(bench: Bench, db_store: Path, raw_db: Path, import_db_s: float) -> bool:
    """`ccstats user erase --db` on fresh copies of the S store, and `cp` + fsync of its
    file; True when as many events went as the normalised table holds of the user."""
    store = bench.scratch / "ops-erase.duckdb"
    walls: list[float] = []
    copies: list[float] = []
    erased, size = 0, 0
    for i in range(bench.plan.ops_runs):
        copy_db(db_store, store)
        timing, said = run([str(CCSTATS), "user", "erase", str(ERASED_USER), "--customer",
                            CUSTOMER, "--db", str(store)], "ccstats user erase")
        if SCRUBBED not in said:
            raise BenchmarkError(f"ccstats user erase said {said.strip()[-300:]!r}")
        erased = _erased(said)[1]
        size = store.stat().st_size
        walls.append(timing.wall)
        copies.append(cp_synced(db_store, bench.scratch / "ops-cp.duckdb").synced)
        say(f"run {i + 1}/{bench.plan.ops_runs}: user erase {walls[-1]:.2f} s, "
            f"cp + fsync {copies[-1]:.3f} s")
    remove_db(store)
    with duckdb.connect(str(raw_db), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM ev WHERE user_id = ?", [ERASED_USER]).fetchone()
    expected = int(row[0]) if row else -1
    o, b = statistics.median(walls), statistics.median(copies)
    source = db_store.stat().st_size
    bench.results.add(Row(
        "ops.erase.time",
        f"7c user erase --db: an agent ({erased:,} events), {source / MB:,.1f} MB rewritten",
        f"{o:.2f} s", f"cp + fsync {ms(b)}", faster(o, b),
        f"<= import --db of S ({import_db_s:.1f} s)", o <= import_db_s))
    bench.results.data["operations"]["erase"] = {
        "user": ERASED_USER, "erased": erased, "duckdb_events": expected,
        "store_bytes": source, "rewritten_bytes": size, "command_s": walls,
        "cp_fsync_s": copies, "command_median_s": o, "cp_fsync_median_s": b,
        "import_db_median_s": import_db_s,
    }
    return erased == expected


def erase_through_server(bench: Bench, op: Operator, db_store: Path,
                         query: dict[str, str]) -> bool:
    """Each run on a fresh copy of the S store, served: `query` alone, then `ccstats user
    erase --server` with `query` sent again and again until it ends; True when every
    erasure rewrote the server's file at once and left no byte of the user's name in it."""
    store = bench.scratch / "ops-erase-server.duckdb"
    measured: list[dict[str, Any]] = []
    clean = True
    for i in range(bench.plan.ops_runs):
        copy_db(db_store, store)
        server = serve(bench, op, store, "ops-erase")
        try:
            with server.client(timeout=600.0) as client:
                named = client.put(f"/v2/users/{ERASED_USER}", json={"name": ERASED_NAME})
                if named.status_code != 200:
                    raise BenchmarkError(f"PUT /v2/users answered {named.text[:300]}")
                get(client, query)  # the key verified and the store warm, untimed
                alone = get(client, query)[0]
                run_data = _erase_during(op, server, client, query)
            run_data["server_s"] = request_ms(server, "DELETE", ERASE_ROUTE) / 1000
        finally:
            bench.procs.stop(server)
        name = run_data.pop("name")
        clean = (clean and run_data["scrubbed"] and name == ERASED_NAME
                 and ERASED_NAME.encode() not in store.read_bytes())
        measured.append({"query_alone_s": alone, **run_data})
        say(f"run {i + 1}/{bench.plan.ops_runs}: erase on the server {run_data['server_s']:.2f} s"
            f", {len(run_data['queries_s'])} queries during it, the longest "
            f"{ms(run_data['longest_s'])} (alone {ms(alone)})")
    remove_db(store)
    erase_s = statistics.median(m["server_s"] for m in measured)
    longest = statistics.median(m["longest_s"] for m in measured)
    alone = statistics.median(m["query_alone_s"] for m in measured)
    bench.results.add(Row(
        "ops.erase.query_wait",
        "7c user erase --server: the longest month by user sent during it (file rewritten)",
        f"{ms(longest)} (erasure {erase_s:.2f} s)", f"without {ms(alone)}",
        faster(longest, alone), "waits <= the erasure's time", longest - alone <= erase_s))
    bench.results.data["operations"]["erase_server"] = {
        "query": query, "runs": measured, "server_median_s": erase_s,
        "longest_median_s": longest, "query_alone_median_s": alone, "clean": clean,
    }
    return clean


def _erase_during(op: Operator, server: Server, client: httpx.Client,
                  query: dict[str, str]) -> dict[str, Any]:
    """The erasure's command in a thread, `query` sent one after another until it ends."""
    said: dict[str, str] = {}
    failed: list[BenchmarkError] = []

    def erasure() -> None:
        try:
            said["out"] = command(op, server, ["user", "erase", str(ERASED_USER),
                                               "--customer", CUSTOMER])[1]
        except BenchmarkError as error:
            failed.append(error)

    thread = threading.Thread(target=erasure)
    began = time.perf_counter()
    thread.start()
    queries: list[float] = []
    while thread.is_alive():
        queries.append(get(client, query)[0])
    command_s = time.perf_counter() - began
    if failed:
        raise failed[0]
    name, _ = _erased(said["out"])
    return {"queries_s": queries, "longest_s": max(queries), "command_s": command_s,
            "scrubbed": SCRUBBED in said["out"], "name": name}


def _erased(said: str) -> tuple[str, int]:
    """The erased user's name and events, from the command's output."""
    found = ERASED.search(said)
    if found is None:
        raise BenchmarkError(f"ccstats user erase said {said.strip()[-300:]!r}")
    return found[1], int(found[2])
