"""The operator routes of customers' projects, queues, users, presets and name mappings,
and the commands that administer them with --server, on the real server."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from api.conftest import Launcher
from api.operating import answer, ccstats, operator
from api.test_fuzz_openapi import HOSTILE
from api.test_http_operator import _same_text
from backends import drop_database, new_database

CUSTOMER, PASSWORD = "acme", "pw-acme"
MARCH_1 = 1709280000
#: Projects 1 and 2, users 1 and 2, queue 5: what the commands then list and change.
EVENTS = [
    {"id": "e1", "type": "userstate", "state": "available", "start": MARCH_1,
     "end": MARCH_1 + 60, "projectId": 1, "userId": 1},
    {"id": "e2", "type": "call", "direction": "out", "start": MARCH_1 + 60,
     "answer": MARCH_1 + 65, "end": MARCH_1 + 90, "projectId": 1, "userId": 2},
    {"id": "e3", "type": "queuecall", "queueId": 5, "start": MARCH_1 + 100,
     "answer": MARCH_1 + 110, "end": MARCH_1 + 200, "projectId": 2, "userId": 1},
]


@pytest.fixture(scope="module")
def events_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("events") / "events.ndjson"
    path.write_text("".join(json.dumps(event) + "\n" for event in EVENTS))
    return path


def _seed_server(url: str, events: Path) -> None:
    done = ccstats("customer", "create", CUSTOMER, "--password", PASSWORD, "--server", url)
    assert done.returncode == 0, done.stderr
    with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=60) as writer:
        assert answer(writer.post("/v2/events", content=events.read_bytes())) == {"stored": 3}


def _seed_db(db: str, events: Path) -> None:
    for args in (("customer", "create", CUSTOMER, "--password", PASSWORD),
                 ("import", str(events), "--customer", CUSTOMER)):
        done = ccstats(*args, "--db", db)
        assert done.returncode == 0, done.stderr


def _of(customer: str, *args: str) -> tuple[str, ...]:
    return (*args, "--customer", customer)


#: (the exit status both ways, the command)
SESSION: Sequence[tuple[int, tuple[str, ...]]] = (
    (0, _of(CUSTOMER, "project", "list")),
    (0, _of(CUSTOMER, "project", "set-status", "1", "inactive")),
    (2, _of(CUSTOMER, "project", "set-status", "99", "inactive")),
    (2, _of("nobody", "project", "set-status", "1", "active")),
    (2, _of("nobody", "project", "list")),
    (0, _of(CUSTOMER, "queue", "list")),
    (0, _of(CUSTOMER, "queue", "set-status", "5", "inactive")),
    (2, _of(CUSTOMER, "queue", "set-status", "6", "active")),
    (2, _of("nobody", "queue", "list")),
    (0, _of(CUSTOMER, "queue", "list")),
    (0, _of(CUSTOMER, "user", "list")),
    (0, _of(CUSTOMER, "user", "set-kind", "2", "system")),
    (2, _of(CUSTOMER, "user", "set-kind", "99", "agent")),
    (2, _of("nobody", "user", "list")),
    (0, _of(CUSTOMER, "preset", "create", "Calls", "--fields", "callIn, callOut")),
    (2, _of(CUSTOMER, "preset", "create", "Bad", "--fields", "callIn,nope,worse")),
    (2, _of(CUSTOMER, "preset", "create", "  ", "--fields", "callIn")),
    (2, _of(CUSTOMER, "preset", "create", "x" * 201, "--fields", "nope")),
    (2, _of(CUSTOMER, "preset", "create", "Calls", "--fields", "")),
    (2, _of("nobody", "preset", "create", "Calls", "--fields", "callIn")),
    (0, _of(CUSTOMER, "preset", "create", "Outbound", "--fields", "callOut")),
    (0, _of(CUSTOMER, "preset", "list")),
    (2, _of("nobody", "preset", "list")),
    (0, _of(CUSTOMER, "mapping", "set", "queue", "sales", "2")),
    (0, _of(CUSTOMER, "mapping", "set", "queue", "support", "7")),
    (0, _of(CUSTOMER, "mapping", "set", "queue", "NONE", "8")),
    (0, _of(CUSTOMER, "mapping", "set", "member", "Local/2004@from-internal/n", "1")),
    (0, _of(CUSTOMER, "mapping", "set", "member", "SIP/3001", "9")),
    (0, _of(CUSTOMER, "mapping", "set", "member", "SIP/3001", "2")),
    (2, _of(CUSTOMER, "mapping", "set", "member", "", "0")),
    (2, _of(CUSTOMER, "mapping", "set", "robot", "x", "3")),
    (2, _of("nobody", "mapping", "set", "queue", "sales", "2")),
    (0, _of(CUSTOMER, "mapping", "list")),
    (2, _of("nobody", "mapping", "list")),
    (0, _of(CUSTOMER, "project", "list")),
    (0, _of(CUSTOMER, "user", "list")),
)


def test_the_commands_say_the_same_with_server_as_with_db(
        launch: Launcher, key_file: Path, events_file: Path, tmp_path: Path) -> None:
    url = launch([], {}, ["--operator-key-file", str(key_file)])
    db = new_database(tmp_path, "entities")
    try:
        _seed_server(url, events_file)
        _seed_db(db, events_file)
        for status, args in SESSION:
            with_db = ccstats(*args, "--db", db)
            with_server = ccstats(*args, "--server", url)
            assert with_db.returncode == status, (args, with_db.stderr)
            assert _same_text(with_server) == _same_text(with_db), args
        said = {args: ccstats(*args, "--server", url).stdout.splitlines() for args in (
            _of(CUSTOMER, "project", "list"), _of(CUSTOMER, "queue", "list"),
            _of(CUSTOMER, "user", "list"), _of(CUSTOMER, "preset", "list"),
            _of(CUSTOMER, "mapping", "list"))}
    finally:
        drop_database(db)
    assert said == {
        _of(CUSTOMER, "project", "list"): [
            "1\tinactive\tProject 1", "2\tactive\tProject 2", "7\tactive\tsupport",
            "8\tactive\tNo queue"],
        _of(CUSTOMER, "queue", "list"): ["5\tinactive\tQueue 5"],
        _of(CUSTOMER, "user", "list"): [
            "1\tagent\tactive\tUser 1", "2\tsystem\tactive\tUser 2", "9\tagent\tactive\t3001"],
        _of(CUSTOMER, "preset", "list"): ["1\tCalls\tcallIn,callOut", "2\tOutbound\tcallOut"],
        _of(CUSTOMER, "mapping", "list"): [
            "queue\tNONE\tproject 8\tNo queue", "queue\tsales\tproject 2\tProject 2",
            "queue\tsupport\tproject 7\tsupport",
            "member\tLocal/2004@from-internal/n\tuser 1\tUser 1",
            "member\tSIP/3001\tuser 2\tUser 2"],
    }


@pytest.fixture(scope="module")
def operated(launch: Launcher, key_file: Path, events_file: Path) -> str:
    """A server with the operator routes and the customer's events."""
    url = launch([], {}, ["--operator-key-file", str(key_file)])
    _seed_server(url, events_file)
    return url


