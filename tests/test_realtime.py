"""The real-time answers at their edges, through `Service`, worked out by hand.

The customer is in New York; `NOW` is 2025-03-09 12:00 UTC, 08:00 local on the day
clocks go forward (a local day of 23 hours: 05:00 UTC to 04:00 UTC the next day).
Each test stores a few events exactly on an edge: the stale limit (24 h before
`NOW`), the first and last second of the local day, two events with the same start
(the greatest id wins), a start after `NOW`.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ccstats.errors import InvalidRequest
from ccstats.model import Queue, Status, User, UserKind
from ccstats.service import Service
from conftest import call, ndjson, queue_call, records, userstate

ZONE = "America/New_York"
NOW = 1_741_521_600  # 2025-03-09T12:00:00Z
DAY_START = 1_741_496_400  # 2025-03-09T05:00:00Z, local midnight
DAY_STOP = 1_741_579_200  # 2025-03-10T04:00:00Z, the next local midnight (23 h later)
STALE = 86_400


def going(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "end": None}


@pytest.fixture
def live(service: Service) -> str:
    service.create_customer("ny", ZONE, "pw")
    return "ny"


def users_now(service: Service, customer: str, **params: str) -> list[dict[str, Any]]:
    return records(service.online_users(customer, params, now=NOW).body)


def queues_now(service: Service, customer: str, **params: str) -> list[dict[str, Any]]:
    return records(service.realtime_queues(customer, params, now=NOW).body)


def test_today_is_the_customers_local_date_of_now(service: Service, live: str) -> None:
    service.ingest(live, ndjson(
        queue_call("a", 1, DAY_START - 1, None, DAY_START + 5),
        queue_call("b", 2, DAY_START, DAY_START + 30, DAY_START + 90, user=7),
        queue_call("c", 3, DAY_STOP - 1, DAY_STOP - 1, DAY_STOP + 60, user=7),
        queue_call("d", 4, DAY_STOP, None, DAY_STOP + 5)))
    assert [(q["queueId"], q["offered"]) for q in queues_now(service, live)] == [(2, 1), (3, 1)]
    assert queues_now(service, live, queues="2") == [{
        "queueId": 2, "name": "Queue 2", "projectId": 1, "waiting": 0, "longestWait": None,
        "talking": 0, "offered": 1, "answered": 1, "abandoned": 0, "serviceLevel": 1.0,
        "asa": 30.0}]
    assert queues_now(service, live, queues="2", manual_sla="29")[0]["serviceLevel"] == 0.0


def test_an_open_interval_is_stale_after_24_hours(service: Service, live: str) -> None:
    service.ingest(live, ndjson(
        going(userstate("u1", "break", NOW - STALE, NOW, user=1)),
        going(userstate("u2", "break", NOW - STALE - 1, NOW, user=2)),
        going(call("c2", "in", NOW - 10, None, NOW, user=2)),
        going(queue_call("q5", 5, NOW - STALE, None, NOW)),
        going(queue_call("q6", 6, NOW - STALE - 1, None, NOW)),
        going(queue_call("q7", 7, NOW - STALE - 1, NOW - 5, NOW, user=1))))
    assert users_now(service, live) == [
        {"userId": 1, "name": "User 1", "projectId": 1, "state": "break",
         "since": "2025-03-08T12:00:00Z", "stateDuration": STALE, "call": None}]
    assert [(q["queueId"], q["waiting"], q["longestWait"], q["talking"])
            for q in queues_now(service, live)] == [(5, 1, STALE, 0)]


def test_the_latest_start_then_the_greatest_id_wins(service: Service, live: str) -> None:
    service.ingest(live, ndjson(
        going(userstate("s-a", "available", NOW - 50, NOW, project=1, user=3)),
        going(userstate("s-b", "break", NOW - 50, NOW, project=2, user=3)),
        going(userstate("s-0", "call", NOW - 49, NOW, project=3, user=4)),
        going(userstate("s-z", "prework", NOW - 50, NOW, project=1, user=4)),
        going(call("c-1", "in", NOW - 40, NOW - 30, NOW, user=3)),
        going(call("c-2", "out", NOW - 40, None, NOW, user=3)),
        queue_call("q-b", 8, NOW - 600, None, NOW - 500, project=2),
        queue_call("q-a", 8, NOW - 600, None, NOW - 550, project=1)))
    assert [(u["userId"], u["state"], u["projectId"], u["call"])
            for u in users_now(service, live)] == [
        (3, "break", 2, {"direction": "out", "since": "2025-03-09T11:59:20Z",
                         "answered": False, "queueId": None}),
        (4, "call", 3, None)]
    # the state is chosen first, then the projects filter applies to it
    assert users_now(service, live, projects="1") == []
    assert [u["userId"] for u in users_now(service, live, projects="2,3")] == [3, 4]
    assert queues_now(service, live)[0]["projectId"] == 2
    assert queues_now(service, live, projects="1")[0]["projectId"] == 1


def test_the_queue_of_the_call_is_that_of_the_answered_queue_call(service: Service,
                                                                  live: str) -> None:
    service.ingest(live, ndjson(
        going(userstate("s1", "ringing", NOW - 20, NOW, user=5)),
        going(call("c1", "in", NOW - 20, None, NOW, user=5)),
        going(queue_call("q1", 9, NOW - 80, NOW - 60, NOW, user=5)),
        going(queue_call("q2", 10, NOW - 90, NOW - 70, NOW, user=5)),
        going(queue_call("q3", 11, NOW - 10, None, NOW)),
        going(userstate("s2", "available", NOW - 20, NOW, user=6)),
        going(queue_call("q4", 12, NOW - 80, NOW - 60, NOW, user=6))))
    online = users_now(service, live)
    assert [u["call"] for u in online] == [
        {"direction": "in", "since": "2025-03-09T11:59:40Z", "answered": False, "queueId": 9},
        None]


def test_a_start_after_now_has_lasted_no_time(service: Service, live: str) -> None:
    service.ingest(live, ndjson(going(userstate("s1", "available", NOW + 100, NOW, user=1)),
                                going(queue_call("q1", 1, NOW + 100, None, NOW))))
    assert users_now(service, live)[0]["stateDuration"] == 0
    assert queues_now(service, live)[0]["longestWait"] == 0


def test_closing_an_open_event_moves_it_into_todays_figures(service: Service,
                                                           live: str) -> None:
    service.ingest(live, ndjson(going(userstate("s1", "call", NOW - 60, NOW, user=1)),
                                going(queue_call("q1", 1, NOW - 60, NOW - 50, NOW, user=1))))
    assert queues_now(service, live)[0]["talking"] == 1
    service.ingest(live, ndjson(userstate("s1", "call", NOW - 60, NOW - 5, user=1),
                                queue_call("q1", 1, NOW - 60, NOW - 50, NOW - 5, user=1)))
    assert users_now(service, live) == []
    assert [(q["talking"], q["offered"], q["asa"]) for q in queues_now(service, live)] == [
        (0, 1, 10.0)]
    service.delete_event(live, "q1")
    assert queues_now(service, live) == []


def test_names_system_users_and_csv(service: Service, live: str) -> None:
    service.create_user(live, User(2, 'Kiss, "Kati"', UserKind.AGENT, Status.ACTIVE))
    service.create_user(live, User(3, "IVR", UserKind.SYSTEM, Status.ACTIVE))
    service.create_queue(live, Queue(4, "Sales\tEU", Status.ACTIVE))
    service.ingest(live, ndjson(*(going(userstate(f"s{u}", "available", NOW - 9, NOW, user=u))
                                  for u in (1, 2, 3)),
                                going(queue_call("q1", 4, NOW - 7, None, NOW))))
    assert [u["name"] for u in users_now(service, live)] == ["User 1", 'Kiss, "Kati"', "IVR"]
    assert [u["userId"] for u in users_now(service, live, hide_system_users="true")] == [1, 2]
    assert [u["userId"] for u in users_now(service, live, users="3", hide_system_users="1")
            ] == []
    assert service.online_users(live, {"of": "csv", "users": "2"}, now=NOW).body == (
        b"userId,name,projectId,state,since,stateDuration,callDirection,callSince,"
        b'callAnswered,callQueueId\r\n2,"Kiss, ""Kati""",1,available,2025-03-09T11:59:51Z,'
        b"9,,,,\r\n")
    tab = service.realtime_queues(live, {"of": "tab"}, now=NOW)
    assert tab.media_type.startswith("text/tab-separated-values")
    assert tab.body.decode().splitlines()[1] == "4\tSales EU\t1\t1\t7\t0\t0\t0\t0\t\t"
    assert orjson.loads(service.realtime_queues(live, {}, now=NOW).body)["response"][0][
        "name"] == "Sales\tEU"


def test_bad_options_are_refused_together(service: Service, live: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        service.online_users(live, {"of": "xml", "projects": "5", "users": "a",
                                    "hide_system_users": "yes"}, now=NOW)
    assert [e.param for e in refused.value.errors] == ["of", "projects", "users",
                                                       "hide_system_users"]
    with pytest.raises(InvalidRequest) as refused:
        service.realtime_queues(live, {"queues": "1,", "manual_sla": "3601"}, now=NOW)
    assert [(e.param, e.code) for e in refused.value.errors] == [
        ("queues", "error.wrong_format"), ("manual_sla", "error.bad_arguments")]
