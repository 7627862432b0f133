"""`GET /v2/realtime/stream` over real HTTP (realtime.md §2): snapshots, keep-alives, tenancy,
revocation, slow clients, stopping, and (on ClickHouse) a second server process.

Waiting is bounded by `stream_client.PATIENCE`, a guard against hanging: no test
measures how fast a snapshot comes (the benchmarks do).
"""

from __future__ import annotations

import base64
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.conftest import Account, Launcher, create_customers, start_server, stop
from api.stream_client import PATIENCE, Listener
from backends import ON_CLICKHOUSE, drop_database, new_database
from conftest import queue_call, userstate

CUSTOMER, PASSWORD = "live", "live-pass"
OTHER, OTHER_PASSWORD = "other", "other-pass"
FAST_KEEP_ALIVE = ["--stream-keep-alive", "0.5"]


@pytest.fixture(scope="module")
def accounts() -> list[Account]:
    return [(CUSTOMER, "UTC", PASSWORD), (OTHER, "Asia/Kolkata", OTHER_PASSWORD)]


@pytest.fixture(scope="module")
def server(launch: Launcher, accounts: list[Account]) -> str:
    return launch(accounts, {}, FAST_KEEP_ALIVE)


def going(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "end": None}


def post(url: str, auth: tuple[str, str], *events: dict[str, Any]) -> None:
    answer = httpx.post(f"{url}/v2/events", json=list(events), auth=auth, timeout=PATIENCE)
    assert answer.status_code == 200, answer.text