def test_the_routes_read_bodies_as_the_customer_routes_do(operated: str) -> None:
    owned = f"/v2/operator/customers/{CUSTOMER}"
    with operator(operated) as client:
        assert answer(client.put(f"{owned}/projects/2", json={"name": "Sales"})) == {
            "projectid": 2, "name": "Sales", "status": "active"}
        assert answer(client.put(f"{owned}/users/1", json={"kind": "system",
                                                           "status": "inactive"})) == {
            "userid": 1, "name": "User 1", "kind": "system", "status": "inactive"}
        assert answer(client.put(f"{owned}/queues/5", json={})) == {
            "queueid": 5, "name": "Queue 5", "status": "active"}
        errors = answer(client.put(f"{owned}/users/1", json={"name": " ", "kind": "robot"}), 417)
        assert {error["param"] for error in errors} == {"name", "kind"}
        answer(client.put(f"{owned}/projects/x1", json={}), 404)
        answer(client.put(f"{owned}/queues/6", json={}), 404)
        answer(client.put(f"{owned}/projects/1", content=b"[1]"), 417)
        created = answer(client.post(f"{owned}/presets", json={"name": "P",
                                                               "fields": ["callIn"]}))
        assert answer(client.get(f"{owned}/presets")) == [created]
        answer(client.post(f"{owned}/presets", json={"name": "P", "fields": []}), 417)
        answer(client.get("/v2/operator/customers/nobody/users"), 404)


