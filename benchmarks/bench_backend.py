"""The same metrics on another store (`--backend URL`): a further column of the table.

Metrics 1, 2, 3 (into an empty store), 4a-4d and 4f with ``--db URL``. Each store is
a new database of that server, made with ``ccstats migrate`` and dropped afterwards.
Queries use the ranges of the main run (the same seed); each import runs once.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager

from bench_console import step
from bench_data import Dataset
from bench_http import batches, post_all
from bench_plan import RANGES_SEED, Bench
from bench_proc import CCSTATS, run
from bench_queries import measure
from bench_ranges import QueryRanges
from bench_results import ms, rate
from bench_stores import ccstats_import, create_customer, same_file


def backend_column(bench: Bench, url: str, main: Dataset, new: Dataset,
                   extra: Dataset) -> dict[str, str]:
    """Our figure on the store at `url` by metric id."""
    values: dict[str, str] = {}
    with _databases(url, ("s", "post")) as (s_url, post_url):
        with step(f"{url}: 1, import S"):
            took = ccstats_import(main, s_url)
        values["import.S.rate"] = rate(main.events, took.wall)
        values["import.S.time"] = f"{took.wall:.1f} s (CPU {took.cpu:.1f} s)"
        values.update(_queries(bench, s_url))
        with step(f"{url}: 2, import {extra.events:,} more events into S"):
            took = ccstats_import(extra, s_url)
        values["import.more.rate"] = rate(extra.events, took.wall)
        with step(f"{url}: 3, POST /v2/events into an empty store"):
            server = bench.procs.serve(post_url, bench.scratch / "backend-post.log")
            try:
                seconds = post_all(server, batches(new, bench.plan.batch_events),
                                   bench.plan.post_clients, new.events)
            finally:
                bench.procs.stop(server)
        values["post.empty"] = rate(new.events, seconds)
    return values


@contextmanager
def _databases(url: str, names: tuple[str, str]) -> Iterator[tuple[str, str]]:
    """Two new databases of the server at `url`, each with the benchmark's customer;
    dropped afterwards."""
    from ccstats.store import clickhouse_schema
    from ccstats.store.clickhouse_target import Target

    targets = [Target.parse(url).with_database(f"bench_{name}_{os.getpid()}")
               for name in names]
    try:
        for target in targets:
            run([str(CCSTATS), "migrate", "--db", target.url], "ccstats migrate")
            create_customer(target.url)
        yield targets[0].url, targets[1].url
    finally:
        for target in targets:
            clickhouse_schema.drop(target)


def _queries(bench: Bench, db: str) -> dict[str, str]:
    """4a-4d and 4f on the store at `db`, and whether its 4a answer is the main run's."""
    ranges = QueryRanges.draw(bench.plan, random.Random(RANGES_SEED))
    answers = {name: bench.scratch / f"{name}-backend.json" for name in ("a", "b")}
    server = bench.procs.serve(db, bench.scratch / "backend-server.log")
    try:
        m = measure(bench, server, ranges, answers)
    finally:
        bench.procs.stop(server)
    a, d, f = m["a"], m["d"], m["f"]
    same = same_file(answers["a"], bench.scratch / "a-ours.json")
    return {
        "query.4a.p50": ms(a["p50_s"]),
        "query.4a.p99": ms(a["p99_s"]),
        "query.4b.p50": ms(m["b"]["p50_s"]),
        "query.4c.p50": ms(m["c"]["p50_s"]),
        "query.4d.throughput": f"{d['median_mb_per_s']:,.0f} MB/s",
        "query.4d.ttfb": ms(d["median_ttfb_s"]),
        "query.4d.orjson": ms(d["median_s"]),
        "query.4f.throughput": f"{f['requests_per_s']:,.1f} req/s",
        "query.4f.latency": f"{ms(f['p99_s'])} ({ms(f['p50_s'])})",
        "query.4f.errors": f"{f['errors']} of {f['requests']}",
        "answers.identical": f"4a answer equal to DuckDB's: {'yes' if same else 'NO'}",
    }
