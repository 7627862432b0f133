"""Customers never see each other's data, and one customer's key never opens another's.

Two customers on one server: ``acme`` (Europe/Budapest) and ``globex``
(America/New_York). Each stores its own events (one event id, ``shared-1``, is
used by both); every read answers only the caller's data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

ACME, ACME_ZONE, ACME_KEY = "acme", "Europe/Budapest", "acme-pass"
GLOBEX, GLOBEX_ZONE, GLOBEX_KEY = "globex", "America/New_York", "globex-pass"
STATS = "/v2/statistics/userbased"
JUNE = "from=20200601&to=20200630"
REALM = 'Basic realm="ccstats"'


def event(event_id: str, start: str, end: str, project: int, user: int) -> dict[str, Any]:
    return {"id": event_id, "type": "userstate", "state": "available", "start": start,
            "end": end, "projectId": project, "userId": user}


#: 22:30 UTC is 00:30 on the next day in Budapest and 18:30 the same day in New York.
ACME_EVENTS = [
    event("acme-1", "2020-06-15T22:30:00Z", "2020-06-15T22:40:00Z", 10, 100),
    event("acme-2", "2020-06-16T08:00:00Z", "2020-06-16T08:01:00Z", 11, 101),
    event("shared-1", "2020-06-17T08:00:00Z", "2020-06-17T08:02:00Z", 10, 100),
]
GLOBEX_EVENTS = [
    event("globex-1", "2020-06-15T22:30:00Z", "2020-06-15T22:50:00Z", 20, 200),
    event("globex-2", "2020-06-18T12:00:00Z", "2020-06-18T12:03:00Z", 20, 200),
    event("shared-1", "2020-06-19T12:00:00Z", "2020-06-19T12:04:00Z", 20, 200),
]


@pytest.fixture(scope="module")
def accounts() -> list[tuple[str, str, str]]:
    return [(ACME, ACME_ZONE, ACME_KEY), (GLOBEX, GLOBEX_ZONE, GLOBEX_KEY)]


def ndjson(events: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(e) + "\n" for e in events).encode()


@pytest.fixture(scope="module")
def acme(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, auth=(ACME, ACME_KEY), timeout=30) as opened:
        stored = opened.post("/v2/events", content=ndjson(ACME_EVENTS),
                             headers={"Content-Type": "application/x-ndjson"})
        assert stored.json() == {"response": {"stored": 3}, "errors": []}
        yield opened


@pytest.fixture(scope="module")
def globex(server: str, acme: httpx.Client) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, auth=(GLOBEX, GLOBEX_KEY), timeout=30) as opened:
        stored = opened.post("/v2/events", content=ndjson(GLOBEX_EVENTS),
                             headers={"Content-Type": "application/x-ndjson"})
        assert stored.json() == {"response": {"stored": 3}, "errors": []}
        yield opened


def records(client: httpx.Client, query: str) -> list[dict[str, Any]]:
    response = client.get(f"{STATS}?{query}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["errors"] == []
    found: list[dict[str, Any]] = body["response"]
    return found


def sums(found: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(dimension values..., field, count, sum) of every record's data."""
    return [(*(v for k, v in record.items() if k not in {"data", "level"}),
             item["field"], item["count"], item["sum"])
            for record in found for item in record["data"]]


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == REALM
    body = response.json()
    assert body["response"] is None
    assert [e["code"] for e in body["errors"]] == ["error.unauthorized"]


def test_each_customer_sees_only_its_own_statistics(acme: httpx.Client,
                                                    globex: httpx.Client) -> None:
    query = f"{JUNE}&dimensions=project,user"
    assert sums(records(acme, query)) == [
        (10, 100, "userstateAvailable", 2, 720), (11, 101, "userstateAvailable", 1, 60)]
    assert sums(records(globex, query)) == [(20, 200, "userstateAvailable", 3, 1620)]


def test_each_customer_counts_in_its_own_time_zone(acme: httpx.Client,
                                                   globex: httpx.Client) -> None:
    query = "from=20200615&to=20200616&dimensions=date,time&fields=userstateAvailable"
    assert sums(records(acme, query)) == [
        ("2020-06-16", 0, "userstateAvailable", 1, 600),
        ("2020-06-16", 1000, "userstateAvailable", 1, 60)]
    assert sums(records(globex, query)) == [("2020-06-15", 1800, "userstateAvailable", 1, 1200)]


def test_each_customer_sees_only_its_own_projects_and_users(acme: httpx.Client,
                                                            globex: httpx.Client) -> None:
    def ids(client: httpx.Client, path: str, member: str) -> list[int]:
        response = client.get(path)
        assert response.status_code == 200, response.text
        return sorted(item[member] for item in response.json()["response"])

    assert ids(acme, "/v2/projects", "projectid") == [10, 11]
    assert ids(acme, "/v2/users", "userid") == [100, 101]
    assert ids(globex, "/v2/projects", "projectid") == [20]
    assert ids(globex, "/v2/users", "userid") == [200]


def test_another_customers_ids_are_unknown(acme: httpx.Client, globex: httpx.Client) -> None:
    response = acme.get(f"{STATS}?{JUNE}&dimensions=project&projects=20&users=200")
    assert response.status_code == 417
    assert {(e["code"], e["param"]) for e in response.json()["errors"]} == {
        ("error.bad_arguments", "projects"), ("error.bad_arguments", "users")}
    assert acme.put("/v2/projects/20", json={"name": "stolen"}).status_code == 404
    assert acme.put("/v2/users/200", json={"name": "stolen"}).status_code == 404
    assert [p["name"] for p in globex.get("/v2/projects").json()["response"]] == ["Project 20"]
    assert [u["name"] for u in globex.get("/v2/users").json()["response"]] == ["User 200"]


