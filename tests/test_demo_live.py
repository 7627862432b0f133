"""The demo's live shift against a real server over HTTP, on a real DuckDB database.

The server runs in this process (uvicorn, as ``ccstats serve`` runs it), so that the
tests read its store while the shift posts: DuckDB lets one process at a time open
a database file. The last test runs ``ccstats demo`` itself and stops it as Ctrl-C
does.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest
import uvicorn

from ccstats.api.app import create_app
from ccstats.api.protocol import EnvelopeH11Protocol
from ccstats.api.settings import Settings
from ccstats.demo import customer
from ccstats.demo.live.floor import Floor
from ccstats.demo.live.poster import Poster
from ccstats.demo.live.records import Event
from ccstats.demo.live.roster import demo_roster
from ccstats.demo.live.shift import LiveShift
from ccstats.service import Service
from live_checks import Moments, Row, from_event, from_table
from oracle import expected_response
from test_demo import CCSTATS, ELSEWHERE, _free_port

ROSTER = demo_roster()
AGENTS = frozenset(agent.user_id for agent in ROSTER.agents)
AUTH = (customer.NAME, customer.PASSWORD)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Service, str]]:
    """A server on a database holding the demo customer (without its history): the
    service and the server's URL."""
    service = Service.open(str(tmp_path / "live.duckdb"))
    service.create_customer(customer.NAME, customer.TIMEZONE, customer.PASSWORD)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(
        create_app(service, Settings(rate_limit=0)), host="127.0.0.1", port=port,
        log_level="warning", access_log=False, http=EnvelopeH11Protocol))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield service, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        service.close()


def stored_rows(service: Service) -> dict[str, Row]:
    customer_id = service.customer(customer.NAME).customer_id
    return {row.event_id: row
            for table in service._store.events(customer_id) for row in from_table(table)}


def open_rows(service: Service, since: int) -> list[Row]:
    """The open intervals the store answers for the real-time views."""
    customer_id = service.customer(customer.NAME).customer_id
    rows = from_table(service._store.live_events(customer_id, since))
    return [row for row in rows if row.end is None]


def by_user(url: str, first: int, last: int) -> list[dict[str, Any]]:
    """``GET /v2/statistics/userbased`` by user for the local days of `first`..`last`."""
    zone = ZoneInfo(customer.TIMEZONE)
    days = [dt.datetime.fromtimestamp(t, zone).strftime("%Y%m%d") for t in (first, last)]
    answer = httpx.get(f"{url}/v2/statistics/userbased", auth=AUTH, timeout=30, params={
        "from": days[0], "to": days[1], "dimensions": "user"})
    assert answer.status_code == 200, answer.text
    records: list[dict[str, Any]] = orjson.loads(answer.content)["response"]
    return records


def expected_by_user(events: list[Event], first: int, last: int) -> list[dict[str, Any]]:
    """The oracle's answer: closed user states, calls and dispositions only."""
    zone = ZoneInfo(customer.TIMEZONE)
    return expected_response(
        [e for e in events if e["type"] != "queuecall"], zone=customer.TIMEZONE, interval=60,
        date_from=dt.datetime.fromtimestamp(first, zone).date(),
        date_to=dt.datetime.fromtimestamp(last, zone).date(),
        dimensions=["user"], fields=None, projects=None, users=None)


def sums(records: list[dict[str, Any]]) -> dict[tuple[int, str], int]:
    return {(record["userId"], d["field"]): d["sum"] or 0
            for record in records for d in record["data"]}


def test_each_tick_through_the_server_leaves_a_possible_store(
        served: tuple[Service, str]) -> None:
    """Ticks of 30 s from an hour ago, posted and read back: the store holds what was posted,
    its open intervals are those of a possible moment, and the statistics count exactly
    the closed events, growing tick by tick."""
    service, url = served
    start = int(time.time()) - 3600
    floor = Floor(ROSTER, customer.SEED, start)
    poster = Poster(url, *AUTH)
    moments = Moments(AGENTS)
    posted: dict[str, Event] = {}
    before: dict[tuple[int, str], int] = {}
    for tick in range(40):
        at = start + 30 * tick
        events = floor.advance(at)
        assert poster.send(events)
        posted.update((str(e["id"]), e) for e in events)
        stored = stored_rows(service)
        assert stored == {event_id: from_event(e) for event_id, e in posted.items()}
        moments.apply(stored.values(), at)
        assert sorted(open_rows(service, start), key=lambda r: r.event_id) == sorted(
            moments.going.values(), key=lambda r: r.event_id)
        if tick % 10 == 9:
            answer = by_user(url, start, at)
            assert answer == expected_by_user(list(posted.values()), start, at)
            now = sums(answer)
            assert all(now.get(key, 0) >= value for key, value in before.items())
            assert sum(now.values()) > sum(before.values())
            before = now
    phases = [tuple(p) for p in moments.phases.values()]
    assert ("waiting", "talking", "answered") in phases
    assert any(p[-1] == "abandoned" for p in phases)
    poster.close()


