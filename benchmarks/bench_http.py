"""Timed requests to `ccstats serve`: one query, a streamed answer, POSTed batches."""

from __future__ import annotations

import datetime as dt
import hashlib
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from bench_data import Dataset
from bench_proc import BenchmarkError, Server
from bench_ranges import params

STATS = "/v2/statistics/userbased"


def get(client: httpx.Client, query: dict[str, str], path: str = STATS) -> tuple[float, bytes]:
    """One statistics request: (seconds, body); raises on anything but 200."""
    began = time.perf_counter()
    response = client.get(path, params=query)
    seconds = time.perf_counter() - began
    if response.status_code != 200:
        raise BenchmarkError(f"GET {path} {query} answered {response.status_code}: "
                             f"{response.text[:500]}")
    return seconds, response.content


def warm_up(client: httpx.Client, first: dt.date, last: dt.date) -> None:
    """One untimed request: verifies the key (cached a minute) and touches the store."""
    get(client, params(first, last, "project"))


@dataclass(frozen=True)
class Download:
    ttfb: float  # seconds to the first body byte
    seconds: float
    size: int
    sha256: str | None


def download(client: httpx.Client, query: dict[str, str], digest: bool = False) -> Download:
    """Stream one answer, discarding it (or only hashing it); time the first byte and all."""
    hasher = hashlib.sha256() if digest else None
    began = time.perf_counter()
    first: float | None = None
    size = 0
    with client.stream("GET", STATS, params=query) as response:
        if response.status_code != 200:
            response.read()
            raise BenchmarkError(f"GET {STATS} {query} answered {response.status_code}: "
                                 f"{response.text[:500]}")
        for chunk in response.iter_raw(1 << 20):
            if first is None:
                first = time.perf_counter() - began
            size += len(chunk)
            if hasher is not None:
                hasher.update(chunk)
    seconds = time.perf_counter() - began
    return Download(first or seconds, seconds, size, hasher.hexdigest() if hasher else None)


def batches(data: Dataset, events: int) -> list[bytes]:
    """The file's lines in batches of ``events`` lines."""
    lines = data.path.read_bytes().splitlines(keepends=True)
    return [b"".join(lines[i:i + events]) for i in range(0, len(lines), events)]


def threads(work: Callable[[int], None], count: int) -> float:
    """Run ``work(0 .. count - 1)`` on as many threads; the wall time of the whole."""
    started = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    began = time.perf_counter()
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    return time.perf_counter() - began


def post_all(server: Server, sent: list[bytes], clients: int, events: int) -> float:
    """POST every batch from ``clients`` threads; the wall time of the whole."""
    todo: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    for batch in sent:
        todo.put(batch)
    stored = [0] * clients
    failures: list[str] = []
    headers = {"Content-Type": "application/x-ndjson"}

    def worker(index: int) -> None:
        with server.client(timeout=600.0) as client:
            while not failures:
                try:
                    batch = todo.get_nowait()
                except queue.Empty:
                    return
                response = client.post("/v2/events", content=batch, headers=headers)
                if response.status_code != 200:
                    failures.append(f"{response.status_code}: {response.text[:300]}")
                    return
                stored[index] += int(response.json()["response"]["stored"])

    with server.client() as client:  # verify the key once, untimed
        client.get("/v2/projects").raise_for_status()
    wall = threads(worker, clients)
    if failures:
        raise BenchmarkError(f"POST /v2/events failed: {failures[0]}")
    if sum(stored) != events:
        raise BenchmarkError(f"POST /v2/events stored {sum(stored)} events, expected {events}")
    return wall