def test_presets_are_per_customer(acme: httpx.Client, globex: httpx.Client) -> None:
    created = acme.post("/v2/statistics/presets",
                        json={"name": "acme only", "fields": ["userstateAvailable"]})
    assert created.status_code == 200, created.text
    preset_id = created.json()["response"]
    try:
        assert globex.get("/v2/statistics/presets").json()["response"] == []
        response = globex.get(f"{STATS}?{JUNE}&dimensions=user&preset={preset_id}")
        assert response.status_code == 417
        assert [e["param"] for e in response.json()["errors"]] == ["preset"]
        assert globex.delete(f"/v2/statistics/presets/{preset_id}").status_code == 404
        assert [p["id"] for p in acme.get("/v2/statistics/presets").json()["response"]] == [
            preset_id]
    finally:
        acme.delete(f"/v2/statistics/presets/{preset_id}")


def test_a_key_opens_only_its_own_customer(server: str, port: int, acme: httpx.Client,
                                           globex: httpx.Client) -> None:
    path = f"{server}/v2/projects"
    acme_host = {"Host": f"{ACME}.localhost:{port}"}
    globex_host = {"Host": f"{GLOBEX}.localhost:{port}"}
    # the right pairs work, by host and by Basic user name
    assert httpx.get(path, auth=(ACME, ACME_KEY), headers=acme_host).status_code == 200
    assert httpx.get(path, auth=(GLOBEX, GLOBEX_KEY), headers=globex_host).status_code == 200
    # acme's key on globex's host, named as either customer
    assert_unauthorized(httpx.get(path, auth=(GLOBEX, ACME_KEY), headers=globex_host))
    assert_unauthorized(httpx.get(path, auth=(ACME, ACME_KEY), headers=globex_host))
    # globex's key against acme, by host and by Basic user name
    assert_unauthorized(httpx.get(path, auth=(ACME, GLOBEX_KEY), headers=acme_host))
    assert_unauthorized(httpx.get(path, auth=(GLOBEX, GLOBEX_KEY), headers=acme_host))
    assert_unauthorized(httpx.get(path, auth=(ACME, GLOBEX_KEY)))
    assert_unauthorized(httpx.get(path, auth=(GLOBEX, ACME_KEY)))


def test_a_foreign_key_is_rejected_exactly_like_a_wrong_key(server: str, port: int) -> None:
    path = f"{server}/v2/projects"
    wrong = httpx.get(path, auth=(GLOBEX, "no-such-key"))
    assert_unauthorized(wrong)
    for response in [
        httpx.get(path, auth=(GLOBEX, ACME_KEY)),
        httpx.get(path, auth=(ACME, ACME_KEY), headers={"Host": f"{GLOBEX}.localhost:{port}"}),
        httpx.get(path, auth=(GLOBEX, GLOBEX_KEY), headers={"Host": f"{ACME}.localhost:{port}"}),
    ]:
        assert_unauthorized(response)
        assert response.content == wrong.content
        assert response.headers["www-authenticate"] == wrong.headers["www-authenticate"]


def test_a_foreign_key_cannot_write(server: str, port: int, acme: httpx.Client,
                                    globex: httpx.Client) -> None:
    before = globex.get(f"{STATS}?{JUNE}&dimensions=project,user,date,time").content
    attempts = [
        httpx.post(f"{server}/v2/events", auth=(ACME, ACME_KEY),
                   headers={"Host": f"{GLOBEX}.localhost:{port}"},
                   content=ndjson([event("intruder-1", "2020-06-20T10:00:00Z",
                                         "2020-06-20T11:00:00Z", 20, 200)])),
        httpx.delete(f"{server}/v2/events/globex-1", auth=(GLOBEX, ACME_KEY)),
        httpx.put(f"{server}/v2/projects/20", auth=(GLOBEX, ACME_KEY), json={"name": "x"}),
    ]
    for response in attempts:
        assert_unauthorized(response)
    assert globex.get(f"{STATS}?{JUNE}&dimensions=project,user,date,time").content == before


def test_a_customer_cannot_delete_the_others_event(acme: httpx.Client,
                                                   globex: httpx.Client) -> None:
    query = f"{JUNE}&dimensions=project,user,date,time"
    globex_before = records(globex, query)
    response = acme.delete("/v2/events/globex-2")
    assert response.status_code == 404
    assert [e["code"] for e in response.json()["errors"]] == ["error.not_found"]
    assert records(globex, query) == globex_before


def test_deleting_a_shared_id_touches_only_the_callers_event(acme: httpx.Client,
                                                             globex: httpx.Client) -> None:
    query = f"{JUNE}&dimensions=project,date"
    globex_before = records(globex, query)
    assert "2020-06-17" in {r["date"] for r in records(acme, query)}
    response = acme.delete("/v2/events/shared-1")
    assert response.status_code == 200
    assert response.json() == {"response": True, "errors": []}
    assert "2020-06-17" not in {r["date"] for r in records(acme, query)}
    assert records(globex, query) == globex_before
    assert "2020-06-19" in {r["date"] for r in globex_before}
    assert acme.delete("/v2/events/shared-1").status_code == 404
