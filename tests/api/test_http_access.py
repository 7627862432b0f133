"""Keys, client networks, rate limits, logs, metrics and a full disk, on the real server."""

from __future__ import annotations

import base64
import json
import re
import resource
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.conftest import (
    CCSTATS,
    Account,
    Launcher,
    create_customers,
    free_port,
    stop,
    wait_until_healthy,
)
from backends import ON_CLICKHOUSE

CUSTOMER, PASSWORD = "acme-tenant", "acme-admin-pass"
OTHER, OTHER_PASSWORD = "globex-tenant", "globex-pass"
STATS = "/v2/statistics/userbased"
DAY = {"from": "20240301", "to": "20240301", "dimensions": "user"}


@pytest.fixture(scope="module")
def accounts() -> list[Account]:
    return [(CUSTOMER, "UTC", PASSWORD), (OTHER, "UTC", OTHER_PASSWORD)]


def envelope_errors(response: httpx.Response, status: int) -> list[dict[str, Any]]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["response"] is None
    errors: list[dict[str, Any]] = body["errors"]
    return errors


def batch(first_id: int, count: int, project: int = 1) -> bytes:
    lines = [json.dumps({"id": f"e{first_id + i}", "type": "userstate", "state": "available",
                         "start": 1709280000 + 60 * i, "end": 1709280030 + 60 * i,
                         "projectId": project, "userId": 1}) for i in range(count)]
    return ("\n".join(lines) + "\n").encode()


# keys ---------------------------------------------------------------------------------


def test_a_created_key_has_its_scopes_and_revoking_it_takes_effect_at_once(server: str) -> None:
    with httpx.Client(base_url=server, auth=(CUSTOMER, PASSWORD), timeout=30) as admin:
        created = admin.post("/v2/keys", json={"scopes": ["read"]})
        assert created.status_code == 200, created.text
        key = created.json()["response"]
        assert set(key) == {"keyid", "scopes", "key"} and key["scopes"] == ["read"]
        listed = admin.get("/v2/keys").json()["response"]
        assert {"keyid": key["keyid"], "scopes": ["read"]} in listed
        assert all("key" not in item for item in listed)  # secrets are never shown again
        with httpx.Client(base_url=server, auth=(CUSTOMER, key["key"]), timeout=30) as reader:
            assert reader.get(STATS, params=DAY).status_code == 200
            envelope_errors(reader.post("/v2/events", content=batch(0, 1)), 403)
            envelope_errors(reader.get("/v2/keys"), 403)
            assert admin.delete(f"/v2/keys/{key['keyid']}").json() == {
                "response": True, "errors": []}
            envelope_errors(reader.get(STATS, params=DAY), 401)
        assert key["keyid"] not in {k["keyid"] for k in admin.get("/v2/keys").json()["response"]}


def test_key_errors(server: str) -> None:
    with httpx.Client(base_url=server, auth=(CUSTOMER, PASSWORD), timeout=30) as admin:
        [error] = envelope_errors(admin.post("/v2/keys", json={"scopes": ["root"]}), 417)
        assert error["param"] == "scopes" and "read, write" in error["message"]
        [error] = envelope_errors(admin.post("/v2/keys", json={"scopes": []}), 417)
        assert error["code"] == "error.required"
        [error] = envelope_errors(admin.post("/v2/keys", json={"scopes": "read"}), 417)
        assert error["param"] == "scopes"
        [error] = envelope_errors(admin.delete("/v2/keys/nope"), 404)
        assert error["param"] == "keyid"
        own = [k for k in admin.get("/v2/keys").json()["response"] if "admin" in k["scopes"]]
        assert len(own) == 1
        [error] = envelope_errors(admin.delete(f"/v2/keys/{own[0]['keyid']}"), 417)
        assert "last key with the admin scope" in error["message"]
        assert admin.get("/v2/keys").status_code == 200  # still usable


