"""Atomic batches on ClickHouse, which has no transactions across tables.

A batch gets an id larger than every committed batch of its customer. Its rows
(event versions and sums deltas) are written with that id while it is open;
readers see only rows of batches that have a ``committed`` marker in
``batches``. Committing is one single-row INSERT, which ClickHouse applies
atomically, so a batch becomes visible at once and whole; a batch that fails or
is aborted never gets the marker and stays invisible (`ccstats compact` removes
its rows). Sums rows of a batch with a ``folded`` marker are hidden as well:
`rebuild` and `compact` write the whole sums of a customer as a new batch and,
in the same single INSERT, commit it and fold every earlier batch.

Versions of an event are ordered by (batch, block within the batch); the current
version of an id is the latest visible one, unless it is a deletion.

Writers of one customer are serialized within a process; a second process that
committed a batch of the same customer while a batch was open is detected
before the marker is written, and the later batch is refused (nothing stored).

The metadata a batch writes (its name mappings with the projects and users they
create, the projects and users its events name) has no batch column: it is
written at commit, once the batch is known to be accepted, right before the
marker, so that a batch that fails or is aborted or refused leaves none of it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from clickhouse_driver import Client

from ccstats.errors import StoreBusy

_clock_lock = threading.Lock()
_last_tick = 0


def tick() -> int:
    """A number larger than every earlier one of this process (nanoseconds since the epoch)."""
    global _last_tick  # noqa: PLW0603 - one clock per process
    with _clock_lock:
        _last_tick = max(time.time_ns(), _last_tick + 1)
        return _last_tick


def last_committed(client: Client, customer_id: int) -> int:
    rows = client.execute("SELECT max(batch) FROM batches WHERE customer_id = %(c)s "
                          "AND state = 'committed'", {"c": int(customer_id)})
    return int(rows[0][0] or 0) if rows else 0


def visible_events(customer_id: int, own_batch: int | None = None) -> str:
    """The condition on ``batch`` that keeps event rows of committed batches (and `own_batch`)."""
    condition = (f"batch IN (SELECT batch FROM batches WHERE customer_id = {int(customer_id)} "
                 "AND state = 'committed')")
    return f"({condition} OR batch = {int(own_batch)})" if own_batch is not None else condition


def visible_sums(customer_id: int) -> str:
    """The condition on ``batch`` that keeps the sums rows of committed, unfolded batches."""
    c = int(customer_id)
    return (f"batch IN (SELECT batch FROM batches WHERE customer_id = {c} "
            f"AND state = 'committed') AND batch NOT IN (SELECT batch FROM batches "
            f"WHERE customer_id = {c} AND state = 'folded')")


class Batch:
    """One open batch of one customer."""

    def __init__(self, client: Client, customer_id: int) -> None:
        self.client = client
        self.customer_id = int(customer_id)
        self.opened_after = last_committed(client, customer_id)
        self.batch = max(tick(), self.opened_after + 1)
        self.blocks = 0

    def next_block(self) -> int:
        self.blocks += 1
        return self.blocks - 1

    def commit(self, fold_earlier: bool = False,
               before_marker: Callable[[], None] | None = None) -> None:
        """Make the batch visible; with `fold_earlier`, hide the sums of every earlier batch.

        `before_marker` writes what has no batch of its own to hide it (name mappings,
        projects, users): it runs once the batch is known to be accepted, right before
        the marker, so that a refused batch leaves none of it.
        """
        c = self.customer_id
        later = self.client.execute(
            "SELECT count() FROM batches WHERE customer_id = %(c)s AND state = 'committed' "
            "AND batch > %(after)s", {"c": c, "after": self.opened_after})[0][0]
        if later:
            raise StoreBusy(
                "another process stored events of this customer while this batch was being "
                "written; nothing of this batch was stored: send it again")
        markers = [(c, self.batch, "committed")]
        if fold_earlier:
            earlier = self.client.execute(
                "SELECT DISTINCT batch FROM batches WHERE customer_id = %(c)s "
                "AND state = 'committed' AND batch < %(b)s AND batch NOT IN (SELECT batch "
                "FROM batches WHERE customer_id = %(c)s AND state = 'folded')",
                {"c": c, "b": self.batch})
            markers += [(c, int(row[0]), "folded") for row in earlier]
        if before_marker is not None:
            before_marker()
        self.client.execute("INSERT INTO batches (customer_id, batch, state) VALUES", markers)
