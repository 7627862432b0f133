"""The live shift's thread: from the server's first answer until it is stopped.

The thread waits until the server answers ``/health``, starts the shift then (the
real clock, whole seconds) and, every `period` seconds, plays it up to the clock
and posts what happened as one batch; an event is at most about a period old when
posted. Nothing it meets stops it: a failed post is logged and sent again with the
next one, a fault of a tick is logged.

`stop` ends the thread, then the shift: every interval still open is closed at the
clock's time and the closing batch is posted, or handed to a `store` function when
the server no longer answers (``ccstats demo`` stops the shift after the server has
stopped accepting requests, and stores that batch through the same service).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ccstats.demo import customer
from ccstats.demo.live.floor import Floor
from ccstats.demo.live.poster import Poster
from ccstats.demo.live.roster import Roster, demo_roster

log = logging.getLogger(__name__)
#: Seconds between batches.
PERIOD = 2.0
#: How often the thread asks whether the server is up yet, in seconds.
STARTUP_POLL = 0.2
#: How long `stop` waits for a post under way (a post times out sooner).
JOIN_SECONDS = 30.0


class LiveShift:
    """A live shift posted to the server at `url` (``http://host:port``) as the demo
    customer, or as `account` (name, key)."""

    def __init__(self, url: str, *, roster: Roster | None = None, seed: int = customer.SEED,
                 period: float = PERIOD, clock: Callable[[], float] = time.time,
                 account: tuple[str, str] = (customer.NAME, customer.PASSWORD)) -> None:
        self.roster = roster or demo_roster()
        self.floor: Floor | None = None
        """The shift, once the server answered."""
        self._seed, self._period, self._clock = seed, period, clock
        self._poster = Poster(url, *account)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ccstats-live-shift",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, store: Callable[[bytes], object] | None = None) -> bool:
        """Stop the thread and end the shift; True if its closing batch was stored (or
        there was none). Without `store` the batch is posted."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(JOIN_SECONDS)
        if self._thread.is_alive():
            log.error("live shift: the thread did not stop; its open events stay open")
            return False
        try:
            if self.floor is None:
                return True
            events = self.floor.close(int(self._clock()))
            if store is None:
                return self._poster.send(events)
            return self._poster.hand_over(events, store)
        finally:
            self._poster.close()

    def _run(self) -> None:
        while not self._poster.reachable():
            if self._stopping.wait(STARTUP_POLL):
                return
        self.floor = Floor(self.roster, self._seed, int(self._clock()))
        self._tick(self.floor)
        while not self._stopping.wait(self._period):
            self._tick(self.floor)

    def _tick(self, floor: Floor) -> None:
        try:
            self._poster.send(floor.advance(int(self._clock())))
        except Exception:
            # A fault here must neither stop the shift nor reach the server.
            log.exception("live shift: a tick failed")
