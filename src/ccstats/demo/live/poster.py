"""The live shift's batches, posted to ``POST /v2/events`` of the running server.

A batch that does not get through (no answer, a timeout, 408, 429 or a 5xx: the
server is busy or restarting) is kept, and its events go again with the next
batch, where a later version of an event replaces the kept one; so an interval
that was closed is closed in the store once the server answers again. A batch the
server refuses otherwise (a 4xx) would be refused again: it is logged and dropped.
Failures are logged once, and so is the recovery; none is raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import httpx
import orjson

from ccstats.demo.live.records import Event

log = logging.getLogger(__name__)
#: Seconds a post may take; the shift waits for it before its next tick.
TIMEOUT = 5.0
_RETRY_STATUS = frozenset({408, 429})


def ndjson(events: Iterable[Event]) -> bytes:
    return b"".join(orjson.dumps(event) + b"\n" for event in events)


class Poster:
    """Posts batches to the server at `url` (``http://host:port``) as `customer`."""

    def __init__(self, url: str, customer: str, key: str, timeout: float = TIMEOUT) -> None:
        self._client = httpx.Client(base_url=url, auth=(customer, key), timeout=timeout,
                                    headers={"Content-Type": "application/x-ndjson"})
        self._pending: dict[str, Event] = {}
        self._failing = False

    @property
    def pending(self) -> list[Event]:
        """The events of the batches that did not get through yet."""
        return list(self._pending.values())

    def send(self, events: Iterable[Event]) -> bool:
        """Post `events` with those still pending; True once the server stored them."""
        for event in events:
            self._pending[str(event["id"])] = event
        if not self._pending:
            return True
        try:
            answer = self._client.post("/v2/events", content=ndjson(self._pending.values()))
        except httpx.HTTPError as error:
            return self._failed(f"{type(error).__name__}: {error}")
        if answer.status_code == httpx.codes.OK:
            self._pending.clear()
            if self._failing:
                log.warning("live shift: the server stores events again")
            self._failing = False
            return True
        if answer.status_code in _RETRY_STATUS or answer.is_server_error:
            return self._failed(f"status {answer.status_code}")
        log.error("live shift: the server refused %d events (status %d): %s",
                  len(self._pending), answer.status_code, answer.text[:500])
        self._pending.clear()
        return False

    def hand_over(self, events: Iterable[Event], store: Callable[[bytes], object]) -> bool:
        """Give `events`, with those still pending, to `store` (one batch) instead of
        posting them; True if it took them."""
        for event in events:
            self._pending[str(event["id"])] = event
        if not self._pending:
            return True
        try:
            store(ndjson(self._pending.values()))
        except Exception:
            log.exception("live shift: storing the last %d events failed", len(self._pending))
            return False
        self._pending.clear()
        return True

    def reachable(self) -> bool:
        """Whether the server answers ``/health``."""
        try:
            return self._client.get("/health").status_code == httpx.codes.OK
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self._client.close()

    def _failed(self, reason: str) -> bool:
        if not self._failing:
            log.warning("live shift: posting events failed (%s); they go again with the next "
                        "batch", reason)
        self._failing = True
        return False