def test_mappings_are_saved_with_every_member_checked(operated: str) -> None:
    path = f"/v2/operator/customers/{CUSTOMER}/mappings"
    mapping = {"source": "queue_log", "kind": "user", "name": "SIP/4001", "targetid": 40}
    with operator(operated) as client:
        assert answer(client.put(path, json={**mapping, "title": "Agent 4001"})) == mapping
        assert answer(client.get(path)) == [mapping]
        assert answer(client.get(path, params={"source": "other"})) == []
        users = answer(client.get(f"/v2/operator/customers/{CUSTOMER}/users"))
        assert {"userid": 40, "name": "Agent 4001", "kind": "agent", "status": "active"} in users
        errors = answer(client.put(path, json={"source": "", "kind": "queue", "targetid": 0,
                                               "title": 3}), 417)
        assert {(error["param"], error["code"]) for error in errors} == {
            ("source", "error.wrong_format"), ("kind", "error.bad_arguments"),
            ("name", "error.required"), ("targetid", "error.wrong_format"),
            ("title", "error.wrong_format")}
        answer(client.put(path, json={**mapping, "title": "x"}, headers={
            "Authorization": "Bearer " + "x" * 40}), 401)
        answer(client.put("/v2/operator/customers/nobody/mappings",
                          json={**mapping, "title": "x"}), 404)
        assert answer(client.get(path)) == [mapping]


def _hostile_requests() -> list[tuple[str, str, dict[str, Any] | None]]:
    """Each new route with each hostile value in its path id, or in each body member."""
    owned = f"/v2/operator/customers/{CUSTOMER}"
    bodies: list[tuple[str, str, dict[str, Any]]] = [
        ("PUT", f"{owned}/projects/1", {"name": "P", "status": "active"}),
        ("PUT", f"{owned}/queues/5", {"name": "Q", "status": "active"}),
        ("PUT", f"{owned}/users/1", {"name": "U", "kind": "agent", "status": "active"}),
        ("POST", f"{owned}/presets", {"name": "P", "fields": ["callIn"]}),
        ("PUT", f"{owned}/mappings", {"source": "queue_log", "kind": "user", "name": "SIP/1",
                                      "targetid": 1, "title": "T"}),
    ]
    found: list[tuple[str, str, dict[str, Any] | None]] = []
    for value in HOSTILE:
        text = quote(str(value), safe="")
        for kind in ("projects", "queues", "users"):
            found.append(("PUT", f"{owned}/{kind}/{text}", {}))
        found.append(("GET", f"/v2/operator/customers/{text}/projects", None))
        for method, path, body in bodies:
            found += [(method, path, {**body, member: value}) for member in body]
    return found


def test_hostile_values_are_refused_as_documented(operated: str) -> None:
    """Never a 500: a hostile path id or body member is a 404 or 417 (or harmless)."""
    with operator(operated) as client:
        for method, path, body in _hostile_requests():
            response = client.request(method, path, json=body)
            assert response.status_code in (200, 404, 417), (method, path, body, response.text)
            document = response.json()
            assert list(document) == ["response", "errors"]
            assert (document["errors"] == []) == (response.status_code == 200)
