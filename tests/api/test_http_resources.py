"""The other resources over real HTTP: catalog, presets, projects, users, events, OpenAPI.

The module's server holds customer ``mycc`` (Europe/Budapest) with the seed events
(project 2, user 17, June 2020). Tests that need more data use their own projects,
users and months so that they do not depend on each other.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

CUSTOMER, ZONE, PASSWORD = "mycc", "Europe/Budapest", "mycc-pass"
STATS = "/v2/statistics/userbased"
SEED_QUERY = "from=20200601&to=20200630&dimensions=project,user,date,time&projects=2&users=17"

#: events-and-kpis.md §3 in catalog order: (field, has a count, has a sum)
CATALOG = [
    ("userstateAvailable", True, True), ("userstateCall", False, True),
    ("userstateAfterwork", True, True), ("userstatePrework", True, True),
    ("userstateRinging", True, True), ("userstateWaitingForCall", True, True),
    ("userstateWaitingForRecall", True, True), ("userstateBreak", True, True),
    ("userstateUnavailable", True, True), ("callOut", False, True), ("callIn", False, True),
    ("callOutAttempt", True, False), ("callOutReached", True, True),
    ("callInAnswered", True, True), ("callInMissed", True, True),
    ("dispositionStatusSuccess", True, False), ("dispositionStatusRecall", True, False),
    ("dispositionStatusFailed", True, False), ("dispositionReachFailed", True, False),
    ("emailByAgentSent", True, False), ("emailReceived", True, False),
    ("ticketCreated", True, False), ("ticketClosed", True, False), ("chatHandled", True, True),
]

#: api.md's resources: path (ids written {id}) -> methods
API_PATHS = {
    "/v2/statistics/userbased": {"get"},
    "/v2/statistics/fields": {"get"},
    "/v2/statistics/presets": {"get", "post"},
    "/v2/statistics/presets/{id}": {"delete"},
    "/v2/projects": {"get", "post"},
    "/v2/projects/{id}": {"put"},
    "/v2/users": {"get", "post"},
    "/v2/users/{id}": {"put"},
    "/v2/events": {"post"},
    "/v2/events/{id}": {"delete"},
    "/health": {"get"},
}


def userstate(event_id: str, start: str, end: str, project: int, user: int,
              state: str = "available") -> dict[str, Any]:
    return {"id": event_id, "type": "userstate", "state": state, "start": start, "end": end,
            "projectId": project, "userId": user}


@pytest.fixture(scope="module")
def accounts() -> list[tuple[str, str, str]]:
    return [(CUSTOMER, ZONE, PASSWORD)]


@pytest.fixture(scope="module")
def client(server: str, seed_dir: Path) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, auth=(CUSTOMER, PASSWORD), timeout=30) as opened:
        stored = opened.post("/v2/events", content=(seed_dir / "events.ndjson").read_bytes(),
                             headers={"Content-Type": "application/x-ndjson"})
        assert stored.json() == {"response": {"stored": 32}, "errors": []}
        yield opened


def ok(response: httpx.Response) -> Any:
    """The `response` of a successful answer, after checking the envelope."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == "application/json"
    body = response.json()
    assert list(body) == ["response", "errors"]
    assert body["errors"] == []
    return body["response"]


def failed(response: httpx.Response, status: int) -> list[tuple[str, str | None]]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["response"] is None
    return [(e["code"], e["param"]) for e in body["errors"]]