def test_keys_of_another_customer_are_neither_listed_nor_revocable(server: str) -> None:
    with httpx.Client(base_url=server, auth=(OTHER, OTHER_PASSWORD), timeout=30) as other:
        theirs = {k["keyid"] for k in other.get("/v2/keys").json()["response"]}
    with httpx.Client(base_url=server, auth=(CUSTOMER, PASSWORD), timeout=30) as admin:
        ours = {k["keyid"] for k in admin.get("/v2/keys").json()["response"]}
        assert not theirs & ours
        for key_id in theirs:
            envelope_errors(admin.delete(f"/v2/keys/{key_id}"), 404)
    with httpx.Client(base_url=server, auth=(OTHER, OTHER_PASSWORD), timeout=30) as other:
        assert other.get("/v2/keys").status_code == 200


# networks -----------------------------------------------------------------------------


#: `serve` options of a server behind a reverse proxy on this machine.
BEHIND_LOCAL_PROXY = ["--trusted-proxies", "127.0.0.1,::1"]


def test_allowed_networks(launch: Launcher) -> None:
    url = launch([(CUSTOMER, "UTC", PASSWORD), (OTHER, "UTC", OTHER_PASSWORD)], {},
                 BEHIND_LOCAL_PROXY)
    with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=30) as admin:
        [error] = envelope_errors(admin.put("/v2/access", json={"networks": ["10.0.0.0/33"]}),
                                  417)
        assert error["param"] == "networks" and "CIDR" in error["message"]
        assert admin.get("/v2/access").json()["response"] == {"networks": [],
                                                               "rateLimit": None}
        allowed = admin.put("/v2/access", json={"networks": ["127.0.0.0/8", "::1"]})
        assert allowed.json()["response"]["networks"] == ["127.0.0.0/8", "::1/128"]
        assert admin.get(STATS, params=DAY).status_code == 200
        # a list without 127.0.0.1, set from a client of 203.0.113.0/24 (behind the
        # trusted proxy at 127.0.0.1): no one can lock itself out
        admin.put("/v2/access", json={"networks": ["127.0.0.0/8", "203.0.113.0/24"]})
        changed = admin.put("/v2/access", json={"networks": ["203.0.113.0/24"]},
                            headers={"X-Forwarded-For": "203.0.113.9"})
        assert changed.status_code == 200, changed.text
        [error] = envelope_errors(admin.get(STATS, params=DAY), 403)
        assert error["code"] == "error.forbidden" and "127.0.0.1" in error["message"]
        envelope_errors(admin.get("/v2/access"), 403)
    with httpx.Client(base_url=url, timeout=30) as anonymous:
        envelope_errors(anonymous.get(STATS, params=DAY), 401)  # strangers learn nothing
        envelope_errors(anonymous.get(STATS, params=DAY, auth=(CUSTOMER, "wrong")), 401)
    with httpx.Client(base_url=url, auth=(OTHER, OTHER_PASSWORD), timeout=30) as other:
        assert other.get(STATS, params=DAY).status_code == 200  # another customer's list


def test_networks_that_leave_out_the_caller_are_refused(launch: Launcher) -> None:
    """An administrator cannot lock itself out: its own address (as the guard sees it,
    behind a trusted proxy too) must be inside the networks it sets."""
    url = launch([(CUSTOMER, "UTC", PASSWORD)], {}, BEHIND_LOCAL_PROXY)
    inside = {"X-Forwarded-For": "203.0.113.9"}
    with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=30) as admin:
        for networks in (["203.0.113.0/24"], ["203.0.113.0/24", "::1"], ["10.0.0.0/8"]):
            refused = admin.put("/v2/access", json={"networks": networks})
            [error] = envelope_errors(refused, 417)
            assert error["param"] == "networks" and "127.0.0.1" in error["message"]
            [error] = envelope_errors(admin.put("/v2/access", json={"networks": networks},
                                                headers={"X-Forwarded-For": "198.51.100.1"}),
                                      417)
            assert error["param"] == "networks" and "198.51.100.1" in error["message"]
        assert admin.get("/v2/access").json()["response"]["networks"] == []
        assert admin.get(STATS, params=DAY).status_code == 200
        [error] = envelope_errors(admin.put("/v2/access", json={
            "networks": ["10.0.0.0/8", "not-a-network"]}), 417)
        assert error["code"] == "error.wrong_format" and "not-a-network" in error["message"]
        changed = admin.put("/v2/access", json={"networks": ["203.0.113.0/24"]}, headers=inside)
        assert changed.json()["response"]["networks"] == ["203.0.113.0/24"]
        envelope_errors(admin.get(STATS, params=DAY), 403)
        assert admin.get(STATS, params=DAY, headers=inside).status_code == 200
        assert admin.put("/v2/access", json={"networks": []}, headers=inside).status_code == 200
        assert admin.get(STATS, params=DAY).status_code == 200


