"""The broadcaster of ``GET /v2/realtime/stream``: snapshots made once, sent to every stream.

Streams of one customer with the same options share a `Topic`. While any stream
is open, one task looks at every customer with open streams each `poll_seconds`:

- its change mark (`Service.change_mark`), which moves with every batch or
  deletion committed by any server process on the store: when it moved, each of
  the customer's topics gets one new snapshot, sent to each of its streams;
- once a second, its keys: a stream whose key is gone (revoked) ends.

A new stream starts with its topic's latest snapshot if that is younger than
`min_interval`, else with one made for it (shared by the streams of the topic
that open meanwhile), so that many wallboards opening at once cost one snapshot.
A stream gets a snapshot no sooner than `min_interval` after its previous one
(realtime.md §2: within 1 second of a write, at most one per second); one that
comes sooner is held, and replaced by a newer one, until then. A stream holds at
most `capacity` snapshots its client has not taken yet: a client that reads so
slowly that a new one finds the stream full is dropped: its stream gets nothing
more, and ends once the client takes what was sent (or the server stops), so that
no client makes the server's memory grow. Stopping the server ends every stream
(`Broadcaster.close`), since the server waits for open responses to finish.

Every method runs on the event loop; what reads the store runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from typing import TypeVar

from anyio import to_thread

from ccstats.api.metrics import Metrics
from ccstats.errors import NotFound
from ccstats.realtime.options import StreamQuery
from ccstats.service import Service

log = logging.getLogger("ccstats.api")

T = TypeVar("T")

POLL_SECONDS = 0.25
MIN_INTERVAL = 1.0
KEY_CHECK_SECONDS = 1.0
DEFAULT_CAPACITY = 4


class Ending(Enum):
    """Why a stream ended (the label of ``ccstats_streams_ended``)."""

    LEFT = "left"
    """The client went away."""
    REVOKED = "revoked"
    """The key of the stream was revoked, or its customer is gone."""
    SLOW = "slow"
    """The client did not take its snapshots."""
    STOPPING = "stopping"
    """The server stops."""


@dataclass(frozen=True, slots=True)
class Topic:
    """What a stream shows: a customer's snapshots with one set of options."""

    customer: str
    query: StreamQuery


class Stream:
    """One client's stream: its snapshots not yet taken, and why it ended (None: open)."""

    def __init__(self, topic: Topic, key_id: str, capacity: int, sent_at: float) -> None:
        self.topic = topic
        self.key_id = key_id
        self.ended: Ending | None = None
        self._capacity = capacity
        self._pending: deque[bytes] = deque()
        self._held: bytes | None = None
        self._sent_at = sent_at
        self._wake = asyncio.Event()

    def offer(self, snapshot: bytes, now: float, min_interval: float) -> bool:
        """Queue `snapshot`, or hold it if the previous one is younger than `min_interval`;
        False if the client has `capacity` snapshots not taken yet."""
        if now - self._sent_at < min_interval:
            self._held = snapshot
            return True
        return self._queue(snapshot, now)

    def release(self, now: float, min_interval: float) -> bool:
        """Queue the held snapshot once `min_interval` has passed; False as `offer`."""
        if self._held is None or now - self._sent_at < min_interval:
            return True
        snapshot, self._held = self._held, None
        return self._queue(snapshot, now)

    def _queue(self, snapshot: bytes, now: float) -> bool:
        if len(self._pending) >= self._capacity:
            return False
        self._pending.append(snapshot)
        self._sent_at = now
        self._wake.set()
        return True

    def end(self, why: Ending) -> None:
        if self.ended is None:
            self.ended = why
        self._wake.set()

    async def next(self, timeout: float) -> bytes | None:
        """The next snapshot; ``b""`` if none came within `timeout` seconds; None once the
        stream has ended."""
        if self.ended is None and not self._pending:
            self._wake.clear()
            try:
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            except TimeoutError:
                return b""
        if self.ended is not None:
            return None
        return self._pending.popleft()


@dataclass
class _TopicState:
    mark: int
    """The change mark of the store that `latest` shows."""
    latest: bytes
    made_at: float
    streams: set[Stream] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class _Facts:
    """What a tick reads of a customer: its change mark, and its key ids (if checked)."""

    mark: int
    key_ids: frozenset[str] | None


