"""Metric 6.2 and 6.3: how fast a write reaches a stream client, and what many open
streams cost the statistics clients.

* 6.2: a marker user's state changes by ``POST /v2/events`` (`Marker`), one post every
  1.1-1.6 s (drawn, so that the posts do not keep one phase against the server's
  once-a-second snapshots); for each, the time from the POST's answer to the first
  snapshot of one stream client that shows it. Baseline, right after with the same
  posts: a client polling ``GET /v2/onlineusers`` once a second.
* 6.3: `bench_load.mixed_load` (16 clients, userbased month queries) without and with
  200 open streams (`bench_stream_clients.py`, another process), in rounds that begin
  with one and with the other in turn; a marker changes every second in both, so that
  the streams get snapshots. The median of the rounds' statistics p99 with the
  streams against that without, and the errors of both (requests, posts, streams).
"""

from __future__ import annotations

import random
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench_console import say, step
from bench_load import mixed_load, percentile
from bench_plan import Bench
from bench_proc import BenchmarkError, Server
from bench_realtime_data import ONLINE
from bench_sse import PollWatcher, StreamWatcher, Watcher
from ccstats.realtime.render import iso

HERE = Path(__file__).resolve().parent
STREAM_CLIENTS = HERE / "bench_stream_clients.py"
#: A post not seen within this many seconds counts as this late (and as missed).
SEEN_TIMEOUT_S = 10.0
NDJSON = {"Content-Type": "application/x-ndjson"}


@dataclass
class Marker:
    """A user of no other event, whose open userstate each `post` replaces."""

    user: int
    project: int = 1
    posts: int = 0
    open_start: int | None = None

    def post(self, client: httpx.Client) -> tuple[str, float]:
        """Close the open state, open the next (start: now); ``(its since, when the POST
        answered)``."""
        now = int(time.time())
        if self.open_start is not None and now <= self.open_start:
            time.sleep(self.open_start + 1 - time.time())
            now = int(time.time())
        events = []
        base = {"type": "userstate", "projectId": self.project, "userId": self.user}
        if self.open_start is not None:
            events.append({**base, "id": f"rt-m{self.user}-{self.posts - 1}", "state": "call",
                           "start": self.open_start, "end": now})
        state = "available" if self.posts % 2 else "call"
        events.append({**base, "id": f"rt-m{self.user}-{self.posts}", "state": state,
                       "start": now, "end": None})
        response = client.post("/v2/events", headers=NDJSON,
                               content=b"".join(orjson.dumps(e) + b"\n" for e in events))
        answered = time.perf_counter()
        if response.status_code != 200:
            raise BenchmarkError(f"POST /v2/events answered {response.status_code}: "
                                 f"{response.text[:300]}")
        self.open_start, self.posts = now, self.posts + 1
        return iso(now), answered


def _watched(server: Server, watcher: Watcher, marker: Marker, posts: int,
             rng: random.Random) -> dict[str, Any]:
    """`posts` posts of the marker while `watcher` runs; the latency of each."""
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    if not watcher.ready.wait(30.0) or watcher.errors:
        watcher.stop.set()
        raise BenchmarkError(f"{type(watcher).__name__} did not start: {watcher.errors[:1]}")
    latencies, missed = [], 0
    with server.client() as client:
        for _ in range(posts):
            since, answered = marker.post(client)
            seen = watcher.wait_for(since, SEEN_TIMEOUT_S)
            missed += seen is None
            latencies.append(SEEN_TIMEOUT_S if seen is None else max(0.0, seen - answered))
            time.sleep(max(0.0, answered + rng.uniform(1.1, 1.6) - time.perf_counter()))
        watcher.stop.set()
        marker.post(client)  # a last snapshot wakes a stream client up to see `stop`
    thread.join(timeout=20.0)
    return {"seconds": latencies, "p50_s": statistics.median(latencies),
            "p99_s": percentile(latencies, 99), "max_s": max(latencies), "missed": missed,
            "answers": watcher.answers, "errors": len(watcher.errors),
            "first_errors": watcher.errors[:5]}


