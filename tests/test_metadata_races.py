"""Concurrent reads and changes of metadata: a change is never hidden by a read.

A reader that loaded a value before a change committed must not keep it in the
store's cache afterwards. The tests run on DuckDB and, with ``CCSTATS_TEST_DB``,
on ClickHouse.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from backends import ON_CLICKHOUSE
from ccstats.service import Service

on_server = pytest.mark.skipif(not ON_CLICKHOUSE, reason="needs CCSTATS_TEST_DB=clickhouse://")

#: How long a caller waits for the other at the meeting point before the test fails
#: (a bound against hanging, never reached when the code under test is right).
MEETING_SECONDS = 60


class _HeldName(str):
    """A customer name whose second hash holds the thread until `release` is set.

    A cache takes the key's hash when it looks the key up and again when it keeps
    the loaded value: the second time is after the load, where the value may
    already be out of date.
    """

    __slots__ = ()
    hashes = 0
    held = threading.Event()
    release = threading.Event()

    def __hash__(self) -> int:
        _HeldName.hashes += 1
        if _HeldName.hashes == 2:
            _HeldName.held.set()
            assert _HeldName.release.wait(MEETING_SECONDS)
        return str.__hash__(self)


def test_a_change_while_a_customer_is_cached_is_never_hidden(service: Service) -> None:
    """A reader kept its value after a change invalidated the cache: a stale customer
    (networks included) must not be returned afterwards."""
    service.create_customer("acme", "UTC", "pw")
    store = service.store
    reader = threading.Thread(target=store.customer, args=(_HeldName("acme"),))
    reader.start()
    assert _HeldName.held.wait(MEETING_SECONDS)
    service.set_access("acme", ["10.1.0.0/16"])
    _HeldName.release.set()
    reader.join()
    assert store.customer("acme") is not None
    assert service.customer("acme").networks == ("10.1.0.0/16",)


@on_server
def test_a_change_while_access_is_read_is_never_hidden(service: Service) -> None:
    """The reader has read the networks before they changed; it must not keep them."""
    service.create_customer("acme", "UTC", "pw")
    store: Any = service.store
    read, release = threading.Event(), threading.Event()
    real_rows = store._rows

    def rows(sql: str, params: dict[str, Any] | None = None) -> Any:
        found = real_rows(sql, params)
        if "customer_access" in sql and threading.current_thread().name == "reader":
            read.set()
            assert release.wait(MEETING_SECONDS)
        return found

    store._rows = rows
    reader = threading.Thread(target=store.customer, args=("acme",), name="reader")
    reader.start()
    assert read.wait(MEETING_SECONDS)
    service.set_access("acme", ["10.1.0.0/16"])
    release.set()
    reader.join()
    assert service.customer("acme").networks == ("10.1.0.0/16",)
