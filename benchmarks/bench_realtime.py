"""Metric 6: real time (realtime.md), against `ccstats serve` over HTTP.

The store: S, then `bench_realtime_data`'s file (a day of history that ends a minute
before now, 1,000 agents online, 200 callers waiting), imported with `ccstats import`.

* 6.1: ``GET /v2/onlineusers`` and ``GET /v2/realtime/queues``, each after an untimed
  request, latency of every request. Baselines (`bench_realtime_baselines.py`):
  straightforward DuckDB SQL over the ``read_json`` table of the same two files, at
  a fixed ``now``. Our answer compared with theirs is one whose request began and
  ended within the same second (asked again until one does): the server's ``now``
  is that second, and the baseline answers at it, byte for byte.
* 6.2 and 6.3: `bench_streams`.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench_console import say, step
from bench_data import Dataset
from bench_http import get
from bench_load import percentile
from bench_metrics import ONLINE_USERS_P50_MS, STREAM_P99_S, STREAMS_LOAD_P99_RATIO
from bench_plan import Bench
from bench_proc import BenchmarkError, run_json
from bench_realtime_data import ONLINE, WAITING, realtime_file
from bench_results import Row, faster, ms
from bench_stores import ccstats_import, copy_db, create_customer, remove_db, same_file
from bench_streams import stream_latency, streams_load

HERE = Path(__file__).resolve().parent
BASELINES = HERE / "bench_realtime_baselines.py"
RESOURCES = {"onlineusers": ("/v2/onlineusers", "/v2/users"),
             "queues": ("/v2/realtime/queues", "/v2/queues")}
#: Tries at an answer whose request stays within one second.
SAME_SECOND_TRIES = 20


def realtime(bench: Bench, main: Dataset, s_store: Path | None) -> None:
    """Metric 6 on a store of S (a copy of `s_store`, else imported) plus the live file."""
    store, raw_db = bench.scratch / "realtime.duckdb", bench.scratch / "realtime-raw.duckdb"
    with step(f"6: the store: S, a day of history, {ONLINE:,} agents online, "
              f"{WAITING} callers waiting"):
        if s_store is None:
            remove_db(store)
            create_customer(store)
            ccstats_import(main, store)
        else:
            copy_db(s_store, store)
        live, _ = realtime_file(bench.scratch / "realtime.ndjson", int(time.time()))
        ccstats_import(live, store)
        say(f"{live.events:,} events on top of S")
    with step("6: DuckDB read_json of the same files for the baselines (untimed)"):
        run_json([sys.executable, str(BASELINES), "prepare", str(raw_db), str(main.path),
                  str(live.path)], "realtime baseline prepare")
    measured: dict[str, Any] = {"events": live.events}
    server = bench.procs.serve(store, bench.scratch / "realtime-server.log")
    try:
        with server.client() as client:
            for name, (path, names) in RESOURCES.items():
                bench.scratch.joinpath(f"rt-{name}-names.json").write_bytes(
                    get(client, {}, names)[1])
                measured[name] = _requests(bench, client, name, path)
        measured["stream"] = stream_latency(bench, server)
        measured["load"] = streams_load(bench, server)
    finally:
        bench.procs.stop(server)
    for name in RESOURCES:
        measured[name]["baseline"] = _baseline(bench, name, raw_db, measured[name]["now"])
        measured[name]["answers_equal"] = same_file(_answer(bench, name, "ours"),
                                                    _answer(bench, name, "base"))
    remove_db(raw_db)
    bench.results.data["realtime"] = measured
    _rows(bench, measured)


def _answer(bench: Bench, name: str, whose: str) -> Path:
    return bench.scratch / f"rt-{name}-{whose}.json"


def _same_second(client: httpx.Client, path: str) -> tuple[int, bytes]:
    """An answer whose request began and ended within one second, and that second."""
    for _ in range(SAME_SECOND_TRIES):
        before = int(time.time())
        _, body = get(client, {}, path)
        if int(time.time()) == before:
            return before, body
    raise BenchmarkError(f"no answer of {path} within one second in {SAME_SECOND_TRIES} tries")


def _requests(bench: Bench, client: httpx.Client, name: str, path: str) -> dict[str, Any]:
    runs = bench.plan.realtime_runs
    with step(f"6.1: {runs} x GET {path}"):
        get(client, {}, path)
        seconds = [get(client, {}, path)[0] for _ in range(runs)]
        now, body = _same_second(client, path)
        _answer(bench, name, "ours").write_bytes(body)
    say(f"p50 {ms(statistics.median(seconds))}, {len(body):,} bytes")
    return {"seconds": seconds, "p50_s": statistics.median(seconds),
            "p99_s": percentile(seconds, 99), "bytes": len(body), "now": now}


def _baseline(bench: Bench, name: str, raw_db: Path, now: int) -> dict[str, Any]:
    runs = bench.plan.baseline_runs + 3
    with step(f"6.1: {name} baseline: DuckDB SQL over the read_json table, {runs} runs"):
        return run_json([sys.executable, str(BASELINES), name, str(raw_db), "--now", str(now),
                         "--names", str(bench.scratch / f"rt-{name}-names.json"),
                         "--runs", str(runs), "--out", str(_answer(bench, name, "base"))],
                        f"{name} realtime baseline")


def _rows(bench: Bench, measured: dict[str, Any]) -> None:
    for name, metric, target in (("onlineusers", "realtime.onlineusers.p50",
                                  ONLINE_USERS_P50_MS),
                                 ("queues", "realtime.queues.p50", None)):
        p50 = measured[name]["p50_s"]
        base = statistics.median(measured[name]["baseline"]["seconds"])
        bench.results.add(Row(
            metric, f"6 GET {RESOURCES[name][0]} ({ONLINE:,} online, {WAITING} waiting): p50",
            ms(p50), f"DuckDB {ms(base)}", faster(p50, base),
            "" if target is None else f"<= {target:g} ms",
            None if target is None else p50 * 1000 <= target))
    same = {name: bool(measured[name]["answers_equal"]) for name in RESOURCES}
    bench.results.add(Row("answers.realtime.identical",
                          "6 baseline answers byte-identical to ours (same now)",
                          ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in same.items()),
                          "", "", "all equal", all(same.values())))
    _stream_row(bench, measured["stream"])
    _load_row(bench, measured["load"])


def _stream_row(bench: Bench, stream: dict[str, Any]) -> None:
    ours, poll = stream["stream"], stream["poll"]
    p99, base = ours["p99_s"], poll["p99_s"]
    failed = ours["missed"] + ours["errors"]
    bench.results.add(Row(
        "realtime.stream.p99",
        f"6 POST /v2/events -> snapshot on a stream, {len(ours['seconds'])} posts: p99",
        ms(p99) + (f", {failed} missed" if failed else ""),
        f"polling 1/s {ms(base)}", faster(p99, base), f"<= {STREAM_P99_S:g} s",
        p99 <= STREAM_P99_S and failed == 0))


def _load_row(bench: Bench, load: dict[str, Any]) -> None:
    with_, without = load["with_p99_s"], load["without_p99_s"]
    errors = (sum(r["errors"] + r["posts"]["errors"] for done in load["rounds"].values()
                  for r in done)
              + sum(s["errors"] for s in load["streams"]))
    streams = bench.plan.streams
    ratio = with_ / without if without > 0 else float("inf")
    bench.results.add(Row(
        "realtime.streams.load",
        f"6 {bench.plan.load_clients} clients' statistics p99 with {streams} open streams",
        f"{ms(with_)}, {errors} errors", f"without streams {ms(without)}",
        f"{ratio:.2f}x", f"<= {STREAMS_LOAD_P99_RATIO:g}x, 0 errors",
        ratio <= STREAMS_LOAD_P99_RATIO and errors == 0))
