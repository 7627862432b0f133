"""`GET /v2/onlineusers` and `GET /v2/realtime/queues` over real HTTP (realtime.md §2).

A worked example is posted once through ``POST /v2/events``, timed from the real
clock (an open event may not start more than 300 s after the server's clock).
The answers depend on the server's ``now``: each is checked exactly against the
figures worked out by hand for one of the seconds between just before the request
and just after it. The customer's zone is a fixed offset chosen so that its local
time is about noon while the tests run: the example's closed queue calls of the
last hour are then surely today's, and those 14 hours back or 13 hours ahead
surely not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest

from conftest import call, queue_call, userstate

CUSTOMER, PASSWORD = "live", "live-pass"
OTHER, OTHER_PASSWORD = "elsewhere", "elsewhere-pass"
USERS, QUEUES = "/v2/onlineusers", "/v2/realtime/queues"
HOUR = 3600


def _noon_zone() -> str:
    """A fixed-offset zone whose local time is now 12:00 to 13:00 (``Etc/GMT-3`` is UTC+3)."""
    offset = 12 - datetime.now(UTC).hour
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


ZONE = _noon_zone()


@pytest.fixture(scope="module")
def accounts() -> list[tuple[str, str, str]]:
    return [(CUSTOMER, ZONE, PASSWORD), (OTHER, "UTC", OTHER_PASSWORD)]


def example(t: int) -> list[dict[str, Any]]:
    """The worked example, `t` being the real clock when it is posted.

    Anna (17) is on an inbound call of queue 3, answered; Bence (18) is on a break
    and also has a stale state and a stale call, which are left out; the IVR (19)
    is a system user waiting for calls. Queue 3 has two callers waiting (one of
    project 1), one talking to Anna, and three closed calls today: answered after
    10 s and 60 s, abandoned after 10 s. Queue 4 only has calls of yesterday and
    tomorrow, queue 5 only a stale one: neither shows.
    """
    stale = t - 25 * HOUR
    return [
        userstate("us1", "available", t - HOUR, t - 600, project=2, user=17),
        going(userstate("us2", "call", t - 127, t, project=2, user=17)),
        going(call("c1", "in", t - 129, t - 127, t, project=2, user=17)),
        going(queue_call("qc1", 3, t - 160, t - 129, t, project=2, user=17)),
        going(userstate("us3", "break", t - 600, t, project=1, user=18)),
        going(userstate("us4", "available", stale, stale, project=1, user=18)),
        going(call("c2", "out", stale, None, stale, project=1, user=18)),
        going(userstate("us5", "waitingForCall", t - 30, t, project=1, user=19)),
        going(queue_call("qc2", 3, t - 45, None, t, project=2)),
        going(queue_call("qc3", 3, t - 20, None, t, project=1)),
        queue_call("qc4", 3, t - 3000, t - 2990, t - 2800, project=2, user=18),
        queue_call("qc5", 3, t - 2500, t - 2440, t - 2000, project=2, user=17),
        queue_call("qc6", 3, t - 1800, None, t - 1790, project=2),
        queue_call("qc7", 4, t - 14 * HOUR, t - 14 * HOUR + 5, t - 14 * HOUR + 60, project=1),
        queue_call("qc8", 4, t + 13 * HOUR, None, t + 13 * HOUR + 60, project=1),
        going(queue_call("qc9", 5, stale, None, stale, project=1)),
    ]


def going(event: dict[str, Any]) -> dict[str, Any]:
    """`event` still going on (``end`` null)."""
    return {**event, "end": None}


@pytest.fixture(scope="module")
def posted(server: str) -> Iterator[tuple[httpx.Client, int]]:
    """The customer's client, and the real clock when the example was posted."""
    with httpx.Client(base_url=server, auth=(CUSTOMER, PASSWORD), timeout=30) as client:
        for user, name, kind in ((17, "Anna", "agent"), (18, "Bence", "agent"),
                                 (19, "IVR", "system")):
            made = client.post("/v2/users", json={"userid": user, "name": name, "kind": kind})
            assert made.status_code == 200, made.text
        made = client.post("/v2/queues", json={"queueid": 3, "name": 'Sales, "EU"'})
        assert made.status_code == 200, made.text
        t = int(time.time())
        stored = client.post("/v2/events", content=b"".join(
            orjson.dumps(event) + b"\n" for event in example(t)))
        assert stored.status_code == 200, stored.text
        yield client, t


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def users_at(t: int, now: int) -> list[dict[str, Any]]:
    return [
        {"userId": 17, "name": "Anna", "projectId": 2, "state": "call", "since": iso(t - 127),
         "stateDuration": now - t + 127,
         "call": {"direction": "in", "since": iso(t - 129), "answered": True, "queueId": 3}},
        {"userId": 18, "name": "Bence", "projectId": 1, "state": "break", "since": iso(t - 600),
         "stateDuration": now - t + 600, "call": None},
        {"userId": 19, "name": "IVR", "projectId": 1, "state": "waitingForCall",
         "since": iso(t - 30), "stateDuration": now - t + 30, "call": None},
    ]


def queue_at(t: int, now: int, service_level: float = 0.3333) -> dict[str, Any]:
    return {"queueId": 3, "name": 'Sales, "EU"', "projectId": 1, "waiting": 2,
            "longestWait": now - t + 45, "talking": 1, "offered": 3, "answered": 2,
            "abandoned": 1, "serviceLevel": service_level, "asa": 35.0}


