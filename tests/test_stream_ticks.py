"""How the broadcaster's ticks (`ccstats.api.stream.Broadcaster`) treat streams opened while
a tick reads the store, on a real service: a tick is caught reading by holding one
customer's change mark until the test lets it go."""

from __future__ import annotations

import threading
from typing import Any, cast

from anyio import to_thread

from ccstats.api.metrics import Metrics
from ccstats.api.stream import Broadcaster, Topic
from ccstats.service import Service
from test_stream_pacing import run

PATIENCE = 30.0


class HeldMarks:
    """`service`, except that once armed, the next read of `held`'s change mark waits until
    `release` is set (and says so with `reading`)."""

    def __init__(self, service: Service, held: str) -> None:
        self._service = service
        self._held = held
        self.armed = False
        self.reading = threading.Event()
        self.release = threading.Event()

    def change_mark(self, customer: str) -> int:
        if self.armed and customer == self._held:
            self.armed = False
            self.reading.set()
            assert self.release.wait(PATIENCE)
        return self._service.change_mark(customer)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._service, name)

    async def catch_a_tick(self) -> None:
        """Wait until a tick reads the held mark (it waits there until `release`)."""
        self.reading.clear()
        self.release.clear()
        self.armed = True
        assert await to_thread.run_sync(self.reading.wait, PATIENCE)


def test_a_stream_opened_while_a_tick_reads_the_store_stays_open(service: Service) -> None:
    for name in ("acme", "beta"):
        service.create_customer(name, "UTC", f"{name}-pass")
    held = HeldMarks(service, "acme")

    def topic(name: str) -> Topic:
        return Topic(name, service.stream_query(name, {}))

    def key(name: str) -> str:
        return service.keys(name)[0].key_id

    async def scenario() -> None:
        broadcaster = Broadcaster(cast(Service, held), Metrics(), poll_seconds=0.01)
        acme, _ = await broadcaster.open(topic("acme"), key("acme"))
        await held.catch_a_tick()
        beta, _ = await broadcaster.open(topic("beta"), key("beta"))
        held.release.set()
        await held.catch_a_tick()  # the tick that was caught has ended
        held.release.set()
        await held.catch_a_tick()  # and a tick has looked at both customers
        held.release.set()
        assert (acme.ended, beta.ended) == (None, None)
        broadcaster.close()
    run(scenario)
