"""Every error status over real HTTP, in the envelope ``{"response": null, "errors": [...]}``.

The module's server holds customer ``mycc`` with its all-scope key and a second,
read-only key. A second server with ``--max-body-bytes 1000`` serves the 413 tests.
"""

from __future__ import annotations

import base64
import gzip
import json
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest

CUSTOMER, ZONE, PASSWORD = "mycc", "Europe/Budapest", "mycc-pass"
READONLY_PASSWORD = "readonly.ro-pass"
SMALL_LIMIT = 1000
REALM = 'Basic realm="ccstats"'
STATS = "/v2/statistics/userbased"
JUNE = "from=20200601&to=20200630"
NDJSON = {"Content-Type": "application/x-ndjson"}


def event(event_id: str, start: str, end: str, state: str = "available",
          project: int = 3, user: int = 30) -> dict[str, Any]:
    return {"id": event_id, "type": "userstate", "state": state, "start": start, "end": end,
            "projectId": project, "userId": user}


def lines(*items: dict[str, Any] | str) -> bytes:
    return "".join((i if isinstance(i, str) else json.dumps(i)) + "\n" for i in items).encode()


GOOD_EVENTS = lines(
    event("e-1", "2020-06-15T10:00:00Z", "2020-06-15T10:05:00Z"),
    event("e-2", "2020-06-15T11:00:00Z", "2020-06-15T11:01:00Z", state="break"),
)


@pytest.fixture(scope="module")
def accounts() -> list[tuple[str, str, str]]:
    return [(CUSTOMER, ZONE, PASSWORD)]


@pytest.fixture(scope="module")
def readonly_keys() -> dict[str, str]:
    return {CUSTOMER: READONLY_PASSWORD}


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, auth=(CUSTOMER, PASSWORD), timeout=30) as opened:
        stored = opened.post("/v2/events", content=GOOD_EVENTS, headers=NDJSON)
        assert stored.status_code == 200, stored.text
        yield opened


@pytest.fixture(scope="module")
def readonly(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, auth=(CUSTOMER, READONLY_PASSWORD),
                      timeout=30) as opened:
        yield opened


@pytest.fixture(scope="module")
def anonymous(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30) as opened:
        yield opened


@pytest.fixture(scope="module")
def small(launch: Callable[[Sequence[tuple[str, str, str]], dict[str, str], Sequence[str]], str]
          ) -> Iterator[httpx.Client]:
    """A client of a second server whose body limit is `SMALL_LIMIT` bytes."""
    url = launch([(CUSTOMER, ZONE, PASSWORD)], {}, ["--max-body-bytes", str(SMALL_LIMIT)])
    with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=30) as opened:
        yield opened