def answered_at_some_now(client: httpx.Client, path: str, params: dict[str, str],
                         expected: Callable[[int], object], media: str = "application/json"
                         ) -> None:
    """The answer is `expected(now)` for a `now` during the request: the JSON
    ``response``, or the exact text of a csv/tab answer."""
    before = int(time.time())
    answer = client.get(path, params=params)
    after = int(time.time())
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(media)
    if media == "application/json":
        assert answer.json()["errors"] == []
        got: object = answer.json()["response"]
    else:
        got = answer.text
    assert any(got == expected(now) for now in range(before, after + 1)), got


def test_online_users_by_hand(posted: tuple[httpx.Client, int]) -> None:
    client, t = posted
    answered_at_some_now(client, USERS, {}, lambda now: users_at(t, now))
    answered_at_some_now(client, USERS, {"hide_system_users": "true"},
                         lambda now: users_at(t, now)[:2])
    answered_at_some_now(client, USERS, {"projects": "2"}, lambda now: users_at(t, now)[:1])
    answered_at_some_now(client, USERS, {"projects": "1", "users": "17,18"},
                         lambda now: users_at(t, now)[1:2])


def test_online_users_as_csv_and_tab(posted: tuple[httpx.Client, int]) -> None:
    client, t = posted
    header = ("userId,name,projectId,state,since,stateDuration,callDirection,callSince,"
              "callAnswered,callQueueId\r\n")

    def csv(now: int) -> str:
        return (header
                + f"17,Anna,2,call,{iso(t - 127)},{now - t + 127},in,{iso(t - 129)},true,3\r\n"
                + f"18,Bence,1,break,{iso(t - 600)},{now - t + 600},,,,\r\n")

    for of in ("csv", "cvs"):
        answered_at_some_now(client, USERS, {"of": of, "hide_system_users": "1"}, csv,
                             "text/csv")
    answered_at_some_now(
        client, USERS, {"of": "tab", "users": "19"},
        lambda now: header.replace(",", "\t").replace("\r\n", "\n")
        + f"19\tIVR\t1\twaitingForCall\t{iso(t - 30)}\t{now - t + 30}\t\t\t\t\n",
        "text/tab-separated-values")


def test_queues_by_hand(posted: tuple[httpx.Client, int]) -> None:
    client, t = posted
    answered_at_some_now(client, QUEUES, {}, lambda now: [queue_at(t, now)])
    answered_at_some_now(client, QUEUES, {"manual_sla": "60", "queues": "3"},
                         lambda now: [queue_at(t, now, 0.6667)])
    # only project 2's calls count: one caller waits; the latest counted call is of project 2
    answered_at_some_now(client, QUEUES, {"projects": "2"},
                         lambda now: [queue_at(t, now) | {"projectId": 2, "waiting": 1}])
    answered_at_some_now(client, QUEUES, {"projects": "1"}, lambda now: [
        {"queueId": 3, "name": 'Sales, "EU"', "projectId": 1, "waiting": 1,
         "longestWait": now - t + 20, "talking": 0, "offered": 0, "answered": 0,
         "abandoned": 0, "serviceLevel": None, "asa": None}])
    answered_at_some_now(client, QUEUES, {"queues": "4,5"}, lambda now: [])


def test_queues_as_csv(posted: tuple[httpx.Client, int]) -> None:
    client, t = posted
    answered_at_some_now(
        client, QUEUES, {"of": "csv"},
        lambda now: "queueId,name,projectId,waiting,longestWait,talking,offered,answered,"
                    "abandoned,serviceLevel,asa\r\n"
                    f'3,"Sales, ""EU""",1,2,{now - t + 45},1,3,2,1,0.3333,35.0\r\n',
        "text/csv")


def _refused(client: httpx.Client, path: str, query: str, *params: str) -> None:
    answer = client.get(f"{path}?{query}")
    assert answer.status_code == 417, answer.text
    body = answer.json()
    assert body["response"] is None
    assert sorted(error["param"] for error in body["errors"]) == sorted(params), answer.text


def test_bad_options_are_417_naming_them(posted: tuple[httpx.Client, int]) -> None:
    client, _ = posted
    _refused(client, USERS, "of=xml", "of")
    _refused(client, USERS, "projects=2,x", "projects")
    _refused(client, USERS, "projects=99", "projects")
    _refused(client, USERS, "users=1,,2&hide_system_users=maybe", "users", "hide_system_users")
    _refused(client, USERS, "users=17&users=18", "users")
    _refused(client, USERS, "of=csv&of=json&projects=98", "of", "projects")
    _refused(client, QUEUES, "queues=77", "queues")
    _refused(client, QUEUES, "manual_sla=0", "manual_sla")
    _refused(client, QUEUES, "manual_sla=3601&of=pdf", "manual_sla", "of")
    _refused(client, QUEUES, "manual_sla=fast&projects=-1", "manual_sla", "projects")
    _refused(client, QUEUES, "manual_sla=5&manual_sla=6", "manual_sla")


def test_another_customer_never_sees_these_agents(server: str, port: int,
                                                  posted: tuple[httpx.Client, int]) -> None:
    with httpx.Client(base_url=server, auth=(OTHER, OTHER_PASSWORD), timeout=30) as other:
        for path in (USERS, QUEUES):
            answer = other.get(path)
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"response": [], "errors": []}
            by_host = httpx.get(f"{server}{path}", auth=(OTHER, OTHER_PASSWORD), timeout=30,
                                headers={"Host": f"{CUSTOMER}.localhost:{port}"})
            assert by_host.status_code == 401, by_host.text
        # the agents' ids are unknown to it
        assert other.get(USERS, params={"users": "17"}).status_code == 417
