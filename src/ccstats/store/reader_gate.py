"""A gate that reads pass together and that one task can close while none is under way.

The DuckDB store reads through cursors of its one connection. Rewriting its file
(`ccstats.store.duckdb_erasure`) closes that connection and opens the new file, which
must not happen under a read: `ReaderGate.excluded` closes the gate to reads that
begin, waits for those under way to end, and gives up (opening the gate again) if they
do not end within its patience, e.g. an answer streamed to a slow client. Reads that
come while the gate is closed wait until it opens.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ReaderGate:
    """Counts the reads under way; lets one task at a time keep every read out."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._reads = 0
        self._closed = False

    @contextmanager
    def reading(self) -> Iterator[None]:
        """A read: waits while the gate is closed, then counts until the block ends."""
        with self._changed:
            self._changed.wait_for(lambda: not self._closed)
            self._reads += 1
        try:
            yield
        finally:
            with self._changed:
                self._reads -= 1
                self._changed.notify_all()

    @contextmanager
    def excluded(self, patience: float) -> Iterator[bool]:
        """Close the gate and wait up to `patience` seconds for the reads under way to end:
        the block gets True if they did (no read runs until it ends), False if not (the
        gate is open again). Callers take turns (they hold the store's write lock)."""
        with self._changed:
            self._closed = True
            alone = self._changed.wait_for(lambda: self._reads == 0, timeout=patience)
            if not alone:
                self._open()
        try:
            yield alone
        finally:
            if alone:
                with self._changed:
                    self._open()

    def _open(self) -> None:
        """(Holding the condition's lock.)"""
        self._closed = False
        self._changed.notify_all()