class Broadcaster:
    """The open streams of one server process, and the task that feeds them."""

    def __init__(self, service: Service, metrics: Metrics, capacity: int = DEFAULT_CAPACITY,
                 poll_seconds: float = POLL_SECONDS, min_interval: float = MIN_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._service = service
        self._metrics = metrics
        self._capacity = capacity
        self._poll_seconds = poll_seconds
        self._min_interval = min_interval
        self._clock = clock
        self._topics: dict[Topic, _TopicState] = {}
        self._making: dict[Topic, asyncio.Task[tuple[int, bytes]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._keys_checked_at = float("-inf")
        self._closing = False

    async def open(self, topic: Topic, key_id: str) -> tuple[Stream, bytes]:
        """A new stream of `topic` and its first snapshot: the topic's latest if that is
        younger than `min_interval` (streams opened together share one), else a new one."""
        state = self._topics.get(topic)
        if state is not None and self._clock() - state.made_at < self._min_interval:
            first = state.latest
        else:
            mark, first = await self._made(topic)
            state = self._topics.setdefault(topic, _TopicState(mark, first, self._clock()))
        stream = Stream(topic, key_id, self._capacity, self._clock())
        if self._closing:
            stream.end(Ending.STOPPING)
            return stream, first
        state.streams.add(stream)
        self._metrics.stream_opened()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        return stream, first

    async def _made(self, topic: Topic) -> tuple[int, bytes]:
        """The store's change mark and a snapshot of `topic` made after it was read; made
        once for the streams of `topic` that open meanwhile."""
        making = self._making.get(topic)
        if making is None:
            making = self._making[topic] = asyncio.get_running_loop().create_task(
                self._make(topic))
            making.add_done_callback(lambda _: self._making.pop(topic, None))
        return await asyncio.shield(making)

    async def _make(self, topic: Topic) -> tuple[int, bytes]:
        mark = await _blocking(self._service.change_mark, topic.customer)
        return mark, await _blocking(self._service.snapshot, topic.customer, topic.query)

    def close_stream(self, stream: Stream) -> None:
        """Forget `stream`: its response is over (the client went, unless it had ended)."""
        self._end(stream, Ending.LEFT)

    def close(self) -> None:
        """End every stream: the server stops."""
        self._closing = True
        self._end_all([s for state in self._topics.values() for s in state.streams],
                      Ending.STOPPING)

    def _end(self, stream: Stream, why: Ending) -> None:
        """End `stream` and feed it no more (a stream ends once)."""
        stream.end(why)
        state = self._topics.get(stream.topic)
        if state is None or stream not in state.streams:
            return
        state.streams.discard(stream)
        if not state.streams:
            del self._topics[stream.topic]
        self._metrics.stream_closed((stream.ended or why).value)

    def _end_all(self, streams: Iterable[Stream], why: Ending) -> None:
        for stream in list(streams):
            self._end(stream, why)

    async def _run(self) -> None:
        while self._topics:
            await asyncio.sleep(self._poll_seconds)
            try:
                await self._tick()
            except Exception:  # the store may be away for a while: try again next tick
                log.exception("the real-time stream could not look for changes")

    async def _tick(self) -> None:
        now = self._clock()
        check_keys = now - self._keys_checked_at >= KEY_CHECK_SECONDS
        if check_keys:
            self._keys_checked_at = now
        customers = {topic.customer for topic in self._topics}
        judged = {stream for state in self._topics.values() for stream in state.streams}
        facts = await _blocking(self._facts, customers, check_keys)
        changed: list[tuple[Topic, _TopicState, int]] = []
        for topic, state in list(self._topics.items()):
            found = facts.get(topic.customer)
            # (a stream opened while the facts were read may have a customer or key they
            # do not show yet: the next tick judges it)
            self._end_all([s for s in state.streams if s in judged and _revoked(s, found)],
                          Ending.REVOKED)
            if found is None or not state.streams:
                continue
            if found.mark != state.mark:
                changed.append((topic, state, found.mark))
            else:
                self._deliver(state.streams, None)
        snapshots = await asyncio.gather(*(
            _blocking(self._service.snapshot, topic.customer, topic.query)
            for topic, _, _ in changed), return_exceptions=True)
        for (_, state, mark), snapshot in zip(changed, snapshots, strict=True):
            if isinstance(snapshot, BaseException):
                log.error("a real-time snapshot could not be made", exc_info=snapshot)
                continue  # (made again at the next tick: the mark still differs)
            state.mark, state.latest, state.made_at = mark, snapshot, self._clock()
            self._deliver(state.streams, snapshot)

    def _deliver(self, streams: set[Stream], snapshot: bytes | None) -> None:
        """Offer each open stream the new `snapshot`, or (None) release what it holds; end
        the streams whose client is too slow."""
        now = self._clock()
        for stream in list(streams):
            taken = stream.release(now, self._min_interval) if snapshot is None \
                else stream.offer(snapshot, now, self._min_interval)
            if not taken:
                self._end(stream, Ending.SLOW)

    def _facts(self, customers: set[str], check_keys: bool) -> dict[str, _Facts]:
        """Each customer's `_Facts`; a customer that is gone is left out."""
        facts: dict[str, _Facts] = {}
        for customer in customers:
            try:
                mark = self._service.change_mark(customer)
                keys = frozenset(key.key_id for key in self._service.keys(customer)) \
                    if check_keys else None
            except NotFound:
                continue
            facts[customer] = _Facts(mark, keys)
        return facts


def _revoked(stream: Stream, found: _Facts | None) -> bool:
    """Whether `found`, the facts of `stream`'s customer (None: it is gone), say that its
    key is gone."""
    return found is None or (found.key_ids is not None and stream.key_id not in found.key_ids)


async def _blocking(function: Callable[..., T], *args: object) -> T:
    """`function(*args)` in a worker thread."""
    return await to_thread.run_sync(partial(function, *args))