def test_x_forwarded_for_names_the_client_only_behind_a_trusted_proxy(
        launch: Launcher) -> None:
    """The allowed networks judge the address of `X-Forwarded-For` when the direct peer
    is a trusted proxy (the last address the proxies did not add themselves: one a
    client put in front of it changes nothing), and the peer's own address otherwise."""
    proxied = launch([(CUSTOMER, "UTC", PASSWORD)], {}, BEHIND_LOCAL_PROXY)
    inside, outside = "203.0.113.9", "198.51.100.1"
    with httpx.Client(base_url=proxied, auth=(CUSTOMER, PASSWORD), timeout=30) as client:
        assert client.put("/v2/access", json={"networks": ["203.0.113.0/24"]},
                          headers={"X-Forwarded-For": inside}).status_code == 200
        assert client.get(STATS, params=DAY,
                          headers={"X-Forwarded-For": inside}).status_code == 200
        for forwarded in (outside, f"{inside}, {outside}", f"{inside}, 127.0.0.1, {outside}"):
            [error] = envelope_errors(client.get(STATS, params=DAY,
                                                 headers={"X-Forwarded-For": forwarded}), 403)
            assert outside in error["message"], forwarded
        # a client behind two proxies of the trusted networks
        assert client.get(STATS, params=DAY, headers={
            "X-Forwarded-For": f"{outside}, {inside}, 127.0.0.1"}).status_code == 200
        [error] = envelope_errors(client.get(STATS, params=DAY), 403)
        assert "127.0.0.1" in error["message"]
    for options in ([], ["--trusted-proxies", "10.0.0.0/8,2001:db8::/32"]):
        direct = launch([(CUSTOMER, "UTC", PASSWORD)], {}, options)
        with httpx.Client(base_url=direct, auth=(CUSTOMER, PASSWORD), timeout=30) as client:
            [error] = envelope_errors(client.put(
                "/v2/access", json={"networks": ["203.0.113.0/24"]},
                headers={"X-Forwarded-For": inside}), 417)
            assert "127.0.0.1" in error["message"], options
            assert client.put("/v2/access", json={"networks": ["127.0.0.0/8"]},
                              headers={"X-Forwarded-For": outside}).status_code == 200
            assert client.get(STATS, params=DAY,
                              headers={"X-Forwarded-For": outside}).status_code == 200