def stream_latency(bench: Bench, server: Server) -> dict[str, Any]:
    """6.2: ours (one stream client), then the baseline (a poller), on the same schedule."""
    posts = bench.plan.stream_posts
    rng = random.Random(bench.rng.random())
    measured = {}
    for name, kind in (("stream", StreamWatcher), ("poll", PollWatcher)):
        with step(f"6.2: {posts} posts of a state change, seen by {name}"):
            marker = Marker(ONLINE + (1 if name == "stream" else 2))
            measured[name] = _watched(server, kind(server, marker.user), marker, posts,
                                      random.Random(rng.random()))
            say(f"p50 {measured[name]['p50_s'] * 1000:,.0f} ms, p99 "
                f"{measured[name]['p99_s'] * 1000:,.0f} ms, missed {measured[name]['missed']}")
    return measured


class Ticker:
    """A marker posted every second in a thread, while the block runs."""

    def __init__(self, server: Server, marker: Marker) -> None:
        self.server, self.marker = server, marker
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.seconds: list[float] = []
        """How long each post took."""
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self.server.client() as client:
            while not self.stop.is_set():
                began = time.perf_counter()
                try:
                    self.marker.post(client)
                    self.seconds.append(time.perf_counter() - began)
                except (httpx.HTTPError, BenchmarkError) as error:
                    self.errors.append(str(error))
                self.stop.wait(1.0)

    def summary(self) -> dict[str, Any]:
        """The posts: how many, their latency, their errors."""
        took = self.seconds or [0.0]
        return {"posts": len(self.seconds), "p50_s": statistics.median(took),
                "max_s": max(took), "errors": len(self.errors), "first_errors": self.errors[:3]}

    def __enter__(self) -> Ticker:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30.0)


def _with_streams(server: Server, count: int, work: Callable[[], dict[str, Any]]
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run `work` while `count` streams are open; (its result, the streams' tally)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    clients = subprocess.Popen([sys.executable, str(STREAM_CLIENTS), server.url, str(count)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert clients.stdin is not None and clients.stdout is not None
        began = time.perf_counter()
        line = clients.stdout.readline().strip()
        if line != "ready":
            raise BenchmarkError(f"the stream clients said {line!r}")
        opened = time.perf_counter() - began
        result = work()
        clients.stdin.close()
        output = clients.stdout.read().strip().splitlines()
        clients.wait(timeout=60)
    finally:
        if clients.poll() is None:
            clients.kill()
            clients.wait()
    if not output or not output[-1].startswith("{"):
        raise BenchmarkError(f"the stream clients printed no result: {output[-3:]}")
    tally: dict[str, Any] = orjson.loads(output[-1])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    tally["open_s"] = opened
    tally["cpu_s"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return result, tally


def streams_load(bench: Bench, server: Server) -> dict[str, Any]:
    """6.3: the mixed load without and with the open streams, alternately (without first
    in odd rounds, with first in even ones, so that a drift of the machine's speed
    weighs on both alike)."""
    plan = bench.plan
    rounds: dict[str, list[dict[str, Any]]] = {"without": [], "with": []}
    streams: list[dict[str, Any]] = []
    marker = Marker(ONLINE + 3)
    for i in range(plan.stream_load_rounds):
        load = partial(mixed_load, server, plan, bench.rng.randrange(1 << 30))
        for kind in ("without", "with") if i % 2 == 0 else ("with", "without"):
            what = f"{plan.streams} open streams" if kind == "with" else "no stream"
            with step(f"6.3 round {i + 1}/{plan.stream_load_rounds}: {plan.load_clients} "
                      f"clients, {plan.load_seconds:g} s, {what}"), \
                    Ticker(server, marker) as ticker:
                if kind == "with":
                    result, tally = _with_streams(server, plan.streams, load)
                    streams.append(tally)
                else:
                    result = load()
            result["posts"] = ticker.summary()
            rounds[kind].append(result)
            if kind == "with":
                _say_streams(tally, result["posts"])
    return {"rounds": rounds, "streams": streams,
            **{f"{name}_p99_s": statistics.median(r["p99_s"] for r in done)
               for name, done in rounds.items()}}


def _say_streams(tally: dict[str, Any], posts: dict[str, Any]) -> None:
    say(f"streams: {tally['errors']} errors, snapshots per stream {tally['snapshots_min']}-"
        f"{tally['snapshots_max']} ({posts['posts']} posts, p50 {posts['p50_s'] * 1000:,.0f} "
        f"ms), opened in {tally['open_s']:.1f} s, {tally['bytes'] / 1e6:,.0f} MB read with "
        f"{tally['cpu_s']:.1f} s of CPU")
