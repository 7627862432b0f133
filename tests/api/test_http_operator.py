"""The operator routes of `ccstats serve --operator-key-file`, and the commands' --server,
on the real server."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.conftest import CCSTATS, Account, Launcher
from api.operating import OPERATOR_KEY, answer, ccstats, operator
from backends import drop_database, new_database

CUSTOMER, PASSWORD = "acme-op", "acme-op-admin-pass"
STATS = "/v2/statistics/userbased"
DAY = {"from": "20240301", "to": "20240301", "dimensions": "user"}


@pytest.fixture(scope="module")
def accounts() -> list[Account]:
    return [(CUSTOMER, "UTC", PASSWORD)]


@pytest.fixture(scope="module")
def operated(launch: Launcher, accounts: list[Account], key_file: Path) -> str:
    """A server with the operator routes."""
    return launch(accounts, {}, ["--operator-key-file", str(key_file)])


# without the option -------------------------------------------------------------------


def test_without_the_option_there_are_no_operator_routes(server: str) -> None:
    with operator(server) as client:
        for method, path in (("GET", "/v2/operator/customers"), ("POST", "/v2/operator/compact")):
            [error] = answer(client.request(method, path), 404)
            assert error["code"] == "error.not_found"
    document = httpx.get(f"{server}/openapi.json", timeout=30).json()
    assert not [path for path in document["paths"] if path.startswith("/v2/operator")]
    assert "operator" not in document["components"]["securitySchemes"]


# the routes ---------------------------------------------------------------------------


def test_customers_are_created_listed_and_their_access_changed(operated: str) -> None:
    with operator(operated) as client:
        created = answer(client.post("/v2/operator/customers",
                                     json={"name": "globex-op", "timezone": "Europe/Paris"}))
        assert created == {"name": "globex-op", "timezone": "Europe/Paris", "networks": [],
                           "rateLimit": None, "keepDays": None, "key": created["key"]}
        with httpx.Client(base_url=operated, auth=("globex-op", created["key"]),
                          timeout=30) as globex:
            assert globex.get("/v2/keys").status_code == 200  # every scope
        chosen = answer(client.post("/v2/operator/customers",
                                    json={"name": "initech-op", "password": "initech-pass"}))
        assert chosen["key"] is None and chosen["timezone"] == "UTC"
        listed = answer(client.get("/v2/operator/customers"))
        assert {found["name"] for found in listed} >= {CUSTOMER, "globex-op", "initech-op"}
        changed = answer(client.put("/v2/operator/customers/initech-op/access",
                                    json={"networks": ["10.1.2.3"], "rateLimit": 20}))
        assert changed["networks"] == ["10.1.2.3/32"] and changed["rateLimit"] == 20
        # a member left out stays as it is; null is the server's default rate
        kept = answer(client.put("/v2/operator/customers/initech-op/access",
                                 json={"rateLimit": None}))
        assert kept["networks"] == ["10.1.2.3/32"] and kept["rateLimit"] is None
        kept = answer(client.put("/v2/operator/customers/initech-op/access",
                                 json={"keepDays": 30}))
        assert kept["networks"] == ["10.1.2.3/32"] and kept["keepDays"] == 30
        listed = answer(client.get("/v2/operator/customers"))
        assert [found["keepDays"] for found in listed if found["name"] == "initech-op"] == [30]
        forever = answer(client.put("/v2/operator/customers/initech-op/access",
                                    json={"keepDays": None}))
        assert forever["keepDays"] is None and forever["networks"] == ["10.1.2.3/32"]
        with httpx.Client(base_url=operated, auth=("initech-op", "initech-pass"),
                          timeout=30) as initech:
            answer(initech.get("/v2/projects"), 403)  # 127.0.0.1 is not allowed any more
        answer(client.put("/v2/operator/customers/initech-op/access", json={"networks": []}))


def test_customer_mistakes(operated: str) -> None:
    with operator(operated) as client:
        [error] = answer(client.post("/v2/operator/customers", json={"name": CUSTOMER}), 417)
        assert "already exists" in error["message"]
        errors = answer(client.post("/v2/operator/customers",
                                    json={"name": "Bad Name", "timezone": "Mars/Olympus"}), 417)
        assert {error["param"] for error in errors} == {"name", "timezone"}
        [error] = answer(client.post("/v2/operator/customers", json={"timezone": "UTC"}), 417)
        assert error["code"] == "error.required" and error["param"] == "name"
        answer(client.post("/v2/operator/customers", content=b"[1]"), 417)
        answer(client.put("/v2/operator/customers/nobody/access", json={"networks": []}), 404)
        [error] = answer(client.put(f"/v2/operator/customers/{CUSTOMER}/access", json={}), 417)
        assert "rateLimit and/or keepDays" in error["message"]
        answer(client.put(f"/v2/operator/customers/{CUSTOMER}/access",
                          json={"networks": ["10.0.0.0/40"]}), 417)
        answer(client.put(f"/v2/operator/customers/{CUSTOMER}/access",
                          json={"rateLimit": True}), 417)
        answer(client.put(f"/v2/operator/customers/{CUSTOMER}/access",
                          json={"rateLimit": 0}), 417)
        for bad in (0, 36501, "30", 1.5, True):
            [error] = answer(client.put(f"/v2/operator/customers/{CUSTOMER}/access",
                                        json={"keepDays": bad}), 417)
            assert error["param"] in {"keepDays", "keep_days"}, bad
        [error] = answer(client.post("/v2/operator/prune", params={"customer": "nobody"}), 404)


def test_keys_are_created_listed_and_revoked_at_once(operated: str) -> None:
    with operator(operated) as client:
        path = f"/v2/operator/customers/{CUSTOMER}/keys"
        created = answer(client.post(path, json={"scopes": ["read"]}))
        assert created["scopes"] == ["read"] and created["key"].startswith(created["keyid"])
        listed = answer(client.get(path))
        assert {"keyid": created["keyid"], "scopes": ["read"]} in listed
        assert all("key" not in found for found in listed)
        with httpx.Client(base_url=operated, auth=(CUSTOMER, created["key"]),
                          timeout=30) as reader:
            assert reader.get(STATS, params=DAY).status_code == 200
            assert answer(client.delete(f"{path}/{created['keyid']}")) is True
            answer(reader.get(STATS, params=DAY), 401)
        answer(client.post(path, json={"scopes": ["root"]}), 417)
        answer(client.post(path, json={"scopes": "read"}), 417)
        answer(client.get("/v2/operator/customers/nobody/keys"), 404)
        answer(client.delete(f"{path}/0badc0de"), 404)
        [admin] = [found for found in answer(client.get(path)) if "admin" in found["scopes"]]
        [error] = answer(client.delete(f"{path}/{admin['keyid']}"), 417)
        assert "last key with the admin scope" in error["message"]


def test_rebuild_and_compact(operated: str) -> None:
    event = {"id": "op1", "type": "userstate", "state": "available", "start": 1709280000,
             "end": 1709280030, "projectId": 1, "userId": 1}
    with httpx.Client(base_url=operated, auth=(CUSTOMER, PASSWORD), timeout=30) as writer:
        answer(writer.post("/v2/events", json=[event]))
        before = writer.get(STATS, params={**DAY, "of": "csv"}).content
    with operator(operated) as client:
        assert answer(client.post("/v2/operator/rebuild", params={"customer": CUSTOMER})) == {
            "events": 1}
        assert answer(client.post("/v2/operator/rebuild"))["events"] >= 1
        answer(client.post("/v2/operator/rebuild", params={"customer": "nobody"}), 404)
        answer(client.post("/v2/operator/rebuild", params={"customer": ""}), 404)
        assert answer(client.post("/v2/operator/compact")) is True
    with httpx.Client(base_url=operated, auth=(CUSTOMER, PASSWORD), timeout=30) as reader:
        assert reader.get(STATS, params={**DAY, "of": "csv"}).content == before


# who may call -------------------------------------------------------------------------


def _operations(url: str) -> list[tuple[str, str]]:
    document = httpx.get(f"{url}/openapi.json", timeout=30).json()
    found = [(method.upper(), path) for path, item in document["paths"].items()
             for method in item if path.startswith("/v2/operator")]
    for method, path in found:
        operation = document["paths"][path][method.lower()]
        assert operation["security"] == [{"operator": []}]
        assert {"401", "429"} <= set(operation["responses"]) and "403" not in operation[
            "responses"]
    assert document["components"]["securitySchemes"]["operator"]["scheme"] == "bearer"
    return found


def test_customer_keys_never_reach_operator_routes(operated: str) -> None:
    """Every operator operation answers 401 to every customer credential, as to a wrong key."""
    operations = _operations(operated)
    assert len(operations) == 25
    with operator(operated) as client:
        admin = answer(client.post(f"/v2/operator/customers/{CUSTOMER}/keys",
                                   json={"scopes": ["read", "write", "admin"]}))
    attempts: list[dict[str, Any]] = [
        {"headers": {"Authorization": f"Bearer {PASSWORD}"}},
        {"headers": {"Authorization": f"Bearer {admin['key']}"}},
        {"auth": (CUSTOMER, PASSWORD)},
        {"auth": ("operator", OPERATOR_KEY)},  # the operator key goes as a bearer token
        {"headers": {"Authorization": f"Bearer {OPERATOR_KEY}x"}},
        {},
    ]
    for method, template in operations:
        path = re.sub(r"\{[a-z_]+_id\}", "1", template.replace("{customer}", CUSTOMER)
                      .replace("{key_id}", admin["keyid"]))
        for attempt in attempts:
            response = httpx.request(method, operated + path, json={}, timeout=30, **attempt)
            [error] = answer(response, 401)
            assert error["code"] == "error.unauthorized", (method, path)
    with operator(operated) as client:  # nothing was changed
        assert admin["keyid"] in {k["keyid"] for k in answer(
            client.get(f"/v2/operator/customers/{CUSTOMER}/keys"))}


def test_the_operator_key_is_no_customer_key(operated: str) -> None:
    """Not even of a customer whose chosen password it is; and it reads no statistics."""
    with operator(operated) as client:
        answer(client.get(STATS, params=DAY), 401)
        answer(client.get("/v2/keys"), 401)
        answer(client.post("/v2/operator/customers",
                           json={"name": "twin-op", "password": OPERATOR_KEY}))
    for user in (CUSTOMER, "twin-op"):
        with httpx.Client(base_url=operated, auth=(user, OPERATOR_KEY), timeout=30) as client:
            answer(client.get(STATS, params=DAY), 401)
            answer(client.get("/v2/projects"), 401)


def test_operator_failed_logins_have_their_own_limit(launch: Launcher, key_file: Path) -> None:
    url = launch([(CUSTOMER, "UTC", PASSWORD)], {},
                 ["--operator-key-file", str(key_file), "--max-failed-logins", "3"])
    with operator(url, "not-the-operator-key-at-all-0000") as wrong:
        for _ in range(3):
            answer(wrong.get("/v2/operator/customers"), 401)
        refused = wrong.get("/v2/operator/customers")
        [error] = answer(refused, 429)
        assert "failed logins" in error["message"]
        assert int(refused.headers["Retry-After"]) >= 1
    with operator(url) as right:  # the address is refused, whatever its key now
        answer(right.get("/v2/operator/customers"), 429)
    with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=30) as customer:
        assert customer.get(STATS, params=DAY).status_code == 200
        for _ in range(2):  # customers' failures count apart from the operator's
            answer(httpx.get(f"{url}{STATS}", params=DAY, auth=(CUSTOMER, "wrong"),
                             timeout=30), 401)
        assert customer.get(STATS, params=DAY).status_code == 200


def test_a_bad_operator_key_file_stops_the_server(tmp_path: Path) -> None:
    short = tmp_path / "short.key"
    short.write_text("too-short\n")
    for path in (short, tmp_path / "missing.key"):
        done = subprocess.run([str(CCSTATS), "serve", "--db", str(tmp_path / "x.duckdb"),
                               "--operator-key-file", str(path)],
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 2 and "--operator-key-file" in done.stderr
    made = subprocess.run([str(CCSTATS), "operator-key", "new"], capture_output=True,
                          text=True, timeout=60, check=True).stdout
    assert len(made.strip()) >= 40 and made.endswith("\n")


# the commands' --server ---------------------------------------------------------------

#: (a secret may begin or end with "-", where a word boundary is not)
_SECRET = re.compile(r"\b[0-9a-f]{8}\.[A-Za-z0-9_-]{32}(?![A-Za-z0-9_-])")
_KEY_ID = re.compile(r"\b[0-9a-f]{8}\b")


def _same_text(done: subprocess.CompletedProcess[str]) -> tuple[int, str, str]:
    """What a command said, with the random parts (secrets, key ids) named instead."""
    def named(text: str) -> str:
        return _KEY_ID.sub("<id>", _SECRET.sub("<secret>", text))

    return done.returncode, named(done.stdout), named(done.stderr)


SESSION: Sequence[tuple[str, ...]] = (
    ("customer", "create", "acme", "--timezone", "Europe/Budapest", "--password", "pw-acme"),
    ("customer", "create", "globex"),
    ("customer", "create", "acme"),
    ("customer", "create", "Bad Name", "--timezone", "Mars/Olympus"),
    ("customer", "set", "acme", "--allow", "10.1.2.3, 2001:db8::/32", "--rate-limit", "20"),
    ("customer", "set", "globex", "--rate-limit", "default"),
    ("customer", "set", "acme", "--allow", "10.0.0.0/40"),
    ("customer", "set", "nobody", "--allow", "any"),
    ("customer", "list"),
    ("customer", "set", "acme", "--allow", "any", "--rate-limit", "default"),
    ("customer", "set", "acme", "--keep-days", "0"),
    ("customer", "set", "acme", "--keep-days", "3650"),
    ("customer", "list"),
    ("prune",),
    ("prune", "--customer", "globex"),
    ("prune", "--customer", "nobody"),
    ("customer", "set", "acme", "--keep-days", "forever"),
    ("prune",),
    ("key", "create", "--customer", "acme", "--scopes", "read,write"),
    ("key", "create", "--customer", "acme", "--scopes", "read,root"),
    ("key", "create", "--customer", "nobody"),
    ("key", "list", "--customer", "acme"),
    ("key", "revoke", "0badc0de", "--customer", "acme"),
    ("rebuild",),
    ("rebuild", "--customer", "acme"),
    ("rebuild", "--customer", "nobody"),
    ("compact",),
)


def test_the_commands_say_the_same_with_server_as_with_db(
        launch: Launcher, key_file: Path, tmp_path: Path) -> None:
    url = launch([], {}, ["--operator-key-file", str(key_file)])
    db = new_database(tmp_path, "cli")
    try:
        for args in SESSION:
            with_db = ccstats(*args, "--db", db)
            with_server = ccstats(*args, "--server", url)
            assert _same_text(with_server) == _same_text(with_db), args
        key_id = _KEY_ID.search(ccstats("key", "create", "--customer", "acme", "--server",
                                        url).stdout)
        assert key_id is not None
        revoked = ccstats("key", "revoke", key_id.group(), "--customer", "acme", "--server", url)
        assert revoked.returncode == 0 and revoked.stdout == f"key {key_id.group()} revoked\n"
        assert ccstats("customer", "list", "--server", url).stdout.splitlines() == [
            "acme\tEurope/Budapest\tany\tdefault\tforever",
            "globex\tUTC\tany\tdefault\tforever"]
    finally:
        drop_database(db)


def test_server_mistakes_name_what_to_do(launch: Launcher, key_file: Path, server: str) -> None:
    url = launch([], {}, ["--operator-key-file", str(key_file)])
    missing = ccstats("customer", "list", "--server", url, key=None)
    assert missing.returncode == 2 and "CCSTATS_OPERATOR_KEY" in missing.stderr
    both = ccstats("customer", "list", "--server", url, "--db", "x.duckdb")
    assert both.returncode == 2 and "not both" in both.stderr
    before = ccstats("--db", "x.duckdb", "customer", "list", "--server", url)
    assert before.returncode == 2 and "not both" in before.stderr
    wrong = ccstats("customer", "list", "--server", url, key="x" * 40)
    assert wrong.returncode == 1 and "refused the operator key" in wrong.stderr
    plain = ccstats("customer", "list", "--server", server)
    assert plain.returncode == 1 and "--operator-key-file" in plain.stderr
    nothing = ccstats("customer", "list", "--server", "http://127.0.0.1:9")
    assert nothing.returncode == 1 and "cannot reach the server" in nothing.stderr
