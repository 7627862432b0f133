"""Metric 7b: `ccstats backup --server` of the S store against `cp` + fsync of its file,
and a POSTed batch while a backup runs against the same batch without (see
`bench_operations`)."""

from __future__ import annotations

import re
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench_console import say
from bench_data import Dataset
from bench_http import batches
from bench_metrics import BACKUP_VS_CP
from bench_operator import Operator, command, request_ms
from bench_plan import Bench
from bench_proc import BenchmarkError, Server
from bench_results import MB, Row, faster, ms
from bench_stores import cp_synced

BACKED_UP = re.compile(r"backed up (\d+) events to \S+ \(([\d.]+) MB\) in ([\d.]+) s")
BACKUP_ROUTE = "/v2/operator/backup"
#: How long after a backup's request the batch is sent: the backup holds the write lock
#: by then, the batch is still being read and checked when it asks for the lock.
POST_DELAY_S = 0.02
HEADERS = {"Content-Type": "application/x-ndjson"}


def backups(bench: Bench, op: Operator, server: Server, store: Path) -> int:
    """`ccstats backup --server` and `cp` + fsync, alternately; returns the events the
    backups hold."""
    server_s: list[float] = []
    walls: list[float] = []
    copies: list[float] = []
    plain: list[float] = []
    events, size = 0, 0
    for i in range(bench.plan.ops_runs):
        backup = bench.scratch / f"ops-backup-{i}.duckdb"
        timing, said = command(op, server, ["backup", str(backup)])
        found = BACKED_UP.search(said)
        if found is None:
            raise BenchmarkError(f"ccstats backup said {said.strip()[-300:]!r}")
        events, size = int(found[1]), backup.stat().st_size
        backup.unlink()
        walls.append(timing.wall)
        server_s.append(request_ms(server, "POST", BACKUP_ROUTE) / 1000)
        copied = cp_synced(store, bench.scratch / "ops-cp.duckdb")
        copies.append(copied.synced)
        plain.append(copied.cp)
        say(f"run {i + 1}/{bench.plan.ops_runs}: backup {server_s[-1]:.3f} s on the server "
            f"(command {walls[-1]:.2f} s), cp + fsync {copies[-1]:.3f} s (cp {plain[-1]:.3f} s)")
    o, b = statistics.median(server_s), statistics.median(copies)
    bench.results.add(Row(
        "ops.backup.time", f"7b backup --server of the S store ({size / MB:,.1f} MB)",
        f"{ms(o)} ({size / MB / o:,.0f} MB/s; command {statistics.median(walls):.2f} s)",
        f"cp + fsync {ms(b)} ({size / MB / b:,.0f} MB/s)", faster(o, b),
        f"<= {BACKUP_VS_CP:g}x cp + fsync", o <= BACKUP_VS_CP * b))
    bench.results.data["operations"]["backup"] = {
        "bytes": size, "store_bytes": store.stat().st_size, "events": events,
        "server_s": server_s, "command_s": walls, "cp_fsync_s": copies, "cp_s": plain,
        "server_median_s": o, "cp_fsync_median_s": b, "cp_median_s": statistics.median(plain),
        "server_mb_per_s": size / MB / o, "cp_fsync_mb_per_s": size / MB / b,
    }
    return events


def post_during_backup(bench: Bench, op: Operator, server: Server, after: Dataset) -> None:
    """Each round: a batch of new events alone, then another of the same size sent
    `POST_DELAY_S` after a backup's request (both timed from the client)."""
    rounds = bench.plan.backup_posts
    size = min(bench.plan.batch_events, after.events // (2 * rounds + 1))
    sent = batches(after, size)
    measured: list[dict[str, Any]] = []
    bearer = {"Authorization": f"Bearer {op.key}"}
    with server.client(timeout=600.0) as client, \
            httpx.Client(base_url=server.url, headers=bearer, timeout=600.0) as operator:
        _post(client, sent[0])  # verifies the customer's key, untimed
        for i in range(rounds):
            alone = _post(client, sent[2 * i + 1])
            measured.append({"alone_s": alone, **_during(bench, client, operator,
                                                         sent[2 * i + 2], i)})
            say(f"round {i + 1}/{rounds}: alone {ms(alone)}, during a backup "
                f"{ms(measured[-1]['during_s'])} (backup {ms(measured[-1]['backup_s'])})")
    during = statistics.median(m["during_s"] for m in measured)
    alone = statistics.median(m["alone_s"] for m in measured)
    backup = statistics.median(m["backup_s"] for m in measured)
    bench.results.add(Row(
        "ops.backup.post_wait", f"7b POST of {size:,} new events while a backup runs",
        f"{ms(during)} (backup {ms(backup)})", f"without {ms(alone)}", faster(during, alone),
        "waits <= the backup's time", during - alone <= backup))
    bench.results.data["operations"]["post_during_backup"] = {
        "batch_events": size, "delay_s": POST_DELAY_S, "rounds": measured,
        "during_median_s": during, "alone_median_s": alone, "backup_median_s": backup,
    }


def _post(client: httpx.Client, batch: bytes) -> float:
    began = time.perf_counter()
    response = client.post("/v2/events", content=batch, headers=HEADERS)
    seconds = time.perf_counter() - began
    if response.status_code != 200:
        raise BenchmarkError(f"POST /v2/events answered {response.status_code}: "
                             f"{response.text[:300]}")
    return seconds


def _during(bench: Bench, client: httpx.Client, operator: httpx.Client, batch: bytes,
            index: int) -> dict[str, float]:
    """A backup in a thread, the batch `POST_DELAY_S` after it began; their times."""
    path = bench.scratch / f"ops-during-{index}.duckdb"
    answer: dict[str, Any] = {}

    def backup() -> None:
        response = operator.post(BACKUP_ROUTE, json={"path": str(path)})
        answer["status"] = response.status_code
        answer["body"] = response.json() if response.status_code == 200 else response.text
        answer["ended"] = time.perf_counter()

    thread = threading.Thread(target=backup)
    began = time.perf_counter()
    thread.start()
    time.sleep(POST_DELAY_S)
    sent_at = time.perf_counter() - began
    during = _post(client, batch)
    ended = time.perf_counter() - began
    thread.join()
    path.unlink(missing_ok=True)
    if answer.get("status") != 200:
        raise BenchmarkError(f"POST {BACKUP_ROUTE} answered {answer.get('status')}: "
                             f"{str(answer.get('body'))[:300]}")
    body = answer["body"]
    report = body.get("response", body)
    return {"during_s": during, "backup_s": float(report["seconds"]), "post_sent_s": sent_at,
            "post_ended_s": ended, "backup_ended_s": answer["ended"] - began}
