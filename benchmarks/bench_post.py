"""Metric 3: POST /v2/events of the new days in batches from several clients."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path

from bench_console import say
from bench_data import Dataset
from bench_http import batches, post_all
from bench_metrics import POST_RATE
from bench_plan import Bench
from bench_results import Row, rate
from bench_stores import copy_db, create_customer, remove_db


def post_events(bench: Bench, store: Path, new: Dataset) -> None:
    """Into copies of the S store; then, as a diagnostic, into empty stores."""
    p = bench.plan
    sent = batches(new, p.batch_events)
    copy = bench.scratch / "post.duckdb"

    def empty() -> None:
        remove_db(copy)
        create_customer(copy)

    walls = _runs(bench, new, sent, copy, "a copy of the S store", lambda: copy_db(store, copy))
    empty_walls = _runs(bench, new, sent, copy, "an empty store (diagnostic)", empty)
    remove_db(copy)
    w, e = statistics.median(walls), statistics.median(empty_walls)
    bench.results.add(Row(
        "post.rate",
        f"3 POST /v2/events ({p.post_clients} clients, {p.batch_events:,}-event batches)",
        rate(new.events, w), "", "", f">= {POST_RATE:,} ev/s", new.events / w >= POST_RATE))
    bench.results.add(Row("post.empty", "3 (diagnostic: the same POSTs into an empty store)",
                          rate(new.events, e)))
    bench.results.data["post_events"] = {
        "events": new.events, "batches": len(sent), "clients": p.post_clients,
        "seconds": walls, "median_s": w, "events_per_s": new.events / w,
        "empty_store_seconds": empty_walls, "empty_store_events_per_s": new.events / e,
    }


def _runs(bench: Bench, new: Dataset, sent: list[bytes], db: Path, into: str,
          prepare: Callable[[], None]) -> list[float]:
    """The wall times of POSTing every batch to a server on `db`, made by `prepare`."""
    walls: list[float] = []
    for i in range(bench.plan.post_runs):
        prepare()
        server = bench.procs.serve(db, bench.scratch / "post-server.log")
        try:
            walls.append(post_all(server, sent, bench.plan.post_clients, new.events))
        finally:
            bench.procs.stop(server)
        say(f"run {i + 1}/{bench.plan.post_runs} into {into}: {new.events:,} events "
            f"in {walls[-1]:.1f} s ({new.events / walls[-1]:,.0f} ev/s)")
    return walls
