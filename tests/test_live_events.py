"""`Store.live_events`: the current versions of the open intervals and of the queue calls
that started at a moment or later (realtime.md), on every store.

Random steps store, replace (closing, reopening, moving the start across the moment
asked about, changing the type) and delete events; after each, the store's answer for
several moments must be exactly what replaying the steps on a dict says.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from backends import drop_database, new_database
from ccstats.service import Service
from conftest import Event, call, chat, ndjson, point, queue_call, userstate

NOW = int(time.time())
#: Starts of the events: around three moments the test asks about.
MOMENTS = (NOW - 7200, NOW - 3600, NOW - 60)
IDS = ("a", "b", "c", "d")
_customers = itertools.count(1)


@pytest.fixture(scope="module")
def live_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    url = new_database(tmp_path_factory.mktemp("live"))
    service = Service.open(url)
    yield service
    service.close()
    drop_database(url)


@st.composite
def events(draw: st.DrawFn, event_id: str) -> Event:
    """A random event: open or closed, of an interval type, a queue call or a point."""
    start = draw(st.sampled_from(MOMENTS)) + draw(st.sampled_from([-1, 0, 1, 30]))
    end: int | None = None if draw(st.booleans()) else start + draw(st.sampled_from([0, 90]))
    kind = draw(st.sampled_from(["userstate", "call", "chat", "queuecall", "queuecall",
                                 "disposition"]))
    project, user = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    if kind == "userstate":
        state = draw(st.sampled_from(["call", "break"]))
        return userstate(event_id, state, start, end, project, user)
    if kind == "call":
        answer = draw(st.sampled_from([None, start]))
        return call(event_id, "in", start, answer, end, project, user)
    if kind == "chat":
        return chat(event_id, start, end, project, user)
    if kind == "queuecall":
        answer = draw(st.sampled_from([None, start]))
        queue = draw(st.integers(1, 2))
        return queue_call(event_id, queue, start, answer, end, project, user)
    return point(event_id, "disposition", "success", start, project, user)


Step = tuple[list[Event], str | None]


@st.composite
def steps(draw: st.DrawFn) -> list[Step]:
    """Batches of events (an id may repeat in one: its last line counts), or deletions."""
    found: list[Step] = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.integers(0, 4)) == 0:
            found.append(([], draw(st.sampled_from(IDS))))
        else:
            ids = draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=5))
            found.append(([draw(events(event_id)) for event_id in ids], None))
    return found


def expected(stored: dict[str, Event], since: int) -> list[tuple[Any, ...]]:
    """(id, type, start, end) of the stored open intervals and queue calls from `since`."""
    return sorted((e["id"], e["type"], e["start"], e["end"]) for e in stored.values()
                  if e["type"] != "disposition" and e["start"] >= since
                  and (e["end"] is None or e["type"] == "queuecall"))


def found(service: Service, customer: str, since: int) -> list[tuple[Any, ...]]:
    store = service._store
    table = store.live_events(service.customer(customer).customer_id, since)
    return sorted((r["event_id"], r["type"], r["t_start"], r["t_end"])
                  for r in table.to_pylist())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=steps())
def test_live_events_are_the_current_open_intervals_and_queue_calls(
        live_service: Service, scenario: list[Step]) -> None:
    customer = f"live{next(_customers)}"
    live_service.create_customer(customer, "Europe/Budapest", "pw")
    stored: dict[str, Event] = {}
    for batch, deleted in scenario:
        if deleted is not None:
            note(f"delete {deleted}")
            assert live_service.delete_event(customer, deleted) is (deleted in stored)
            stored.pop(deleted, None)
        else:
            note(f"ingest {batch}")
            live_service.ingest(customer, ndjson(*batch))
            stored.update((e["id"], e) for e in batch)
        for since in (0, *MOMENTS):
            assert found(live_service, customer, since) == expected(stored, since)


def test_a_refused_batch_leaves_no_live_event(service: Service, tmp_path: Path) -> None:
    service.create_customer("acme", "UTC", "pw")
    service.ingest("acme", ndjson(userstate("s", "call", NOW - 60, None)))
    bad = ndjson(userstate("s", "call", NOW - 60, NOW),
                 userstate("t", "call", NOW - 9, None), {"id": "u", "type": "userstate"})
    with pytest.raises(Exception, match="line 3"):
        service.ingest("acme", bad)
    assert found(service, "acme", 0) == [("s", "userstate", NOW - 60, None)]
