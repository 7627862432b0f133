"""The server's schedule of pruning (``ccstats serve --prune-every``).

A background thread prunes each customer with a retention (`ccstats.retention`,
`Service.prune`) once shortly after the server starts, then every `every` seconds,
until the server stops (a prune under way is finished first). Each customer pruned
is logged as one JSON line to ``ccstats.retention`` (as the access log writes its
lines) and its events removed are counted by ``ccstats_pruned_events_total``. A
failure (the store unavailable, another process writing the customer) is logged,
and the next run tries again: it never ends the server, nor the other customers'
prunes.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from types import TracebackType

import orjson

from ccstats.api.metrics import Metrics
from ccstats.errors import StoreUnavailable
from ccstats.service import Service

log = logging.getLogger("ccstats.retention")

#: Seconds after the start before the first run, so that it does not hold up the start.
FIRST_DELAY = 1.0


class PruneSchedule:
    """Prunes every `every` seconds (0: never) while the block it opens runs."""

    def __init__(self, service: Service, metrics: Metrics, every: float,
                 first_delay: float = FIRST_DELAY) -> None:
        self._service = service
        self._metrics = metrics
        self._every = every
        self._first_delay = first_delay
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ccstats-prune", daemon=True)

    def __enter__(self) -> PruneSchedule:
        if self._every > 0:
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        delay = self._first_delay
        while not self._stopping.wait(delay):
            self.run_once()
            delay = self._every

    def run_once(self) -> None:
        """Prune each customer with a retention, each on its own (a failure is logged)."""
        try:
            names = [found.name for found in self._service.customers()
                     if found.keep_days is not None]
        except Exception as error:  # whatever failed, the next run tries again
            _log_line(None, {"error": _reason(error)}, time.perf_counter())
            return
        for name in names:
            if self._stopping.is_set():
                return
            began = time.perf_counter()
            try:
                done = self._service.prune(name)
            except Exception as error:  # (as above)
                _log_line(name, {"error": _reason(error)}, began)
                continue
            for found in done:
                self._metrics.events_pruned(found.events)
                _log_line(name, {"kept_from": None if found.kept_from is None
                                 else found.kept_from.isoformat(),
                                 "events": found.events}, began)


def _reason(error: Exception) -> str:
    return error.detail if isinstance(error, StoreUnavailable) else \
        f"{type(error).__name__}: {error}"


def _log_line(customer: str | None, outcome: dict[str, object], began: float) -> None:
    """One JSON line: the time, ``prune``, the customer, what happened, how long it took."""
    line = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": "prune",
            "customer": customer, **outcome,
            "ms": round((time.perf_counter() - began) * 1000, 1)}
    if "error" in outcome:
        log.warning(orjson.dumps(line).decode())
    else:
        log.info(orjson.dumps(line).decode())