def errors_of(response: httpx.Response, status: int) -> list[dict[str, Any]]:
    """The errors of a failed answer, after checking its status and envelope."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == "application/json"
    document = json.loads(response.content, object_pairs_hook=list)
    assert [key for key, _ in document] == ["response", "errors"]
    body = response.json()
    assert body["response"] is None
    assert isinstance(body["errors"], list)
    assert body["errors"]
    for error in body["errors"]:
        assert list(error) == ["code", "message", "param"]
        assert isinstance(error["code"], str)
        assert error["code"].startswith("error.")
        assert isinstance(error["message"], str)
        assert error["message"]
        assert error["param"] is None or isinstance(error["param"], str)
    errors: list[dict[str, Any]] = body["errors"]
    return errors


def codes(errors: list[dict[str, Any]]) -> set[str]:
    return {error["code"] for error in errors}


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# 401 ----------------------------------------------------------------------------------

UNAUTHORIZED_HEADERS = {
    "no credentials": {},
    "wrong key": {"Authorization": basic(CUSTOMER, "not-the-key")},
    "empty key": {"Authorization": basic(CUSTOMER, "")},
    "unknown customer": {"Authorization": basic("nobody", PASSWORD)},
    "read-only key of another name": {"Authorization": basic("nobody", READONLY_PASSWORD)},
    "not base64": {"Authorization": "Basic !!!not-base64!!!"},
    "no colon": {"Authorization": "Basic " + base64.b64encode(b"mycc").decode()},
    "not utf-8": {"Authorization": "Basic " + base64.b64encode(b"mycc:\xff\xfe").decode()},
    "bearer scheme": {"Authorization": f"Bearer {PASSWORD}"},
    "scheme only": {"Authorization": "Basic"},
    "unknown customer host": {"Authorization": basic("nobody", PASSWORD),
                              "Host": "nobody.localhost"},
}


@pytest.mark.parametrize("headers", UNAUTHORIZED_HEADERS.values(), ids=UNAUTHORIZED_HEADERS)
@pytest.mark.parametrize("path", [f"{STATS}?{JUNE}&dimensions=user", "/v2/projects",
                                  "/v2/statistics/fields"])
def test_401_without_valid_credentials(anonymous: httpx.Client, headers: dict[str, str],
                                       path: str) -> None:
    response = anonymous.get(path, headers=headers)
    errors = errors_of(response, 401)
    assert codes(errors) == {"error.unauthorized"}
    assert response.headers["www-authenticate"] == REALM


def test_401_on_writes_stores_nothing(anonymous: httpx.Client, client: httpx.Client) -> None:
    before = client.get(f"{STATS}?{JUNE}&dimensions=user")
    response = anonymous.post("/v2/events", headers={**NDJSON, "Authorization": basic(
        CUSTOMER, "wrong")}, content=lines(event("x-1", "2020-06-16T10:00:00Z",
                                                  "2020-06-16T10:05:00Z")))
    assert codes(errors_of(response, 401)) == {"error.unauthorized"}
    assert response.headers["www-authenticate"] == REALM
    assert client.get(f"{STATS}?{JUNE}&dimensions=user").content == before.content


# 403 ----------------------------------------------------------------------------------

FORBIDDEN = [
    ("POST", "/v2/events", GOOD_EVENTS.replace(b"e-", b"ro-")),
    ("POST", "/v2/projects", b'{"projectid": 77, "name": "Not allowed"}'),
    ("PUT", "/v2/users/1", b'{"name": "Renamed"}'),
    ("PUT", "/v2/users/30", b'{"name": "Renamed"}'),
    ("POST", "/v2/users", b'{"userid": 77, "name": "Not allowed"}'),
    ("POST", "/v2/statistics/presets", b'{"name": "p", "fields": ["callOut"]}'),
    ("DELETE", "/v2/events/e-1", b""),
    ("DELETE", "/v2/statistics/presets/1", b""),
]


@pytest.mark.parametrize(("method", "path", "body"), FORBIDDEN,
                         ids=[f"{m} {p}" for m, p, _ in FORBIDDEN])
def test_403_for_a_key_lacking_the_scope(readonly: httpx.Client, client: httpx.Client,
                                         method: str, path: str, body: bytes) -> None:
    state = [client.get(p).content for p in ("/v2/projects", "/v2/users",
                                               "/v2/statistics/presets",
                                               f"{STATS}?{JUNE}&dimensions=user")]
    response = readonly.request(method, path, content=body,
                                headers={"Content-Type": "application/json"})
    errors = errors_of(response, 403)
    assert codes(errors) == {"error.forbidden"}
    assert state == [client.get(p).content for p in ("/v2/projects", "/v2/users",
                                                      "/v2/statistics/presets",
                                                      f"{STATS}?{JUNE}&dimensions=user")]


@pytest.mark.parametrize("path", [f"{STATS}?{JUNE}&dimensions=user", "/v2/statistics/fields",
                                  "/v2/statistics/presets", "/v2/projects", "/v2/users"])
def test_the_read_only_key_may_read(readonly: httpx.Client, path: str) -> None:
    response = readonly.get(path)
    assert response.status_code == 200, response.text
    assert response.json()["errors"] == []


# 404 and 405 --------------------------------------------------------------------------

NOT_FOUND = [
    ("GET", "/v2/nothing-here", None),
    ("GET", "/v3/statistics/userbased", None),
    ("GET", "/dashboard/no-such-file.js", None),
    ("PUT", "/v2/projects/999", b'{"name": "x"}'),
    ("PUT", "/v2/projects/abc", b'{"name": "x"}'),
    ("PUT", "/v2/users/999", b'{"name": "x"}'),
    ("DELETE", "/v2/events/no-such-event", None),
    ("DELETE", "/v2/statistics/presets/999", None),
    ("DELETE", "/v2/statistics/presets/abc", None),
    # a superscript one: str.isdigit accepts it, int refuses it
    ("DELETE", "/v2/statistics/presets/%C2%B9", None),
    ("PUT", "/v2/users/%C2%B9", b'{"name": "x"}'),
    ("DELETE", "/v2/statistics/presets/%D9%A1", None),  # an Arabic-Indic one
]


@pytest.mark.parametrize(("method", "path", "body"), NOT_FOUND,
                         ids=[f"{m} {p}" for m, p, _ in NOT_FOUND])
def test_404_for_unknown_routes_and_ids(client: httpx.Client, method: str, path: str,
                                        body: bytes | None) -> None:
    response = client.request(method, path, content=body)
    assert codes(errors_of(response, 404)) == {"error.not_found"}


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("DELETE", STATS, "GET, HEAD"), ("POST", STATS, "GET, HEAD"),
    ("PATCH", "/v2/projects", "GET, HEAD, POST"), ("DELETE", "/v2/users", "GET, HEAD, POST"),
    ("GET", "/v2/events", "POST"), ("PUT", "/v2/statistics/fields", "GET, HEAD"),
    ("POST", "/health", "GET, HEAD"),
])
def test_405_for_a_wrong_method(client: httpx.Client, method: str, path: str,
                                allowed: str) -> None:
    """With the ``Allow`` header that a 405 must carry (RFC 9110, 15.5.6)."""
    response = client.request(method, path)
    assert codes(errors_of(response, 405)) == {"error.method_not_allowed"}
    assert response.headers["allow"] == allowed


@pytest.mark.parametrize("path", [
    "/health", f"{STATS}?{JUNE}&dimensions=user", f"{STATS}?{JUNE}&dimensions=user&of=csv",
    "/v2/statistics/fields", "/v2/projects", "/v2/access", "/openapi.json", "/metrics", "/",
    "/dashboard/js/main.js",
])
def test_head_answers_like_get_without_a_body(client: httpx.Client, path: str) -> None:
    """HEAD is GET without the body (RFC 9110, 9.3.2): same status, type and length."""
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == got.status_code == 200, head.text
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    if path != "/metrics":  # (its counts grow with each request)
        assert head.headers["content-length"] == str(len(got.content))


def test_head_where_get_is_not_allowed_is_405(client: httpx.Client) -> None:
    response = client.head("/v2/events")
    assert response.status_code == 405 and response.headers["allow"] == "POST"


def test_head_is_counted_as_head_on_its_route(client: httpx.Client) -> None:
    assert client.head("/health").status_code == 200
    assert ('ccstats_requests_total{method="HEAD",route="/health",status="200"}'
            in client.get("/metrics").text)


# 413 ----------------------------------------------------------------------------------

def test_413_when_the_declared_body_is_over_the_limit(small: httpx.Client) -> None:
    many = lines(*(event(f"big-{i}", "2020-06-15T10:00:00Z", "2020-06-15T10:05:00Z")
                   for i in range(20)))
    assert len(many) > SMALL_LIMIT
    errors = errors_of(small.post("/v2/events", content=many, headers=NDJSON), 413)
    assert codes(errors) == {"error.too_large"}
    response = small.get(f"{STATS}?{JUNE}&dimensions=user")
    assert response.json() == {"response": [], "errors": []}


def test_413_when_a_chunked_body_grows_over_the_limit(small: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        for i in range(20):
            yield lines(event(f"chunk-{i}", "2020-06-15T10:00:00Z", "2020-06-15T10:05:00Z"))

    response = small.post("/v2/events", content=chunks(), headers=NDJSON)
    assert codes(errors_of(response, 413)) == {"error.too_large"}


def raw_post(url: str, headers: dict[str, str], sent: bytes) -> bytes:
    """Send a POST head and only `sent` of its body, keep the connection open, and read
    the status line the server answers with (it must answer without the rest)."""
    address = httpx.URL(url)
    assert address.host and address.port
    head = "".join(f"{name}: {value}\r\n" for name, value in {
        "Host": f"{address.host}:{address.port}",
        "Authorization": basic(CUSTOMER, PASSWORD),
        "Content-Type": "application/x-ndjson", **headers}.items())
    with socket.create_connection((address.host, address.port), timeout=60) as connection:
        connection.sendall(f"POST /v2/events HTTP/1.1\r\n{head}\r\n".encode() + sent)
        answer = connection.makefile("rb").readline()
    return answer


def test_413_before_the_declared_body_is_read(small: httpx.Client) -> None:
    """A declared length of 10 GB is refused at once: the server does not wait for it."""
    sent = lines(event("declared-1", "2020-06-15T10:00:00Z", "2020-06-15T10:05:00Z"))
    status = raw_post(str(small.base_url), {"Content-Length": str(10**10)}, sent)
    assert status.startswith(b"HTTP/1.1 413 "), status
    assert small.delete("/v2/events/declared-1").status_code == 404


def test_413_before_a_chunked_body_is_read_whole(small: httpx.Client) -> None:
    """Chunks past the limit are refused without waiting for the body's end."""
    chunk = lines(*(event(f"open-{i}", "2020-06-15T10:00:00Z", "2020-06-15T10:05:00Z")
                    for i in range(20)))
    assert len(chunk) > SMALL_LIMIT
    sent = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"  # no terminating 0-chunk
    status = raw_post(str(small.base_url), {"Transfer-Encoding": "chunked"}, sent)
    assert status.startswith(b"HTTP/1.1 413 "), status
    assert small.delete("/v2/events/open-0").status_code == 404