def test_trusted_proxies_must_be_networks() -> None:
    done = subprocess.run([str(CCSTATS), "serve", "--trusted-proxies", "127.0.0.1,proxy"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "--trusted-proxies" in done.stderr and "'proxy' is not a network" in done.stderr


# rates --------------------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after_per_customer(launch: Launcher) -> None:
    url = launch([(CUSTOMER, "UTC", PASSWORD), (OTHER, "UTC", OTHER_PASSWORD)], {},
                 ["--rate-limit", "5"])
    with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=30) as client:
        statuses = [client.get(STATS, params=DAY) for _ in range(12)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, [r.status_code for r in statuses]
    assert {r.status_code for r in statuses} == {200, 429}
    [error] = envelope_errors(limited[0], 429)
    assert error["code"] == "error.too_many_requests"
    assert int(limited[0].headers["Retry-After"]) >= 1
    with httpx.Client(base_url=url, auth=(OTHER, OTHER_PASSWORD), timeout=30) as other:
        assert other.get(STATS, params=DAY).status_code == 200  # its own window


def test_failed_logins_from_an_address_are_limited(launch: Launcher) -> None:
    url = launch([(CUSTOMER, "UTC", PASSWORD)], {}, ["--max-failed-logins", "3"])
    with httpx.Client(base_url=url, timeout=30) as client:
        statuses = [client.get(STATS, params=DAY, auth=(CUSTOMER, f"guess-{i}")).status_code
                    for i in range(5)]
        assert statuses == [401, 401, 401, 429, 429]
        refused = client.get(STATS, params=DAY, auth=(CUSTOMER, PASSWORD))
        [error] = envelope_errors(refused, 429)
        assert "failed logins" in error["message"] and "Retry-After" in refused.headers


# logs and metrics ---------------------------------------------------------------------


#: Starts a server the test controls: (file size limit or None) -> (URL, log file, process)
OwnServer = Callable[[int | None], tuple[str, Path, "subprocess.Popen[bytes]"]]


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnServer]:
    """Starts servers whose log file and process the test can read and control.

    With a file size limit, the server's writes beyond that many bytes per file
    fail (EFBIG) as on a full disk: SIGXFSZ, ignored here while the server
    starts, stays ignored in it, and the limit is set on its process.
    """
    processes: list[subprocess.Popen[bytes]] = []

    def start(file_limit: int | None) -> tuple[str, Path, subprocess.Popen[bytes]]:
        folder = tmp_path_factory.mktemp("own")
        db = folder / "ccstats.duckdb"
        create_customers(str(db), [(CUSTOMER, "UTC", PASSWORD)], {})
        log, port = folder / "server.log", free_port()
        url = f"http://127.0.0.1:{port}"
        previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        try:
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [str(CCSTATS), "serve", "--db", str(db), "--port", str(port),
                     "--rate-limit", "0"], stdout=out, stderr=subprocess.STDOUT,
                    restore_signals=False)
        finally:
            signal.signal(signal.SIGXFSZ, previous)
        processes.append(process)
        assert wait_until_healthy(process, url, log), log.read_text(errors="replace")
        if file_limit is not None:
            resource.prlimit(process.pid, resource.RLIMIT_FSIZE,
                             (file_limit, resource.RLIM_INFINITY))
        return url, log, process

    try:
        yield start
    finally:
        for process in processes:
            stop(process)


