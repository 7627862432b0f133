"""Metric 4f's load: many clients sending mixed month queries at once."""

from __future__ import annotations

import random
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np

from bench_console import say
from bench_http import STATS, threads, warm_up
from bench_plan import Plan
from bench_proc import BenchmarkError, Server
from bench_ranges import day, month_ranges, params
from bench_results import MB

#: The mix: (name, dimensions, further options); "N random" users are drawn per request.
MIXED: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("user", "user", {}),
    ("project", "project", {}),
    ("date", "date", {}),
    ("time", "time", {}),
    ("project,date", "project,date", {}),
    ("user, 4 fields", "user",
     {"fields": "callOutAttempt,callOutReached,userstateCall,userstateAvailable"}),
    ("project,user, 10 users", "project,user", {"users": "10 random"}),
    ("user,date, 5 users", "user,date", {"users": "5 random"}),
)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


@dataclass
class _Load:
    """The clients' shared state: what each asked and how long it took, the errors."""

    server: Server
    plan: Plan
    seed: int
    deadline: float
    done: list[list[tuple[str, float]]] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def query(self, rng: random.Random) -> tuple[str, dict[str, str]]:
        """A kind of the mix, over a random month."""
        [(first, last)] = month_ranges(1, self.plan.days, rng)
        name, dims, extra = rng.choice(MIXED)
        chosen = dict(extra)
        if "users" in chosen:
            count = min(int(chosen["users"].split()[0]), self.plan.agents)
            users = rng.sample(range(1, self.plan.agents + 1), count)
            chosen["users"] = ",".join(str(u) for u in users)
        return name, params(first, last, dims, **chosen)

    def client(self, index: int) -> None:
        """One client: query after query until the deadline."""
        rng = random.Random(self.seed + index)
        with self.server.client(timeout=60.0) as client:
            while time.perf_counter() < self.deadline:
                name, wanted = self.query(rng)
                began = time.perf_counter()
                try:
                    response = client.get(STATS, params=wanted)
                    took = time.perf_counter() - began
                    self.sizes[index] += len(response.content)
                    if response.status_code != 200:
                        self.error(f"{response.status_code} {wanted}")
                except httpx.HTTPError as error:
                    took = time.perf_counter() - began
                    self.error(f"{type(error).__name__} {wanted}")
                self.done[index].append((name, took))

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def mixed_load(server: Server, plan: Plan, seed: int) -> dict[str, Any]:
    """``plan.load_clients`` threads send mixed month queries until the time is up."""
    with server.client() as client:
        warm_up(client, day(28), day(55))
    clients = plan.load_clients
    load = _Load(server, plan, seed, time.perf_counter() + plan.load_seconds,
                 [[] for _ in range(clients)], [0] * clients)
    wall = threads(load.client, clients)
    return _summary(load, wall)


def _summary(load: _Load, wall: float) -> dict[str, Any]:
    """The requests, their latencies (also by kind of the mix) and the errors."""
    flat = [item for per_client in load.done for item in per_client]
    if not flat:
        raise BenchmarkError("the mixed load made no request")
    latencies = [took for _, took in flat]
    by_kind = {
        name: {"requests": len(times), "p50_s": statistics.median(times),
               "p99_s": percentile(times, 99)}
        for name, _, _ in MIXED
        if (times := [took for kind, took in flat if kind == name])
    }
    say(f"{len(flat):,} requests in {wall:.1f} s, {len(load.errors)} errors, "
        f"{sum(load.sizes) / MB:,.0f} MB received; p50 by kind: "
        + ", ".join(f"{k} {v['p50_s'] * 1000:,.0f} ms" for k, v in by_kind.items()))
    return {"requests": len(flat), "errors": len(load.errors), "first_errors": load.errors[:5],
            "seconds": wall, "requests_per_s": len(flat) / wall,
            "p50_s": statistics.median(latencies), "p99_s": percentile(latencies, 99),
            "max_s": max(latencies), "bytes": sum(load.sizes), "by_kind": by_kind}