def test_413_for_other_bodies_too(small: httpx.Client) -> None:
    body = json.dumps({"projectid": 5, "name": "x" * (SMALL_LIMIT + 1)}).encode()
    assert codes(errors_of(small.post("/v2/projects", content=body), 413)) == {
        "error.too_large"}


def test_a_body_under_the_limit_is_accepted(small: httpx.Client) -> None:
    body = lines(event("fits-1", "2020-06-15T10:00:00Z", "2020-06-15T10:05:00Z"))
    assert len(body) < SMALL_LIMIT
    response = small.post("/v2/events", content=body, headers=NDJSON)
    assert response.status_code == 200, response.text
    assert response.json() == {"response": {"stored": 1}, "errors": []}


# 408 ----------------------------------------------------------------------------------

STALL_SECONDS = 2


@pytest.fixture(scope="module")
def stalling(launch: Callable[[Sequence[tuple[str, str, str]], dict[str, str], Sequence[str]],
                              str]) -> str:
    """A server that waits `STALL_SECONDS` for the next piece of a body."""
    return launch([(CUSTOMER, ZONE, PASSWORD)], {}, ["--body-timeout", str(STALL_SECONDS)])


def upload(url: str, body: bytes, pieces: Sequence[bytes], pause: float) -> bytes:
    """POST events declaring `body`'s length, sending `pieces` of it `pause` seconds apart,
    then wait for the answer (status line, head and body) until the server closes."""
    address = httpx.URL(url)
    assert address.host and address.port
    with socket.create_connection((address.host, address.port), timeout=60) as connection:
        connection.sendall(
            f"POST /v2/events HTTP/1.1\r\nHost: {address.host}:{address.port}\r\n"
            f"Authorization: {basic(CUSTOMER, PASSWORD)}\r\nConnection: close\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode())
        for piece in pieces:
            connection.sendall(piece)
            time.sleep(pause)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_408_for_a_stalled_body_and_nothing_is_stored(stalling: str) -> None:
    body = lines(*(event(f"stall-{i}", "2020-06-15T10:00:00Z", "2020-06-15T10:05:00Z")
                   for i in range(5)))
    answer = upload(stalling, body, [body[:100]], 0)  # the rest never comes
    head, _, content = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), answer
    assert b"content-type: application/json" in head.lower()
    assert json.loads(content) == {"response": None, "errors": [{
        "code": "error.timeout", "param": "body",
        "message": f"the body stalled: nothing of it arrived for {STALL_SECONDS} s; send it "
                   "without pauses"}]}
    with httpx.Client(base_url=stalling, auth=(CUSTOMER, PASSWORD), timeout=30) as client:
        assert client.delete("/v2/events/stall-0").status_code == 404