def test_the_shift_posts_until_stopped_and_leaves_nothing_open(
        served: tuple[Service, str]) -> None:
    """The thread, with a clock that runs fast (from an hour ago, never ahead of the real
    one) and a short period: every moment stored is possible; once stopped, nothing is
    open and the thread is gone."""
    service, url = served
    begin, calls = int(time.time()) - 3600, [0]

    def clock() -> float:
        calls[0] += 1
        return min(begin + 30 * calls[0], time.time())

    shift = LiveShift(url, period=0.02, clock=clock)
    shift.start()
    moments = Moments(AGENTS)
    deadline = time.monotonic() + 120
    while shift.floor is None or shift.floor.now < shift.floor.start + 900:
        assert time.monotonic() < deadline, "the shift did not get going"
        if shift.floor is not None and (rows := stored_rows(service)):
            moments.apply(rows.values(), int(time.time()))
        time.sleep(0.2)
    assert shift.stop()
    assert "ccstats-live-shift" not in {thread.name for thread in threading.enumerate()}
    assert open_rows(service, 0) == []
    stored = stored_rows(service)
    assert len(stored) > 100
    moments.apply(stored.values(), int(time.time()), ended=True)
    moments.check_contiguous()
    assert len(last_ends(stored)) == 1, "every agent's last state ended when the shift did"
    last = max(row.end or 0 for row in stored.values())
    assert by_user(url, begin, last) == expected_by_user(as_events(stored), begin, last)


def test_ccstats_demo_keeps_a_live_shift_until_ctrl_c(tmp_path: Path) -> None:
    """`ccstats demo` (`make run`) drops what a killed shift left open, keeps a shift going
    while it serves, and on SIGINT (Ctrl-C) stops; nothing stays open or running."""
    db = tmp_path / "demo.duckdb"
    now = int(time.time())
    service = Service.open(str(db))
    try:
        service.create_customer(customer.NAME, customer.TIMEZONE, customer.PASSWORD)
        service.ingest(customer.NAME, b"".join(orjson.dumps(
            {"id": event_id, "type": "userstate", "state": "call", "projectId": 3,
             "userId": 3, "start": now - 600, "end": None}) + b"\n"
            for event_id in ("live1-u3-1", "mine-1")))
    finally:
        service.close()
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(CCSTATS), "demo", "--port", str(_free_port()), "--db", str(db)],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **ELSEWHERE})
    try:
        deadline = time.monotonic() + 120
        while log.read_text(errors="replace").count('"path":"/v2/events"') < 2:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    printed = log.read_text(errors="replace")
    assert "A live shift is going on: 12 agents" in printed
    assert "Traceback" not in printed
    service = Service.open(str(db))
    try:
        stored = stored_rows(service)
    finally:
        service.close()
    assert "live1-u3-1" not in stored
    assert stored["mine-1"].end is None  # not the shift's own
    shift = {event_id: row for event_id, row in stored.items() if event_id.startswith("live")}
    assert len(shift) > len(AGENTS)
    moments = Moments(AGENTS)
    moments.apply(shift.values(), int(time.time()), ended=True)
    moments.check_contiguous()
    assert len(last_ends(shift)) == 1


def last_ends(stored: dict[str, Row]) -> set[int | None]:
    """When each agent's last user state ended."""
    last: dict[int, Row] = {}
    for row in stored.values():
        if row.type == "userstate" and (row.user not in last or row.start > last[row.user].start):
            last[row.user] = row
    return {row.end for row in last.values()}


def as_events(stored: dict[str, Row]) -> list[Event]:
    """The stored user states, calls and dispositions as the oracle reads events."""
    events: list[Event] = []
    for row in stored.values():
        event: Event = {"id": row.event_id, "type": row.type, "projectId": row.project,
                        "userId": row.user}
        if row.type == "disposition":
            event.update(status=row.sub, time=row.start)
        elif row.type in ("userstate", "call"):
            member = "state" if row.type == "userstate" else "direction"
            event.update({member: row.sub, "start": row.start, "answer": row.answer,
                          "end": row.end})
        else:
            continue
        events.append(event)
    return events
