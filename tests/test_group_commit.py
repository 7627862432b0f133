"""Batches that queue for the store are stored together, with the same outcome as one by one."""

from __future__ import annotations

import threading
import time

from ccstats.service import Service
from conftest import call, ndjson, userstate

B = 1_714_550_400  # 2024-05-01T08:00:00Z
ALL = {"from": "20240430", "to": "20240502", "dimensions": "project,user,date,time",
       "interval": "15"}
BATCHES = [
    ndjson(userstate("a", "available", B, B + 600), userstate("b", "break", B, B + 300)),
    ndjson(userstate("b", "break", B + 60, B + 2000, user=2),  # replaces b of batch 1
           call("c", "in", B + 100, B + 130, B + 400)),
    ndjson(userstate("a", "available", B, B + 5),  # replaces a; the next line wins over it
           call("c", "out", B + 100, None, B + 200, project=3),  # replaces c of batch 2
           userstate("a", "available", B + 900, B + 1900, project=2)),
]


def _wait_until(condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_queued_batches_go_in_together_with_the_outcome_of_one_by_one(service: Service) -> None:
    service.create_customer("grouped", "Europe/Budapest", "pw")
    service.create_customer("sequential", "Europe/Budapest", "pw")
    for batch in BATCHES:
        service.ingest("sequential", batch)

    commits = service._group_commit
    customer_id = service.customer("grouped").customer_id
    turn = commits._turns.setdefault(customer_id, threading.Lock())
    stored: list[int] = []
    threads = []
    with turn:  # the store is busy: every batch queues
        for count, batch in enumerate(BATCHES, start=1):
            thread = threading.Thread(
                target=lambda b=batch: stored.append(service.ingest("grouped", b)))
            thread.start()
            threads.append(thread)
            _wait_until(lambda n=count: len(commits._queues.get(customer_id, ())) == n)
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(stored) == [2, 2, 3]
    assert commits._queues == {}
    for output in ("json", "csv"):
        assert (service.query("grouped", {**ALL, "of": output})
                == service.query("sequential", {**ALL, "of": output}))
    assert service.event_count("grouped") == 3
