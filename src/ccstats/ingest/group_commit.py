"""Batches of one customer that arrive together are stored in one transaction.

Each `POST /v2/events` batch is validated in its own request thread, but storing
is serialised: the store writes one transaction at a time, and every
transaction pays a fixed cost (a dozen planned statements, a commit) whatever
its size. While one batch is being stored, the batches that are ready next
queue up; the first of them to get the write turn stores them all, as one
table in one transaction, and tells each waiting request the outcome.

Each batch stays atomic: the group is stored whole or not at all, and when it
fails every request of the group gets the error (none of them is stored). The
batches are joined in the order they queued, with their line numbers shifted
so that a later batch's version of an id wins, as it would when stored one
after the other.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from ccstats.ingest.validate import ValidatedBlock
from ccstats.store.base import Store


@dataclass(eq=False)
class _Pending:
    blocks: Sequence[ValidatedBlock]
    done: bool = False
    error: BaseException | None = None


class GroupCommit:
    """Stores validated batches of a customer, several at a time when they queue."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()  # guards the two dicts below
        self._queues: dict[int, list[_Pending]] = {}
        self._turns: dict[int, threading.Lock] = {}

    def store(self, customer_id: int, blocks: Sequence[ValidatedBlock]) -> None:
        """Store one batch (its blocks, in order) atomically; returns once it is stored.

        Raises what storing raised (then nothing of the batch is stored).
        """
        pending = _Pending(blocks)
        with self._lock:
            self._queues.setdefault(customer_id, []).append(pending)
            turn = self._turns.setdefault(customer_id, threading.Lock())
        with turn:
            if not pending.done:
                with self._lock:
                    group = self._queues.pop(customer_id)
                self._write(customer_id, group)
        if pending.error is not None:
            # each request raises its own copy (one instance raised in several
            # threads would collect all their tracebacks)
            raise copy.copy(pending.error) from pending.error

    def _write(self, customer_id: int, group: list[_Pending]) -> None:
        try:
            events = _joined(group)
            with self._store.writer(customer_id) as writer:
                if events.num_rows:
                    writer.add(events)
        except BaseException as error:
            for pending in group:
                pending.error = error
        finally:
            for pending in group:
                pending.done = True


def _joined(group: list[_Pending]) -> pa.Table:
    """The events of every batch of `group` in one table, line numbers kept increasing."""
    tables: list[pa.Table] = []
    offset = 0
    for pending in group:
        last = 0
        for block in pending.blocks:
            events = block.events
            if not events.num_rows:
                continue
            line_no = events.column("line_no")
            last = max(last, pc.max(line_no).as_py())
            if offset:
                index = events.schema.get_field_index("line_no")
                events = events.set_column(index, "line_no", pc.add(line_no, offset))
            tables.append(events)
        offset += last
    if not tables:
        return pa.table({})
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)