def records(client: httpx.Client, query: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ok(client.get(f"{STATS}?{query}"))
    return found


def post_events(client: httpx.Client, events: list[dict[str, Any]]) -> None:
    body = "".join(json.dumps(e) + "\n" for e in events).encode()
    response = client.post("/v2/events", content=body,
                           headers={"Content-Type": "application/x-ndjson"})
    assert ok(response) == {"stored": len(events)}


# the KPI catalog -----------------------------------------------------------------------

def test_fields_lists_the_24_kpis_in_catalog_order(client: httpx.Client) -> None:
    fields = ok(client.get("/v2/statistics/fields"))
    assert len(fields) == 24
    assert [f["field"] for f in fields] == [name for name, _, _ in CATALOG]
    for item, (_, has_count, has_sum) in zip(fields, CATALOG, strict=True):
        assert list(item) == ["field", "description", "count", "sum", "unit"]
        assert isinstance(item["description"], str)
        assert item["description"]
        assert (item["count"] is not None) == has_count, item
        assert (item["sum"] is not None) == has_sum, item
        assert item["count"] is None or isinstance(item["count"], str)
        assert item["sum"] is None or isinstance(item["sum"], str)
        assert item["unit"] is None or isinstance(item["unit"], str)


# presets -------------------------------------------------------------------------------

def test_a_preset_orders_the_fields_of_the_answer(client: httpx.Client, seed_dir: Path
                                                  ) -> None:
    order = ["callOut", "userstateCall", "dispositionReachFailed", "userstateAvailable",
             "userstateAfterwork", "dispositionStatusRecall"]
    created = client.post("/v2/statistics/presets",
                          json={"name": "My columns", "fields": [*order, "callOut"]})
    preset_id = ok(created)
    assert isinstance(preset_id, int)
    assert not isinstance(preset_id, bool)
    assert {"id": preset_id, "name": "My columns", "fields": order} in ok(
        client.get("/v2/statistics/presets"))

    expected = json.loads((seed_dir / "expected.json").read_bytes())["response"]
    for record in expected:
        by_field = {item["field"]: item for item in record["data"]}
        record["data"] = [by_field[name] for name in order]
    answer = client.get(f"{STATS}?{SEED_QUERY}&preset={preset_id}")
    assert ok(answer) == expected
    assert [list(r) for r in answer.json()["response"]] == [list(r) for r in expected]

    # fields, when given, win over the preset
    named = records(client, f"{SEED_QUERY}&preset={preset_id}&fields=userstateAfterwork,callOut")
    assert [[d["field"] for d in r["data"]] for r in named] == [
        ["userstateAfterwork", "callOut"]] * len(expected)

    assert client.delete(f"/v2/statistics/presets/{preset_id}").json() == {
        "response": True, "errors": []}
    assert preset_id not in [p["id"] for p in ok(client.get("/v2/statistics/presets"))]
    assert failed(client.get(f"{STATS}?{SEED_QUERY}&preset={preset_id}"), 417) == [
        ("error.bad_arguments", "preset")]
    assert [code for code, _ in failed(client.delete(f"/v2/statistics/presets/{preset_id}"),
                                       404)] == ["error.not_found"]


def test_preset_ids_are_distinct(client: httpx.Client) -> None:
    first = ok(client.post("/v2/statistics/presets", json={"name": "a", "fields": ["callIn"]}))
    second = ok(client.post("/v2/statistics/presets", json={"name": "b", "fields": ["callIn"]}))
    assert first != second
    listed = {p["id"]: p for p in ok(client.get("/v2/statistics/presets"))}
    assert listed[first] == {"id": first, "name": "a", "fields": ["callIn"]}
    assert listed[second] == {"id": second, "name": "b", "fields": ["callIn"]}
    for preset_id in (first, second):
        assert ok(client.delete(f"/v2/statistics/presets/{preset_id}")) is True


# projects ------------------------------------------------------------------------------

def test_events_register_their_project_and_user(client: httpx.Client) -> None:
    assert {"projectid": 2, "name": "Project 2", "status": "active"} in ok(
        client.get("/v2/projects"))
    assert {"userid": 17, "name": "User 17", "kind": "agent", "status": "active"} in ok(
        client.get("/v2/users"))


def test_projects_are_created_and_changed(client: httpx.Client) -> None:
    created = ok(client.post("/v2/projects", json={"projectid": 5, "name": "Sales"}))
    assert created == {"projectid": 5, "name": "Sales", "status": "active"}
    assert list(created) == ["projectid", "name", "status"]
    assert created in ok(client.get("/v2/projects"))
    assert failed(client.post("/v2/projects", json={"projectid": 5, "name": "Again"}), 417) == [
        ("error.bad_arguments", "projectid")]

    renamed = ok(client.put("/v2/projects/5", json={"name": "Sales EU"}))
    assert renamed == {"projectid": 5, "name": "Sales EU", "status": "active"}
    stopped = ok(client.put("/v2/projects/5", json={"status": "inactive"}))
    assert stopped == {"projectid": 5, "name": "Sales EU", "status": "inactive"}
    assert ok(client.put("/v2/projects/5", json={})) == stopped
    assert stopped in ok(client.get("/v2/projects"))

    paused = ok(client.post("/v2/projects",
                            json={"projectid": 6, "name": "Paused", "status": "inactive"}))
    assert paused == {"projectid": 6, "name": "Paused", "status": "inactive"}


def test_an_inactive_project_is_left_out_of_the_default_query(client: httpx.Client) -> None:
    ok(client.post("/v2/projects", json={"projectid": 50, "name": "Winter"}))
    post_events(client, [
        userstate("winter-1", "2021-01-10T10:00:00Z", "2021-01-10T10:10:00Z", 50, 500),
        userstate("winter-2", "2021-01-10T10:00:00Z", "2021-01-10T10:05:00Z", 51, 500),
    ])
    query = "from=20210101&to=20210131&dimensions=project"
    assert [r["projectId"] for r in records(client, query)] == [50, 51]

    ok(client.put("/v2/projects/50", json={"status": "inactive"}))
    assert [r["projectId"] for r in records(client, query)] == [51]
    assert [r["projectId"] for r in records(client, f"{query}&projects=50")] == [50]
    assert [r["projectId"] for r in records(client, f"{query}&projects=50,51")] == [50, 51]

    ok(client.put("/v2/projects/50", json={"status": "active"}))
    assert [r["projectId"] for r in records(client, query)] == [50, 51]


# users ---------------------------------------------------------------------------------

def test_users_are_created_and_changed(client: httpx.Client) -> None:
    created = ok(client.post("/v2/users", json={"userid": 70, "name": "Ann"}))
    assert created == {"userid": 70, "name": "Ann", "kind": "agent", "status": "active"}
    assert list(created) == ["userid", "name", "kind", "status"]
    assert created in ok(client.get("/v2/users"))
    assert failed(client.post("/v2/users", json={"userid": 70, "name": "Ann"}), 417) == [
        ("error.bad_arguments", "userid")]

    assert ok(client.put("/v2/users/70", json={"kind": "system"})) == {
        "userid": 70, "name": "Ann", "kind": "system", "status": "active"}
    assert ok(client.put("/v2/users/70", json={"name": "Ann B", "status": "inactive"})) == {
        "userid": 70, "name": "Ann B", "kind": "system", "status": "inactive"}
    assert {"userid": 70, "name": "Ann B", "kind": "system", "status": "inactive"} in ok(
        client.get("/v2/users"))


def test_system_users_are_hidden_on_request(client: httpx.Client) -> None:
    ok(client.post("/v2/users", json={"userid": 900, "name": "Dialer", "kind": "system"}))
    post_events(client, [
        userstate("feb-1", "2021-02-10T10:00:00Z", "2021-02-10T10:10:00Z", 60, 900),
        userstate("feb-2", "2021-02-10T10:00:00Z", "2021-02-10T10:05:00Z", 60, 901),
    ])
    query = "from=20210201&to=20210228&dimensions=user"

    def users(options: str = "") -> list[int]:
        return [r["userId"] for r in records(client, query + options)]

    assert users() == [900, 901]
    assert users("&hide_system_users=false") == [900, 901]
    assert users("&hide_system_users=0") == [900, 901]
    assert users("&hide_system_users=true") == [901]
    assert users("&hide_system_users=1") == [901]
    assert users("&hide_system_users=true&users=900,901") == [901]

    assert ok(client.put("/v2/users/901", json={"kind": "system"})) == {
        "userid": 901, "name": "User 901", "kind": "system", "status": "active"}
    assert users("&hide_system_users=true") == []
    ok(client.put("/v2/users/901", json={"kind": "agent", "status": "inactive"}))
    assert users() == [900, 901]  # an inactive user is still a user
    assert users("&hide_system_users=true") == [901]


# events --------------------------------------------------------------------------------

def test_events_as_a_json_array(client: httpx.Client) -> None:
    events = [
        userstate("march-1", "2021-03-10T10:00:00Z", "2021-03-10T10:10:00Z", 70, 700),
        userstate("march-2", "2021-03-10T11:00:00Z", "2021-03-10T11:02:00Z", 70, 700,
                  state="break"),
        {"id": "march-3", "type": "disposition", "status": "success",
         "time": "2021-03-10T11:30:00Z", "projectId": 70, "userId": 700},
    ]
    assert ok(client.post("/v2/events", json=events)) == {"stored": 3}
    query = "from=20210301&to=20210331&dimensions=project"
    assert records(client, query) == [{"projectId": 70, "data": [
        {"field": "userstateAvailable", "count": 1, "sum": 600},
        {"field": "userstateBreak", "count": 1, "sum": 120},
        {"field": "dispositionStatusSuccess", "count": 1, "sum": None},
    ], "level": 0}]
    # storing an id again replaces the event
    replaced = userstate("march-1", "2021-03-10T10:00:00Z", "2021-03-10T10:01:00Z", 70, 700)
    assert ok(client.post("/v2/events", json=[replaced])) == {"stored": 1}
    assert records(client, query)[0]["data"][0] == {
        "field": "userstateAvailable", "count": 1, "sum": 60}


def test_deleting_an_event_removes_it_from_the_statistics(client: httpx.Client) -> None:
    post_events(client, [
        userstate("april-1", "2021-04-10T10:00:00Z", "2021-04-10T10:10:00Z", 80, 800),
        userstate("april-2", "2021-04-10T10:20:00Z", "2021-04-10T10:25:00Z", 80, 800),
    ])
    query = "from=20210401&to=20210430&dimensions=user&fields=userstateAvailable"
    assert records(client, query)[0]["data"] == [
        {"field": "userstateAvailable", "count": 2, "sum": 900}]

    response = client.delete("/v2/events/april-1")
    assert response.status_code == 200
    assert json.loads(response.content, object_pairs_hook=list) == [
        ("response", True), ("errors", [])]
    assert records(client, query)[0]["data"] == [
        {"field": "userstateAvailable", "count": 1, "sum": 300}]

    assert ok(client.delete("/v2/events/april-2")) is True
    assert records(client, query) == []
    assert [code for code, _ in failed(client.delete("/v2/events/april-2"), 404)] == [
        "error.not_found"]


# health and OpenAPI --------------------------------------------------------------------

def test_health_needs_no_credentials(server: str) -> None:
    response = httpx.get(f"{server}/health")
    assert response.status_code == 200


def test_openapi_lists_the_resources_of_api_md(server: str) -> None:
    response = httpx.get(f"{server}/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == "application/json"
    document = json.loads(response.content)
    assert str(document["openapi"]).startswith("3.")
    paths = {re.sub(r"\{[^}]+\}", "{id}", path): {m.lower() for m in methods}
             for path, methods in document["paths"].items()}
    for path, methods in API_PATHS.items():
        assert path in paths, path
        assert methods <= paths[path], (path, paths[path])
    parameters = {p["name"] for p in document["paths"][STATS]["get"].get("parameters", [])}
    assert {"from", "to", "dimensions", "of", "projects", "users", "hide_system_users",
            "fields", "preset", "timezone", "interval"} <= parameters
