"""How a real-time stream paces its snapshots (`ccstats.api.stream.Stream`), on a clock of
the test's own: at most one per `min_interval`, the newest held one released when that
has passed, and a full stream refusing more (its client is then dropped)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ccstats.api.stream import Ending, Stream, Topic
from ccstats.options import OutputFormat
from ccstats.realtime.options import QueuesQuery, StreamQuery, UsersQuery

TOPIC = Topic("acme", StreamQuery(UsersQuery(OutputFormat.JSON), QueuesQuery(OutputFormat.JSON)))


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run `scenario` on an event loop of its own thread (the browser tests keep one
    running in the main thread for the session)."""
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, scenario()).result()


async def taken(stream: Stream) -> list[bytes]:
    """What the client can take now, without waiting."""
    found = []
    while snapshot := await stream.next(0.0):
        found.append(snapshot)
    return found


def test_a_snapshot_within_the_interval_is_held_and_only_the_newest_is_released() -> None:
    async def scenario() -> None:
        stream = Stream(TOPIC, "key", capacity=4, sent_at=0.0)
        assert stream.offer(b"a", 0.5, 1.0) and stream.offer(b"b", 0.9, 1.0)
        assert await taken(stream) == []
        assert stream.release(0.99, 1.0) and await taken(stream) == []
        assert stream.release(1.0, 1.0) and await taken(stream) == [b"b"]
        assert stream.release(5.0, 1.0) and await taken(stream) == []
        assert stream.offer(b"c", 1.5, 1.0) and stream.release(2.0, 1.0)
        assert await taken(stream) == [b"c"]
        assert stream.offer(b"d", 3.5, 1.0) and await taken(stream) == [b"d"]
    run(scenario)


def test_a_full_stream_refuses_and_an_ended_one_gives_nothing_more() -> None:
    async def scenario() -> None:
        stream = Stream(TOPIC, "key", capacity=2, sent_at=0.0)
        assert stream.offer(b"a", 1.0, 1.0) and stream.offer(b"b", 2.0, 1.0)
        assert not stream.offer(b"c", 3.0, 1.0)
        stream.end(Ending.SLOW)
        stream.end(Ending.LEFT)
        assert stream.ended is Ending.SLOW
        assert await stream.next(10.0) is None
    run(scenario)


def test_a_stream_with_nothing_new_gives_a_keep_alive_after_the_timeout() -> None:
    async def scenario() -> None:
        stream = Stream(TOPIC, "key", capacity=2, sent_at=0.0)
        assert await stream.next(0.01) == b""
        assert stream.offer(b"a", 1.0, 1.0) and await stream.next(10.0) == b"a"
    run(scenario)
