"""Metadata read on every request (customers, projects, users...), kept between writes.

A store calls `MetadataCache.invalidate` after each write that changes what the
cache holds has committed. A read that loaded its value before that commit must
never be returned after the invalidation, even when the reader keeps the value
only after the invalidation ran: every entry remembers the generation that was
current when its load began, and only entries of the current generation are
returned. Keeping a value and invalidating therefore need no common lock, and a
stale value cannot stick (between a commit and its invalidation a reader may
still see the value from before the commit, as it would had it read a moment
earlier).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class _Entry(Generic[V]):
    generation: int
    expires: float
    value: V


class MetadataCache(Generic[K, V]):
    """Loaded values by key, valid until the next `invalidate` (and for at most
    `max_age` seconds, if given: for changes made by other processes)."""

    def __init__(self, max_age: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._max_age = max_age
        self._clock = clock
        self._entries: dict[K, _Entry[V]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def get(self, key: K, load: Callable[[], V]) -> V:
        """The value of `key`, loaded with `load` unless a current one is kept."""
        generation = self._generation
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and entry.generation == generation and now < entry.expires:
            return entry.value
        value = load()
        expires = float("inf") if self._max_age is None else now + self._max_age
        self._entries[key] = _Entry(generation, expires, value)
        return value

    def invalidate(self) -> None:
        """Forget every value (call it after a write has committed)."""
        with self._lock:
            self._generation += 1
            self._entries.clear()
