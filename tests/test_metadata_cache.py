"""The metadata cache both stores use: a value loaded across an invalidation is never kept."""

from __future__ import annotations

import threading

from ccstats.store.metadata_cache import MetadataCache


def test_a_value_loaded_before_an_invalidation_is_not_returned_after_it() -> None:
    stored = ["old"]
    loaded, release = threading.Event(), threading.Event()
    cache: MetadataCache[str, str] = MetadataCache()

    def slow_load() -> str:
        found = stored[0]
        loaded.set()
        assert release.wait(60)
        return found

    reader = threading.Thread(target=cache.get, args=("k", slow_load))
    reader.start()
    assert loaded.wait(60)
    stored[0] = "new"  # a write commits, then invalidates, while the read is under way
    cache.invalidate()
    release.set()
    reader.join()
    assert cache.get("k", lambda: stored[0]) == "new"


def test_a_value_is_loaded_once_until_invalidated_or_too_old() -> None:
    now = [0.0]
    loads: list[str] = []
    cache: MetadataCache[str, int] = MetadataCache(max_age=10.0, clock=lambda: now[0])

    def load() -> int:
        loads.append("k")
        return len(loads)

    assert [cache.get("k", load), cache.get("k", load)] == [1, 1]
    now[0] = 9.9
    assert cache.get("k", load) == 1
    now[0] = 10.0
    assert cache.get("k", load) == 2
    cache.invalidate()
    assert cache.get("k", load) == 3