def users_of(data: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {record["userId"]: record for record in data["users"]["response"]}


def queues_of(data: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {record["queueId"]: record for record in data["queues"]["response"]}


def without(records: list[dict[str, Any]], member: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in record.items() if k != member} for record in records]


def test_the_first_snapshot_holds_both_answers_and_each_write_brings_a_new_one(
        server: str) -> None:
    auth = (CUSTOMER, PASSWORD)
    now = int(time.time())
    post(server, auth, going(userstate("s-anna", "available", now - 60, None, 2, 17)),
         going(queue_call("s-q1", 3, now - 20, None, None, 2)))
    with Listener(server, auth) as stream:
        first = stream.next().data
        assert stream.status == 200 and stream.retry == "2000"
        assert stream.head["content-type"].startswith("text/event-stream")
        users = httpx.get(f"{server}/v2/onlineusers", auth=auth).json()
        queues = httpx.get(f"{server}/v2/realtime/queues", auth=auth).json()
        # the snapshot came first: its durations are those answers' or shorter
        assert without(first["users"]["response"], "stateDuration") == \
            without(users["response"], "stateDuration")
        assert without(first["queues"]["response"], "longestWait") == \
            without(queues["response"], "longestWait")
        assert first["users"]["errors"] == first["queues"]["errors"] == []
        assert 60 <= users_of(first)[17]["stateDuration"] <= users["response"][0]["stateDuration"]
        assert queues_of(first)[3]["waiting"] == 1

        post(server, auth, going(userstate("s-anna", "break", now - 60, None, 2, 17)))
        assert users_of(stream.snapshot_where(
            lambda d: users_of(d)[17]["state"] == "break"))[17]["projectId"] == 2

        post(server, auth, queue_call("s-q1", 3, now - 20, now - 5, now, 2, 17))
        answered = stream.snapshot_where(lambda d: queues_of(d)[3]["waiting"] == 0)
        assert queues_of(answered)[3]["answered"] == 1

        deleted = httpx.delete(f"{server}/v2/events/s-anna", auth=auth)
        assert deleted.status_code == 200
        assert 17 not in users_of(stream.snapshot_where(lambda d: 17 not in users_of(d)))


def test_keep_alive_comments_come_between_snapshots(server: str) -> None:
    with Listener(server, (CUSTOMER, PASSWORD)) as stream:
        assert stream.next().kind == "snapshot"
        assert stream.next("comment").data == ": keep-alive"
        assert stream.next("comment").data == ": keep-alive"


def test_the_options_choose_what_a_snapshot_shows(server: str) -> None:
    auth = (CUSTOMER, PASSWORD)
    now = int(time.time())
    post(server, auth, going(userstate("o-1", "available", now - 5, None, 4, 41)),
         going(userstate("o-2", "available", now - 5, None, 5, 51)),
         going(queue_call("o-q", 6, now - 5, None, None, 4)),
         queue_call("o-q7", 7, now - 50, now - 40, now - 10, 4, 41))
    params = {"projects": "4", "queues": "7", "manual_sla": "5"}
    with Listener(server, auth, params) as stream:
        data = stream.next().data
        assert set(users_of(data)) == {41}
        assert set(queues_of(data)) == {7} and queues_of(data)[7]["serviceLevel"] == 0
    with Listener(server, auth, {"manual_sla": "15"}) as stream:
        assert queues_of(stream.next().data)[7]["serviceLevel"] == 1


def test_bad_options_get_417_naming_each_option_once_before_any_stream(server: str) -> None:
    answer = httpx.get(f"{server}/v2/realtime/stream", auth=(CUSTOMER, PASSWORD),
                       params={"projects": "999999", "manual_sla": "0", "queues": "x"})
    assert answer.status_code == 417
    assert answer.headers["content-type"].startswith("application/json")
    params = [error["param"] for error in answer.json()["errors"]]
    assert sorted(params) == ["manual_sla", "projects", "queues"]


def test_a_stream_shows_only_its_own_customers_agents(server: str) -> None:
    now = int(time.time())
    mine, theirs = (CUSTOMER, PASSWORD), (OTHER, OTHER_PASSWORD)
    with Listener(server, mine) as own, Listener(server, theirs) as other:
        post(server, theirs, going(userstate("t-1", "available", now - 5, None, 8, 808)))
        post(server, mine, going(userstate("t-2", "available", now - 5, None, 8, 707)))
        assert 707 in users_of(own.snapshot_where(lambda d: 707 in users_of(d)))
        assert 808 in users_of(other.snapshot_where(lambda d: 808 in users_of(d)))
        post(server, mine, going(userstate("t-3", "break", now - 5, None, 8, 709)))
        own.snapshot_where(lambda d: 709 in users_of(d))
        seen_by_other = [m.data for m in _drain(other) if m.kind == "snapshot"]
    assert not any({707, 709} & set(users_of(data)) for data in seen_by_other)


def test_the_stream_of_a_revoked_key_ends(server: str) -> None:
    admin = (CUSTOMER, PASSWORD)
    created = httpx.post(f"{server}/v2/keys", json={"scopes": ["read"]}, auth=admin).json()
    key = created["response"]
    with Listener(server, (CUSTOMER, key["key"])) as revoked, Listener(server, admin) as kept:
        assert revoked.next().kind == kept.next().kind == "snapshot"
        assert httpx.delete(f"{server}/v2/keys/{key['keyid']}", auth=admin).status_code == 200
        assert revoked.next().kind == "end"
        assert kept.next("comment").kind == "comment"


@pytest.mark.skipif(ON_CLICKHOUSE, reason="the streams do not depend on the store; one run "
                                          "is enough")
def test_a_client_that_stops_reading_is_dropped_and_does_not_keep_the_server_from_stopping(
        tmp_path: Path, accounts: list[Account]) -> None:
    """With ``--stream-buffer 1`` the server holds one snapshot for it once the sockets'
    buffers are full (a few MB: the snapshots of 2,000 agents online fill them within
    a minute or so), and then drops it: nothing more is made for it."""
    auth = (CUSTOMER, PASSWORD)
    with _own_servers(tmp_path, accounts, 1, ["--stream-buffer", "1"]) as ([url], [process]):
        now = int(time.time())
        post(url, auth, *(going(userstate(f"d-{u}", "available", now - 5, None, 1, u))
                          for u in range(1, 2001)))
        reader = _silent_stream(url)
        try:
            deadline = time.monotonic() + 5 * PATIENCE
            while _metric(url, 'ccstats_streams_ended_total{why="slow"}') < 1:
                assert time.monotonic() < deadline, "the slow client was never dropped"
                post(url, auth, going(userstate("d-1", "break", now - 5, None, 1, 1)))
                post(url, auth, going(userstate("d-1", "available", now - 5, None, 1, 1)))
            assert _metric(url, "ccstats_streams_open") == 0
            with Listener(url, auth) as fresh:
                assert len(users_of(fresh.next().data)) == 2000
            process.terminate()
            assert process.wait(timeout=PATIENCE) == 0
        finally:
            reader.close()


def test_stopping_the_server_ends_its_streams(tmp_path: Path,
                                              accounts: list[Account]) -> None:
    with _own_servers(tmp_path, accounts, 1) as ([url], [process]), \
            Listener(url, (CUSTOMER, PASSWORD)) as stream:
        assert stream.next().kind == "snapshot"
        process.terminate()
        assert process.wait(timeout=PATIENCE) == 0
        assert stream.next().kind == "end"


@pytest.mark.skipif(not ON_CLICKHOUSE, reason="one DuckDB file has one server process")
def test_a_write_through_one_server_reaches_the_stream_of_another(
        tmp_path: Path, accounts: list[Account]) -> None:
    auth = (CUSTOMER, PASSWORD)
    with _own_servers(tmp_path, accounts, 2) as ([first, second], _), \
            Listener(second, auth) as stream:
        assert stream.next().kind == "snapshot"
        now = int(time.time())
        post(first, auth, going(userstate("m-1", "available", now - 5, None, 3, 303)))
        assert users_of(stream.snapshot_where(lambda d: 303 in users_of(d)))[303]["state"] \
            == "available"
        post(first, auth, going(userstate("m-1", "break", now - 5, None, 3, 303)))
        stream.snapshot_where(lambda d: users_of(d).get(303, {}).get("state") == "break")


def _drain(stream: Listener) -> list[Any]:
    """What `stream` has received and not yet been taken."""
    found = []
    while not stream.messages.empty():
        found.append(stream.messages.get_nowait())
    return found


def _silent_stream(url: str) -> socket.socket:
    """A stream request on a socket with a small receive buffer, never read."""
    address = httpx.URL(url)
    reader = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    reader.connect((address.host, address.port or 80))
    token = "Basic " + base64.b64encode(f"{CUSTOMER}:{PASSWORD}".encode()).decode()
    reader.sendall(f"GET /v2/realtime/stream HTTP/1.1\r\nHost: {address.host}\r\n"
                   f"Authorization: {token}\r\n\r\n".encode())
    return reader


def _metric(url: str, series: str) -> float:
    """The value of one series of the server's ``/metrics`` (0 if absent)."""
    for line in httpx.get(f"{url}/metrics").text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@contextmanager
def _own_servers(folder: Path, accounts: list[Account], count: int, options: Sequence[str] = ()
                 ) -> Iterator[tuple[list[str], list[subprocess.Popen[bytes]]]]:
    """`count` servers of one new database with `options`, in processes of their own
    (stopped after)."""
    db = new_database(folder, "stream")
    create_customers(db, accounts, {})
    urls: list[str] = []
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for index in range(count):
            process, url = start_server(db, ["--rate-limit", "0", *FAST_KEEP_ALIVE, *options],
                                        folder / f"server{index}.log")
            processes.append(process)
            urls.append(url)
        yield urls, processes
    finally:
        for process in processes:
            if process.poll() is None:
                stop(process)
        drop_database(db)