def test_a_slow_body_that_keeps_coming_is_read(stalling: str) -> None:
    """The timeout is for a pause, not for the whole upload (which takes longer here)."""
    body = lines(*(event(f"slow-{i}", "2020-06-15T10:00:00Z", "2020-06-15T10:05:00Z")
                   for i in range(12)))
    pieces = [body[i:i + len(body) // 12 + 1] for i in range(0, len(body), len(body) // 12 + 1)]
    pause = STALL_SECONDS / 8
    assert pause * len(pieces) > STALL_SECONDS
    answer = upload(stalling, body, pieces, pause)
    assert answer.startswith(b"HTTP/1.1 200 "), answer
    assert answer.endswith(b'{"response":{"stored":12},"errors":[]}'), answer


# Content-Encoding: gzip, 413 after inflating, 415 ----------------------------------------

GZIP = {**NDJSON, "Content-Encoding": "gzip"}


def test_a_gzip_body_is_inflated(client: httpx.Client) -> None:
    body = lines(event("gz-1", "2020-06-16T10:00:00Z", "2020-06-16T10:05:00Z"),
                 event("gz-2", "2020-06-16T11:00:00Z", "2020-06-16T11:01:00Z"))
    response = client.post("/v2/events", content=gzip.compress(body), headers=GZIP)
    assert response.json() == {"response": {"stored": 2}, "errors": []}
    project = json.dumps({"projectid": 61, "name": "Gzipped"}).encode()
    created = client.post("/v2/projects", content=gzip.compress(project),
                          headers={"Content-Encoding": "x-gzip"})
    assert created.json()["response"] == {"projectid": 61, "name": "Gzipped",
                                          "status": "active"}
    assert client.delete("/v2/events/gz-1").json()["response"] is True


def test_a_gzip_body_of_several_members_is_inflated_whole(client: httpx.Client) -> None:
    first = lines(event("gzm-1", "2020-06-16T10:00:00Z", "2020-06-16T10:05:00Z"))
    second = lines(event("gzm-2", "2020-06-16T11:00:00Z", "2020-06-16T11:01:00Z"))
    response = client.post("/v2/events", content=gzip.compress(first) + gzip.compress(second),
                           headers=GZIP)
    assert response.json() == {"response": {"stored": 2}, "errors": []}


def test_413_when_a_gzip_body_inflates_over_the_limit(small: httpx.Client) -> None:
    """The limit holds for the inflated body: a small bomb is refused, not inflated."""
    one = lines(event("bomb-1", "2020-06-15T10:00:00Z", "2020-06-15T10:05:00Z"))
    bomb = gzip.compress(one + b"\n" * (100 * SMALL_LIMIT))
    assert len(bomb) < SMALL_LIMIT
    errors = errors_of(small.post("/v2/events", content=bomb, headers=GZIP), 413)
    assert codes(errors) == {"error.too_large"}
    assert small.delete("/v2/events/bomb-1").status_code == 404
    fits = gzip.compress(one.replace(b"bomb-1", b"fits-gz-1"))
    assert small.post("/v2/events", content=fits, headers=GZIP).json()["response"] == {
        "stored": 1}


@pytest.mark.parametrize("encoding", ["br", "deflate", "compress", "gzip, br", "zstd"])
def test_415_for_an_unsupported_content_encoding(client: httpx.Client, encoding: str) -> None:
    body = lines(event("enc-1", "2020-06-16T10:00:00Z", "2020-06-16T10:05:00Z"))
    response = client.post("/v2/events", content=body,
                           headers={**NDJSON, "Content-Encoding": encoding})
    [error] = errors_of(response, 415)
    assert error["code"] == "error.unsupported_encoding"
    assert error["param"] == "Content-Encoding" and "gzip" in error["message"]
    assert client.delete("/v2/events/enc-1").status_code == 404


@pytest.mark.parametrize("body", [b"not gzip at all", gzip.compress(GOOD_EVENTS)[:-9], b""],
                         ids=["not gzip", "cut short", "empty"])
def test_417_for_a_body_that_is_not_the_gzip_it_claims(client: httpx.Client,
                                                       body: bytes) -> None:
    [error] = errors_of(client.post("/v2/events", content=body, headers=GZIP), 417)
    assert error["code"] == "error.wrong_format" and error["param"] == "body"
    assert "gzip" in error["message"]


def test_identity_is_no_encoding(client: httpx.Client) -> None:
    body = lines(event("id-1", "2020-06-16T10:00:00Z", "2020-06-16T10:05:00Z"))
    response = client.post("/v2/events", content=body,
                           headers={**NDJSON, "Content-Encoding": "identity"})
    assert response.json() == {"response": {"stored": 1}, "errors": []}


# requests the server cannot read: 400, 414, 431, 501 -------------------------------------

#: The size of the request line and headers the server reads at most (h11's default).
HEAD_LIMIT = 16 * 1024


def exchange(url: str, request: bytes) -> tuple[bytes, dict[str, str], bytes]:
    """Send raw bytes, read the answer until the server closes: (status line, headers,
    body)."""
    address = httpx.URL(url)
    assert address.host and address.port
    with socket.create_connection((address.host, address.port), timeout=60) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *fields = head.split(b"\r\n")
    headers = {name.decode().lower(): value.decode().strip()
               for name, _, value in (field.partition(b":") for field in fields)}
    return status, headers, body


UNREADABLE = {
    "no request line": (b"GARBAGE\r\n\r\n", 400),
    "a control character in the URL": (b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "no HTTP version": (b"GET /health\r\nHost: x\r\n\r\n", 400),
    "a space in a header name": (b"GET /health HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n",
                                 400),
    "a header without a colon": (b"GET /health HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400),
    "a URL that is too long": (b"GET /v2/" + b"a" * HEAD_LIMIT + b" HTTP/1.1\r\n", 414),
    "headers that are too large": (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: "
                                   + b"a" * HEAD_LIMIT + b"\r\n", 431),
    "a transfer coding other than chunked": (
        b"POST /v2/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
}


@pytest.mark.parametrize(("request_bytes", "status"), UNREADABLE.values(), ids=UNREADABLE)
def test_an_unreadable_request_is_answered_in_the_envelope(server: str, request_bytes: bytes,
                                                           status: int) -> None:
    line, headers, body = exchange(server, request_bytes)
    assert line.startswith(f"HTTP/1.1 {status} ".encode()), (line, body)
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    assert int(headers["content-length"]) == len(body)
    document = json.loads(body, object_pairs_hook=list)
    assert [key for key, _ in document] == ["response", "errors"]
    [error] = json.loads(body)["errors"]
    assert error["code"] == {400: "error.bad_request", 414: "error.uri_too_long",
                             431: "error.headers_too_large", 501: "error.not_implemented"}[status]
    assert error["message"] and error["param"] is None
    assert httpx.get(f"{server}/health", timeout=30).status_code == 200  # still serving


# 417 ----------------------------------------------------------------------------------

def test_417_reports_every_bad_option_together(client: httpx.Client) -> None:
    query = ("from=2020&to=20201301&dimensions=project,shoe&of=xml&projects=abc&users=999"
             "&hide_system_users=maybe&fields=noSuchKpi&preset=x&timezone=Mars/Olympus"
             "&interval=7")
    errors = errors_of(client.get(f"{STATS}?{query}"), 417)
    assert codes(errors) <= {"error.required", "error.wrong_format", "error.bad_arguments"}
    by_param = {error["param"]: error["code"] for error in errors}
    assert by_param == {
        "from": "error.wrong_format",
        "to": "error.wrong_format",
        "dimensions": "error.bad_arguments",
        "of": "error.bad_arguments",
        "projects": "error.wrong_format",
        "users": "error.bad_arguments",
        "hide_system_users": "error.bad_arguments",
        "fields": "error.bad_arguments",
        "preset": "error.wrong_format",
        "timezone": "error.bad_arguments",
        "interval": "error.bad_arguments",
    }


@pytest.mark.parametrize("query", [
    f"{JUNE}&from=20200602&dimensions=user",
    f"{JUNE}&dimensions=user&dimensions=project",
    f"{JUNE}&dimensions=user&of=csv&of=csv",
    f"{JUNE}&dimensions=user&projects=2&projects=3",
    f"{JUNE}&dimensions=user&timezone=UTC&timezone=",
])
def test_417_for_a_repeated_option(client: httpx.Client, query: str) -> None:
    """A repeated option is refused, not read as its last value; unknown ones stay ignored."""
    repeated = next(name for name in ("from", "dimensions", "of", "projects", "timezone")
                    if query.count(f"{name}=") == 2)
    errors = errors_of(client.get(f"{STATS}?{query}&unknown=1&unknown=2"), 417)
    assert [(e["code"], e["param"]) for e in errors] == [("error.bad_arguments", repeated)]
    assert "once" in errors[0]["message"]


def test_a_repeated_option_is_reported_with_the_other_problems(client: httpx.Client) -> None:
    errors = errors_of(client.get(f"{STATS}?from=20200601&from=20200602&to=2020"), 417)
    assert {(e["code"], e["param"]) for e in errors} == {
        ("error.bad_arguments", "from"), ("error.wrong_format", "to"),
        ("error.required", "dimensions")}


def test_417_names_every_missing_required_option(client: httpx.Client) -> None:
    errors = errors_of(client.get(STATS), 417)
    assert {(e["code"], e["param"]) for e in errors} == {
        ("error.required", "from"), ("error.required", "to"), ("error.required", "dimensions")}


@pytest.mark.parametrize(("query", "param", "code"), [
    ("from=20200631&to=20200701&dimensions=user", "from", "error.wrong_format"),
    ("from=20200701&to=20200601&dimensions=user", "to", "error.bad_arguments"),
    ("from=20200101&to=20210102&dimensions=user", "to", "error.bad_arguments"),
    (f"{JUNE}&dimensions=user,user", "dimensions", "error.bad_arguments"),
    (f"{JUNE}&dimensions=", "dimensions", "error.required"),
    (f"{JUNE}&dimensions=user&projects=3,999", "projects", "error.bad_arguments"),
    (f"{JUNE}&dimensions=user&preset=999", "preset", "error.bad_arguments"),
])
def test_417_for_one_bad_option(client: httpx.Client, query: str, param: str,
                                code: str) -> None:
    errors = errors_of(client.get(f"{STATS}?{query}"), 417)
    assert [(e["code"], e["param"]) for e in errors] == [(code, param)]


def test_417_for_a_batch_with_invalid_lines_stores_nothing(client: httpx.Client) -> None:
    path = f"{STATS}?{JUNE}&dimensions=project,user,date,time"
    before = client.get(path)
    assert before.status_code == 200
    batch = lines(
        event("batch-1", "2020-06-20T10:00:00Z", "2020-06-20T10:05:00Z"),
        {k: v for k, v in event("batch-2", "2020-06-20T10:00:00Z", "x").items()
         if k != "end"},
        event("batch-3", "2020-06-20T11:00:00Z", "2020-06-20T11:05:00Z"),
        event("batch-4", "2020-06-20T12:00:00Z", "2020-06-20T12:05:00Z", state="dancing"),
        event("batch-5", "2020-06-20T13:00:00", "2020-06-20T13:05:00Z"),
        "{not json",
    )
    errors = errors_of(client.post("/v2/events", content=batch, headers=NDJSON), 417)
    params = [error["param"] for error in errors]
    assert params[:3] == ["line 2: end", "line 4: state", "line 5: start"]
    assert len(params) == 4
    assert params[3].startswith("line 6")
    assert codes(errors) <= {"error.required", "error.wrong_format", "error.bad_arguments"}
    assert client.get(path).content == before.content
    assert client.delete("/v2/events/batch-1").status_code == 404


def test_417_for_an_empty_batch(client: httpx.Client) -> None:
    """A body of nothing but white space, a byte-order mark before it or not, holds no batch."""
    for body in (b"", b"\n  \n", b"\xef\xbb\xbf", b"\xef\xbb\xbf \n"):
        errors = errors_of(client.post("/v2/events", content=body, headers=NDJSON), 417)
        assert [e["param"] for e in errors] == ["body"]


def test_417_caps_the_errors_of_a_batch_at_100(client: httpx.Client) -> None:
    """One error per bad line (api.md), at most 100 of them."""
    batch = b"{}\n" * 150
    errors = errors_of(client.post("/v2/events", content=batch, headers=NDJSON), 417)
    assert len(errors) == 100
    assert [int(e["param"].removeprefix("line ").split(":")[0]) for e in errors] == list(
        range(1, 101))


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"null", b"\xff\xfe"])
@pytest.mark.parametrize("path", ["/v2/projects", "/v2/users", "/v2/statistics/presets"])
def test_417_for_a_body_that_is_no_json_object(client: httpx.Client, path: str,
                                               body: bytes) -> None:
    errors = errors_of(client.post(path, content=body,
                                   headers={"Content-Type": "application/json"}), 417)
    assert [(e["code"], e["param"]) for e in errors] == [("error.wrong_format", "body")]


@pytest.mark.parametrize(("path", "body", "expected"), [
    ("/v2/projects", {}, {("error.required", "projectid"), ("error.required", "name")}),
    ("/v2/projects", {"projectid": "7", "name": "", "status": "paused"},
     {("error.wrong_format", "projectid"), ("error.wrong_format", "name"),
      ("error.bad_arguments", "status")}),
    ("/v2/users", {}, {("error.required", "userid"), ("error.required", "name")}),
    ("/v2/users", {"userid": 0, "name": 5, "kind": "robot"},
     {("error.wrong_format", "userid"), ("error.wrong_format", "name"),
      ("error.bad_arguments", "kind")}),
    ("/v2/statistics/presets", {}, {("error.required", "name"), ("error.required", "fields")}),
    ("/v2/statistics/presets", {"name": "p", "fields": []}, {("error.wrong_format", "fields")}),
    ("/v2/statistics/presets", {"name": "p", "fields": ["noSuchKpi"]},
     {("error.bad_arguments", "fields")}),
])
def test_417_for_missing_or_invalid_members(client: httpx.Client, path: str,
                                            body: dict[str, Any],
                                            expected: set[tuple[str, str]]) -> None:
    errors = errors_of(client.post(path, json=body), 417)
    assert {(e["code"], e["param"]) for e in errors} == expected


def test_417_for_an_invalid_put_body(client: httpx.Client) -> None:
    errors = errors_of(client.put("/v2/users/30", json={"status": "asleep", "name": ""}), 417)
    assert {(e["code"], e["param"]) for e in errors} == {
        ("error.bad_arguments", "status"), ("error.wrong_format", "name")}
    user = next(u for u in client.get("/v2/users").json()["response"] if u["userid"] == 30)
    assert user == {"userid": 30, "name": "User 30", "kind": "agent", "status": "active"}


# nothing a client sends gives 500 ------------------------------------------------------

HOSTILE = [
    "1; DROP TABLE events; --",
    "' OR '1'='1",
    "1) OR (1=1",
    "\x00",
    "20200601\x00",
    "9" * 400,
    "-1",
    "1e309",
    "NaN",
    "18446744073709551616",
    "00000000",
    "00010101",
    "99991231",
    "ΑΒΓ日本語🙂",
    "\u202e\ufeff",
    "%00%ff",
    "${jndi:ldap://x}",
    "../../../../etc/passwd",
    ",,,",
    " , ",
    "x" * 3000,
]
OPTIONS = ["from", "to", "dimensions", "of", "projects", "users", "hide_system_users",
           "fields", "preset", "timezone", "interval"]
VALID = {"from": "20200601", "to": "20200630", "dimensions": "project,user,date,time"}


def assert_no_500(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        assert set(body) == {"response", "errors"}


@pytest.mark.parametrize("option", OPTIONS)
def test_hostile_query_options_never_give_500(client: httpx.Client, option: str) -> None:
    for value in HOSTILE:
        response = client.get(STATS, params={**VALID, option: value})
        assert_no_500(response)
        if response.status_code != 200:
            errors = errors_of(response, 417)
            named = {e["param"] for e in errors}
            assert option in named or (option == "from" and named == {"to"}), (value, errors)


@pytest.mark.parametrize(("first", "last", "zone"), [
    ("00010101", "00010101", None), ("99991231", "99991231", None),
    ("00010101", "00011231", "Pacific/Kiritimati"), ("99990101", "99991231", "Pacific/Niue"),
])
def test_extreme_dates_never_give_500(server: str, first: str, last: str,
                                      zone: str | None) -> None:
    """Years 1 and 9999 are real calendar dates: an empty answer (or a 417), never a 500.

    (A connection of its own: after a 500 the server drops the kept-alive connection.)
    """
    params = {"from": first, "to": last, "dimensions": "date,time", "interval": "15"}
    response = httpx.get(server + STATS, params={**params, "timezone": zone} if zone else params,
                         auth=(CUSTOMER, PASSWORD), timeout=30)
    assert_no_500(response)


HOSTILE_VALUES: list[object] = [
    *HOSTILE, 10**30, -(10**30), 1e308, -1e308, 0, True, None, [], {}, [1], {"a": 1},
    "2020-06-15T10:00:00+99:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
    1e18, -1e18, 253402300800, -62135596801,
]


def bad_lines(errors: list[dict[str, Any]]) -> set[int]:
    """The line (or array element) numbers named by the errors of a rejected batch."""
    numbers = set()
    for error in errors:
        unit, _, number = error["param"].split(":")[0].partition(" ")
        assert unit in ("line", "element"), error
        numbers.add(int(number))
    return numbers


@pytest.mark.parametrize("member", ["id", "type", "state", "start", "end", "projectId",
                                    "userId"])
def test_hostile_event_members_never_give_500(client: httpx.Client, member: str) -> None:
    """One batch with every hostile value of `member`, then the lines it accepted alone."""
    batch = [{**event(f"hostile-{member}-{n}", "2020-05-15T10:00:00Z", "2020-05-15T10:05:00Z"),
              member: value} for n, value in enumerate(HOSTILE_VALUES)]
    response = client.post("/v2/events", json=batch)
    assert_no_500(response)
    assert response.status_code == 417, response.text
    rejected = bad_lines(errors_of(response, 417))
    assert max(rejected) <= len(batch)
    accepted = [item for n, item in enumerate(batch, 1) if n not in rejected]
    if accepted:
        response = client.post("/v2/events", json=accepted)
        assert_no_500(response)
        assert response.json() == {"response": {"stored": len(accepted)}, "errors": []}
        for item in accepted:
            if isinstance(item["id"], str) and "/" not in item["id"]:
                client.delete(f"/v2/events/{item['id']}")


def test_hostile_batches_never_give_500(client: httpx.Client) -> None:
    bodies = [b"\x00", b"\xff\xfe\xfd", b"[", b"]", b"[]", b"[null]", b"[[]]", b"{}",
              b'{"id": "a\\u0000b"}', b"1e999999", b"[" * 5000, b'{"a":' * 5000,
              b"\n".join([b"{}"] * 3000), b"\r\n\r\n{}\r\n", "ΑΒΓ\n".encode(),
              b'[{"id": "x", "type": "chat", "start": 1, "end": 2, "projectId": 1, '
              b'"userId": 1}, 5]']
    for body in bodies:
        assert_no_500(client.post("/v2/events", content=body, headers=NDJSON))
    for content_type in ("application/json", "text/plain", "application/octet-stream"):
        assert_no_500(client.post("/v2/events", content=bodies[-1],
                                  headers={"Content-Type": content_type}))


@pytest.mark.parametrize("path", ["/v2/projects", "/v2/users", "/v2/statistics/presets"])
def test_hostile_metadata_bodies_never_give_500(client: httpx.Client, path: str) -> None:
    members = {"/v2/projects": ("projectid", "name", "status"),
               "/v2/users": ("userid", "name", "kind", "status"),
               "/v2/statistics/presets": ("name", "fields")}[path]
    for member in members:
        for value in [*HOSTILE_VALUES, "a\x00b", ["callOut", "\x00"], ["callOut"] * 1000]:
            body = {"projectid": 40, "userid": 40, "name": "n", "fields": ["callOut"],
                    member: value}
            assert_no_500(client.post(path, json=body))
            target = path.replace("/v2/statistics/presets", "/v2/projects") + "/3"
            assert_no_500(client.put(target, json={member: value}))
    listed = client.get(path)
    assert listed.status_code == 200, listed.text
    assert listed.json()["errors"] == []


@pytest.mark.parametrize("segment", ["%00", "%ff", "1%20OR%201=1", "9" * 40, "-1", "0",
                                     "%E6%97%A5", "..%2F..%2Fetc", "1.5", "1e3", "x" * 2000])
def test_hostile_path_ids_never_give_500(client: httpx.Client, segment: str) -> None:
    for method, prefix in [("PUT", "/v2/projects/"), ("PUT", "/v2/users/"),
                           ("DELETE", "/v2/events/"), ("DELETE", "/v2/statistics/presets/")]:
        response = client.request(method, prefix + segment, json={"name": "n"})
        assert_no_500(response)
        # "-1", "0", "1.5" and "1e3" are well-formed event ids: deleting one may succeed
        allowed = {200, 404} if prefix == "/v2/events/" else {404, 417}
        assert response.status_code in allowed, (method, segment, response.text)


@pytest.mark.parametrize("host", ["", "localhost", "mycc.localhost:1:2", "[::1]", "%00",
                                  "a" * 300 + ".localhost", "MYCC.LOCALHOST", ".localhost",
                                  "mycc..localhost", "日本.localhost"])
def test_hostile_host_headers_never_give_500(server: str, host: str) -> None:
    """(Non-ASCII is sent as raw UTF-8 bytes.)"""
    response = httpx.get(f"{server}/v2/projects", auth=(CUSTOMER, PASSWORD),
                         headers={b"Host": host.encode()}, timeout=30)
    assert_no_500(response)