def logged(log: Path, request_id: str) -> dict[str, Any]:
    """The log line of a request (written just after its answer was sent)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if line.startswith("{") and json.loads(line)["request_id"] == request_id:
                found: dict[str, Any] = json.loads(line)
                return found
        time.sleep(0.05)
    pytest.fail(f"no log line for request {request_id}:\n{log.read_text()}")


#: These start servers on a DuckDB file of their own: the DuckDB run covers them.
duckdb_only = pytest.mark.skipif(ON_CLICKHOUSE, reason="starts its own DuckDB server")


@duckdb_only
def test_one_json_log_line_per_request_and_never_a_key(own_server: OwnServer) -> None:
    url, log, _ = own_server(None)
    with httpx.Client(base_url=url, timeout=30) as client:
        ok = client.get(STATS, params=DAY, auth=(CUSTOMER, PASSWORD))
        wrong = client.get(STATS, params=DAY, auth=(CUSTOMER, "not-the-key"))
    logged_ok = logged(log, ok.headers["X-Request-Id"])
    assert logged_ok["customer"] == CUSTOMER and logged_ok["status"] == 200
    assert logged_ok["path"] == STATS and logged_ok["method"] == "GET"
    assert logged_ok["bytes"] == len(ok.content) and logged_ok["ms"] >= 0
    logged_wrong = logged(log, wrong.headers["X-Request-Id"])
    assert logged_wrong["status"] == 401 and logged_wrong["customer"] is None
    text = log.read_text()
    assert PASSWORD not in text and "not-the-key" not in text
    assert "Authorization" not in text and "from=" not in text


def test_metrics_count_requests_and_events(server: str) -> None:
    with httpx.Client(base_url=server, auth=(CUSTOMER, PASSWORD), timeout=30) as client:
        stored = client.post("/v2/events", content=batch(1000, 7, project=9))
        assert stored.json()["response"] == {"stored": 7}
        client.get(STATS, params=DAY)
        exposition = httpx.get(f"{server}/metrics", timeout=30)
    assert exposition.status_code == 200
    assert exposition.headers["content-type"].startswith("text/plain")
    samples = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
               for line in exposition.text.splitlines() if line and not line.startswith("#")}
    assert samples["ccstats_events_stored_total"] >= 7
    assert samples['ccstats_requests_total{method="GET",route="/v2/statistics/userbased",'
                   'status="200"}'] >= 1
    assert samples['ccstats_request_duration_seconds_count{route="/v2/events"}'] >= 1
    assert CUSTOMER not in exposition.text and OTHER not in exposition.text


@duckdb_only
def test_a_client_that_disconnects_mid_upload_is_logged_as_an_abort(
        own_server: OwnServer) -> None:
    """Status 499 in the log and the metrics, no stack trace, not a 500."""
    url, log, _ = own_server(None)
    address = httpx.URL(url)
    assert address.host and address.port
    credentials = base64.b64encode(f"{CUSTOMER}:{PASSWORD}".encode()).decode()
    with socket.create_connection((address.host, address.port), timeout=30) as connection:
        connection.sendall(
            f"POST /v2/events HTTP/1.1\r\nHost: {address.host}\r\n"
            f"Authorization: Basic {credentials}\r\nContent-Length: 100000\r\n\r\n".encode()
            + batch(1, 5))
    deadline = time.monotonic() + 30
    while '"status":499' not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    [line] = [json.loads(text) for text in log.read_text().splitlines()
              if text.startswith("{") and json.loads(text)["path"] == "/v2/events"]
    assert line["status"] == 499 and line["method"] == "POST"
    text = log.read_text()
    assert "Traceback" not in text and "ClientDisconnect" not in text
    samples = metric_samples(httpx.get(f"{url}/metrics", timeout=30).text)
    assert samples['ccstats_requests_total{method="POST",route="/v2/events",status="499"}'] == 1
    assert not any('status="500"' in series for series in samples)
    with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=30) as client:
        assert client.delete("/v2/events/e1").status_code == 404


def metric_samples(text: str) -> dict[str, float]:
    """The samples of a Prometheus exposition: series (name and labels) -> value."""
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines() if line and not line.startswith("#")}


def test_metrics_count_made_up_methods_under_one_label(server: str) -> None:
    """Labels are bounded: unknown methods (a long one too) are all ``other``."""
    made_up = ["M123", "BREW", "X" * 5000, *(f"M{i}" for i in range(20))]
    with httpx.Client(base_url=server, timeout=30) as client:
        before = metric_samples(client.get("/metrics").text)
        for method in made_up:
            assert client.request(method, "/health").status_code == 405
        exposition = client.get("/metrics").text
    methods = set(re.findall(r'^ccstats_requests_total\{method="([^"]*)"', exposition, re.M))
    assert methods <= {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE",
                       "PATCH", "other"}
    other = 'ccstats_requests_total{method="other",route="/health",status="405"}'
    assert metric_samples(exposition)[other] - before.get(other, 0) == len(made_up)


# a full disk --------------------------------------------------------------------------


@duckdb_only
def test_a_disk_that_refuses_writes_gives_503_changes_nothing_and_recovers(
        own_server: OwnServer) -> None:
    url, log, process = own_server(8 << 20)
    with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=60) as client:
        answers = []
        for n in range(1, 40):
            response = client.post("/v2/events", content=batch(100_000 * n, 20_000, project=n))
            answers.append(response)
            if response.status_code != 200:
                break
        refused = answers[-1]
        [error] = envelope_errors(refused, 503)
        assert error["code"] == "error.unavailable" and "Retry-After" in refused.headers
        assert "duckdb" not in refused.text.lower() and "/" not in error["message"]
        database = str(log.parent / "ccstats.duckdb")  # named in the log, with the request id
        assert any(refused.headers["X-Request-Id"] in line and database in line
                   for line in log.read_text().splitlines())
        acknowledged = len(answers) - 1
        by_project = client.get(STATS, params={"from": "20240301", "to": "20240331",
                                               "dimensions": "project", "of": "csv",
                                               "fields": "userstateAvailable"})
        assert by_project.status_code == 200
        counts = {line.split(",")[0]: line.split(",")[3]
                  for line in by_project.text.splitlines()[1:]}
        assert counts == {str(n): "20000" for n in range(1, acknowledged + 1)}
        resource.prlimit(process.pid, resource.RLIMIT_FSIZE,
                         (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        again = client.post("/v2/events", content=batch(9_000_000, 20_000, project=99))
        assert again.status_code == 200, again.text
        assert client.get(STATS, params=DAY).status_code == 200


# the scope matrix ---------------------------------------------------------------------

#: The scope each operation needs; every operation of /openapi.json must be listed here.
SCOPE_OF = {
    ("GET", "/v2/statistics/userbased"): "read",
    ("GET", "/v2/statistics/fields"): "read",
    ("GET", "/v2/statistics/inbound"): "read",
    ("GET", "/v2/statistics/inbound/fields"): "read",
    ("GET", "/v2/statistics/kpis"): "read",
    ("GET", "/v2/statistics/kpis/definitions"): "read",
    ("GET", "/v2/statistics/presets"): "read",
    ("POST", "/v2/statistics/presets"): "admin",
    ("DELETE", "/v2/statistics/presets/{preset_id}"): "admin",
    ("GET", "/v2/onlineusers"): "read",
    ("GET", "/v2/realtime/queues"): "read",
    ("GET", "/v2/realtime/stream"): "read",
    ("GET", "/v2/projects"): "read",
    ("POST", "/v2/projects"): "admin",
    ("PUT", "/v2/projects/{project_id}"): "admin",
    ("GET", "/v2/users"): "read",
    ("POST", "/v2/users"): "admin",
    ("PUT", "/v2/users/{user_id}"): "admin",
    ("GET", "/v2/queues"): "read",
    ("POST", "/v2/queues"): "admin",
    ("PUT", "/v2/queues/{queue_id}"): "admin",
    ("POST", "/v2/events"): "write",
    ("DELETE", "/v2/events/{event_id}"): "write",
    ("GET", "/v2/keys"): "admin",
    ("POST", "/v2/keys"): "admin",
    ("DELETE", "/v2/keys/{key_id}"): "admin",
    ("GET", "/v2/access"): "admin",
    ("PUT", "/v2/access"): "admin",
    ("GET", "/health"): "",
    ("GET", "/metrics"): "",
}


def test_every_operation_needs_exactly_its_scope(server: str) -> None:
    """Each single-scope key is refused (403) exactly where the matrix says, on every route.

    Requests carry bodies that change nothing (empty objects, unknown ids).
    """
    document = httpx.get(f"{server}/openapi.json", timeout=30).json()
    operations = {(method.upper(), path) for path, item in document["paths"].items()
                  for method in item}
    assert operations == set(SCOPE_OF)
    with httpx.Client(base_url=server, auth=(CUSTOMER, PASSWORD), timeout=30) as admin:
        secrets = {scope: admin.post("/v2/keys", json={"scopes": [scope]}).json()["response"]
                   for scope in ("read", "write", "admin")}
        before = admin.get(STATS, params={**DAY, "of": "csv"}).content
        try:
            for (method, template), needed in sorted(SCOPE_OF.items()):
                path = (template.replace("{preset_id}", "999").replace("{event_id}", "nope")
                        .replace("{key_id}", "nope").replace("{project_id}", "999")
                        .replace("{user_id}", "999").replace("{queue_id}", "999"))
                params = DAY if path == STATS else None
                for scope, key in secrets.items():
                    status, text = _answer(method, f"{server}{path}", params,
                                           b"{}" if method in ("POST", "PUT") else None,
                                           (CUSTOMER, key["key"]))
                    refused = status == 403
                    assert refused == (needed not in ("", scope)), (method, path, scope, text)
                    assert status < 500
        finally:
            for key in secrets.values():
                admin.delete(f"/v2/keys/{key['keyid']}")
        assert admin.get(STATS, params={**DAY, "of": "csv"}).content == before


def _answer(method: str, url: str, params: dict[str, str] | None, content: bytes | None,
            auth: tuple[str, str]) -> tuple[int, str]:
    """The status and body of a request; of an event stream (which never ends) only the
    status."""
    with httpx.stream(method, url, params=params, content=content, auth=auth,
                      timeout=30) as response:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return response.status_code, ""
        return response.status_code, response.read().decode()
