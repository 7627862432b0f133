"""Metric 6's clients of the real-time answers: the stream's events read by hand, and the
moment a marker user's state change is first seen, by a stream client or by a poller.

The stream (``GET /v2/realtime/stream``) is ``text/event-stream``: lines, an event's
``event:`` and ``data:`` lines ended by a blank line, lines starting with ``:`` are
comments (keep-alives), ``retry:`` a reconnection hint.

A *marker* is a user of no other event whose open userstate is replaced by a new one
(new id, ``start`` the second of the post) at each post; an answer reflects the post
when the marker's ``since`` is that second. `Watcher` records when each ``since`` of
the marker was first seen.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from bench_proc import BenchmarkError, Server

STREAM = "/v2/realtime/stream"
ONLINE_USERS = "/v2/onlineusers"


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """``(event name, data)`` of each event of the lines of an event stream."""
    name, data = "message", list[str]()
    for line in lines:
        if not line:
            if data:
                yield name, "\n".join(data)
            name, data = "message", []
        elif line.startswith(":"):
            continue
        else:
            key, _, rest = line.partition(":")
            rest = rest.removeprefix(" ")
            if key == "event":
                name = rest
            elif key == "data":
                data.append(rest)


def since_of(users_body: Any, marker: int) -> str | None:
    """The marker's ``since`` in an ``/v2/onlineusers`` body (parsed), or None."""
    for record in users_body["response"]:
        if record["userId"] == marker:
            return str(record["since"])
    return None


@dataclass
class Watcher:
    """A client in a thread that watches the marker: ``since`` -> first seen (perf_counter)."""

    server: Server
    marker: int
    seen: dict[str, float] = field(default_factory=dict)
    answers: int = 0
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    ready: threading.Event = field(default_factory=threading.Event)

    def note(self, since: str | None, at: float) -> None:
        self.answers += 1
        if since is not None:
            self.seen.setdefault(since, at)
        self.ready.set()

    def wait_for(self, since: str, timeout: float) -> float | None:
        """When `since` was first seen; None if not within `timeout` seconds."""
        deadline = time.perf_counter() + timeout
        while since not in self.seen and time.perf_counter() < deadline:
            time.sleep(0.002)
        return self.seen.get(since)

    def run(self) -> None:
        """Watch until `stop` is set (in a thread)."""
        raise NotImplementedError


class StreamWatcher(Watcher):
    """One stream client: each snapshot's arrival (its blank line) is the time seen."""

    def run(self) -> None:
        try:
            with self.server.client(timeout=30.0) as client, \
                    client.stream("GET", STREAM) as response:
                if response.status_code != 200:
                    response.read()
                    raise BenchmarkError(f"GET {STREAM} answered {response.status_code}: "
                                         f"{response.text[:300]}")
                for name, data in sse_events(response.iter_lines()):
                    at = time.perf_counter()
                    if name == "snapshot":
                        self.note(since_of(orjson.loads(data)["users"], self.marker), at)
                    if self.stop.is_set():
                        return
        except (httpx.HTTPError, BenchmarkError) as error:
            if not self.stop.is_set():
                self.errors.append(f"{type(error).__name__}: {error}")
            self.ready.set()


class PollWatcher(Watcher):
    """The baseline: ``GET /v2/onlineusers`` once a second (on a fixed schedule); an
    answer's arrival is the time seen."""

    period: float = 1.0

    def run(self) -> None:
        with self.server.client(timeout=30.0) as client:
            began = time.perf_counter()
            ticks = 0
            while not self.stop.is_set():
                try:
                    response = client.get(ONLINE_USERS)
                    at = time.perf_counter()
                    response.raise_for_status()
                    self.note(since_of(orjson.loads(response.content), self.marker), at)
                except httpx.HTTPError as error:
                    self.errors.append(f"{type(error).__name__}: {error}")
                ticks += 1
                self.stop.wait(max(0.0, began + ticks * self.period - time.perf_counter()))
