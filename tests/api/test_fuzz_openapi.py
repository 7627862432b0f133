"""Fuzzing every operation of our own `/openapi.json` with schemathesis, over real HTTP.

For each operation the server publishes, schemathesis generates requests from the
documented parameters and bodies (events included): positive cases that follow the
schema and negative ones that break it. Into a share of them a hostile value (SQL,
paths, unicode, NUL, huge numbers, very long strings) is planted in one query
option, path id or body member (for event batches: a member of one event). Every
answer must

- not be a 5xx,
- have a status the operation documents, with a documented content type,
- conform to the schema documented for that status, and
- if JSON, be exactly the envelope ``{"response", "errors"}`` in that order:
  ``errors == []`` on 200, ``response is null`` with at least one error otherwise.

Every operation must also reach its logic, not only the checks in front of it
(credentials, rates, unknown ids): each answers 200 at least once. The server runs
without rate limits, and the ids that path parameters need come from the answers
of earlier cases, as the document's OpenAPI links say (`Links`): the operations
that create run first.

At least `MIN_CASES` cases run in all (``CCSTATS_FUZZ_EXAMPLES`` sets the examples
per operation and mode, default `EXAMPLES`); every answer is checked, every failure
fails the test with the case that caused it (shrunk by Hypothesis).
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import requests
import schemathesis
import schemathesis.checks
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.schemas import OpenApiSchema

from api.conftest import Account, Launcher
from backends import ON_CLICKHOUSE

CUSTOMER, ZONE, PASSWORD = "fuzz", "Europe/Budapest", "fuzz-pass"
#: The DuckDB run fuzzes at full strength; the ClickHouse runs check the store's side of
#: the same operations with fewer cases, to keep CI short.
EXAMPLES = int(os.environ.get("CCSTATS_FUZZ_EXAMPLES", "12" if ON_CLICKHOUSE else "70"))
#: A rejected batch costs the validator's thorough pass; fewer of them keep the test short,
#: but at least 12, so that some batch sent as an array is stored and gives the deletions
#: an id that exists (with 6, on ClickHouse, now and then none was).
EXAMPLES_OF = {"POST /v2/events": max(EXAMPLES // 2, 12)}
MIN_CASES = 100 if ON_CLICKHOUSE else 2000
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]

HOSTILE: list[Any] = [
    "1; DROP TABLE events; --", "' OR '1'='1", "\") OR 1=1 --", "%' UNION SELECT 1 --",
    "../../../../etc/passwd", "..\\..\\windows", "/v2/events/../../health", "%2e%2e%2f",
    "日本語", "ΑΒΓ🙂", "\u202e\ufeff\u200b", "e\u0301", "\ud7ff\ue000",
    "\x00", "a\x00b", "20200601\x00", "\x7f\x1b[31m",
    "1" + "0" * 30, "-" + "9" * 40, "1e309", "NaN", "-Infinity",
    10**30, -(10**30), 2**64, 1e308, -0.0,
    "x" * 5000, "," * 2000, "20200601," * 300,
    None, True, [], [1, "a"], {"$ne": 1},
]

STATS = "GET /v2/statistics/userbased"
INBOUND = "GET /v2/statistics/inbound"
KPIS = "GET /v2/statistics/kpis"
EVENTS = "POST /v2/events"
REALTIME = ("GET /v2/onlineusers", "GET /v2/realtime/queues")
ACCESS = "PUT /v2/access"
#: Allowed networks that keep the fuzzing client (127.0.0.1) in.
NETWORKS: list[Any] = [[], ["127.0.0.0/8"], ["127.0.0.1", "2001:db8::/32"]]
DIMENSIONS = ["project", "user", "date", "time"]
QUEUE_DIMENSIONS = ["project", "queue", "date", "time"]
JUNE_2020 = 1_590_969_600
#: Values of the statistics options that name what exists.
KNOWN = {"projects": ["2"], "users": ["17", "17,4242"],
         "fields": ["userstateAvailable,callOut", "dispositionStatusRecall", "chatHandled"],
         "timezone": ["UTC", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe"]}
#: Values of the inbound options that name what exists (the queues option is left out:
#: no queue is registered before the fuzzing creates some).
KNOWN_INBOUND = {"fields": ["offered,answered", "answeredWithinSla,answerWait"],
                 "manual_sla": ["1", "30", "3600"]}
#: KPI lists of one source, with the dimensions of that source.
KPI_LISTS = [("aht,occupancy", DIMENSIONS), ("callOutReachRate", DIMENSIONS),
             ("serviceLevel,asa", QUEUE_DIMENSIONS), ("abandonmentRate", QUEUE_DIMENSIONS)]
#: Date ranges with records (the seed events) or around them.
RANGES = [("20200601", "20200630"), ("20200615", "20200615"), ("20200101", "20201231"),
          ("20200614", "20200616")]


def plant(value: Any, data: st.DataObject, case: Case[Any]) -> None:
    """Put `value` into one documented query option, path id or body member of `case`."""
    options = sorted(parameter.name for parameter in case.operation.query)
    places: list[str] = []
    if options and case.query is not None:
        places.append("query")
    if case.path_parameters:
        places.append("path")
    if isinstance(case.body, dict) and case.body:
        places.append("object")
    if isinstance(case.body, list) and any(isinstance(item, dict) and item
                                           for item in case.body):
        places.append("list")
    if not places:
        return
    place = data.draw(st.sampled_from(places), label="hostile place")
    if place == "query":
        assert case.query is not None
        case.query[data.draw(st.sampled_from(options), label="option")] = str(value)
    elif place == "path":
        assert case.path_parameters is not None
        name = data.draw(st.sampled_from(sorted(case.path_parameters)), label="path id")
        case.path_parameters[name] = str(value)
    elif place == "object":
        assert isinstance(case.body, dict)
        case.body[data.draw(st.sampled_from(sorted(case.body)), label="member")] = value
    else:
        assert isinstance(case.body, list)
        events = [item for item in case.body if isinstance(item, dict) and item]
        event = data.draw(st.sampled_from(events), label="event")
        event[data.draw(st.sampled_from(sorted(event)), label="member")] = value


def first_event_only(response: requests.Response, *_: Any, **__: Any) -> requests.Response:
    """Of an event stream (``GET /v2/realtime/stream`` never ends), keep the first event as
    the body and close the connection. A requests response hook: it runs before the
    body is read."""
    if not response.headers.get("content-type", "").startswith("text/event-stream"):
        return response
    received = b""
    while b"\ndata: " not in received or not received.endswith(b"\n\n"):
        chunk = response.raw.read(1, decode_content=True)
        assert chunk, received
        received += chunk
    response.close()  # (before the body counts as read: the connection is not reused)
    response._content = received
    response._content_consumed = True
    return response


def check_envelope(response: schemathesis.Response) -> None:
    """A JSON answer is ``{"response", "errors"}``: errors empty exactly on success."""
    shown = response.content[:500]
    media = response.headers.get("content-type", [""])[0].split(";")[0]
    if media != "application/json":
        assert response.status_code == 200, shown
        return
    document = json.loads(response.content, object_pairs_hook=list)
    assert [key for key, _ in document] == ["response", "errors"], shown
    body = json.loads(response.content)
    if response.status_code == 200:
        assert body["errors"] == [], shown
    else:
        assert body["response"] is None, shown
        assert body["errors"], shown


class Links:
    """Ids that answers made addressable, as the OpenAPI links of the document say.

    After a 200 of a link's source operation, the value its runtime expression
    (``$request.body#/...`` or ``$response.body#/...``) names is kept for the target
    operation's parameter; positive cases of the target then take one of the kept
    values. A DELETE takes each value once (the resource is gone afterwards).
    """

    def __init__(self, document: dict[str, Any]) -> None:
        operations = [(f"{method.upper()} {path}", operation)
                      for path, methods in document["paths"].items()
                      for method, operation in methods.items()]
        label_of = {operation["operationId"]: label for label, operation in operations}
        #: source label -> [(target label, parameter, runtime expression)]
        self.outgoing: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for label, operation in operations:
            for link in operation["responses"].get("200", {}).get("links", {}).values():
                for parameter, expression in link["parameters"].items():
                    self.outgoing[label].append(
                        (label_of[link["operationId"]], parameter, expression))
        self.kept: dict[tuple[str, str], list[str]] = defaultdict(list)

    def first(self, operations: Sequence[APIOperation[Any, Any, Any, Any]]
              ) -> list[APIOperation[Any, Any, Any, Any]]:
        """`operations`, the sources of links first (in their order), then the others."""
        return sorted(operations, key=lambda operation: operation.label not in self.outgoing)

    def record(self, case: Case[Any], response: schemathesis.Response) -> None:
        if response.status_code != 200:
            return
        for target, parameter, expression in self.outgoing.get(case.operation.label, []):
            value = evaluate(expression, case.body, response.json())
            if isinstance(value, str | int) and not isinstance(value, bool):
                self.kept[target, parameter].append(str(value))

    def supply(self, case: Case[Any], data: st.DataObject) -> None:
        for parameter in sorted(case.path_parameters or {}):
            # (drawn whether or not anything is kept, and with fixed bounds: what is kept
            # changes from case to case, and Hypothesis wants the same draws each time)
            index = data.draw(st.integers(0, 255), label=parameter)
            kept = self.kept.get((case.operation.label, parameter))
            if kept:
                assert case.path_parameters is not None
                value = kept[index % len(kept)]
                case.path_parameters[parameter] = value
                if case.method.upper() == "DELETE":
                    kept.remove(value)


def evaluate(expression: str, request_body: Any, response_body: Any) -> Any:
    """The value an OpenAPI runtime expression names, or None if the body lacks it."""
    source, _, pointer = expression.partition("#")
    value = {"$request.body": request_body, "$response.body": response_body}[source]
    for token in pointer.split("/")[1:]:
        step = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and step in value:
            value = value[step]
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value


@pytest.fixture(scope="module")
def accounts() -> list[tuple[str, str, str]]:
    return [(CUSTOMER, ZONE, PASSWORD)]


@pytest.fixture(scope="module")
def server(launch: Launcher, accounts: list[Account]) -> str:
    """Without rate limits: every case must reach the operation, not a 429."""
    return launch(accounts, {}, ["--rate-limit", "0", "--max-failed-logins", "0"])


@pytest.fixture(scope="module")
def session(server: str, seed_dir: Path) -> Iterator[requests.Session]:
    """Authenticated as the customer, whose store holds the seed events (June 2020).

    The session's key is a generated one (``<keyid>.<secret>``): revoking keys and
    changing networks make the server forget verified keys, and a generated key
    costs one slow hash to verify again, however many keys the fuzzing created.
    """
    with requests.Session() as opened:
        opened.auth = (CUSTOMER, PASSWORD)
        created = opened.post(f"{server}/v2/keys", json={"scopes": ["read", "write", "admin"]},
                              timeout=60)
        assert created.status_code == 200, created.text
        opened.auth = (CUSTOMER, created.json()["response"]["key"])
        stored = opened.post(f"{server}/v2/events", timeout=60,
                             data=(seed_dir / "events.ndjson").read_bytes())
        assert stored.status_code == 200, stored.text
        yield opened


@pytest.fixture(scope="module")
def schema(server: str) -> OpenApiSchema:
    """The published description; credentials come from the session, never generated
    (the 401 answers have tests of their own)."""
    loaded = schemathesis.openapi.from_url(f"{server}/openapi.json", timeout=30)
    loaded.config.generation.update(with_security_parameters=False)
    return loaded


def answerable(case: Case[Any], data: st.DataObject, links: Links, always: bool) -> None:
    """Make a positive case one the store can answer with 200: `always`, or else half
    of the time.

    Generated text follows the documented forms but rarely names what exists (the
    seed's project 2 and user 17 in June 2020, a real zone, the ids earlier answers
    created) or holds a consistent interval; these cases then reach the records and
    the store's writes. Allowed networks keep the fuzzing client in.
    """
    if not always and not data.draw(st.booleans(), label="answerable"):
        return
    links.supply(case, data)
    if case.operation.label == ACCESS and isinstance(case.body, dict):
        case.body["networks"] = data.draw(st.sampled_from(NETWORKS), label="networks")
    if case.operation.label in (STATS, INBOUND, KPIS):
        answerable_query(case, data)
    elif case.operation.label in REALTIME:
        answerable_realtime(case, data)
    elif case.operation.label == EVENTS and isinstance(case.body, list):
        for event in case.body:
            assert isinstance(event, dict)
            start = data.draw(st.integers(JUNE_2020, JUNE_2020 + 30 * 86_400), label="start")
            end = start + data.draw(st.integers(0, 7200), label="length")
            event.update({"start": start, "end": end} if "start" in event else {"time": start})
            if event.get("answer") is not None:
                event["answer"] = data.draw(st.integers(start, end), label="answer")
            for member in ("projectId", "userId", "queueId"):
                # (JSON Schema counts 3.0 as an integer; the API wants it written 3)
                if member in event:
                    event[member] = data.draw(st.integers(1, 50), label=member)
            if event.get("type") == "queuecall" and event.get("answer") is None:
                event["userId"] = None


def answerable_query(case: Case[Any], data: st.DataObject) -> None:
    """A statistics query of the seed's dates whose options name what exists."""
    query = case.query = dict(case.query or {})
    query["from"], query["to"] = data.draw(st.sampled_from(RANGES))
    query.pop("preset", None)
    known, dimensions = KNOWN, DIMENSIONS
    if case.operation.label == KPIS:
        query["kpis"], dimensions = data.draw(st.sampled_from(KPI_LISTS), label="kpis")
        query.pop("fields", None)
    if case.operation.label == INBOUND or dimensions is QUEUE_DIMENSIONS:
        known = KNOWN_INBOUND
        query.pop("queues", None)
    drawn = data.draw(st.permutations(dimensions), label="dimensions")
    query["dimensions"] = ",".join(drawn[:data.draw(st.integers(1, 4))])
    for option, values in known.items():
        if option in query:
            query[option] = data.draw(st.sampled_from(values), label=option)
    if dimensions is QUEUE_DIMENSIONS:
        query.pop("users", None)
    else:
        query.pop("manual_sla", None)
        query.pop("queues", None)


def answerable_realtime(case: Case[Any], data: st.DataObject) -> None:
    """A real-time query whose id options name what exists (no queue is registered
    before the fuzzing creates some)."""
    query = case.query = dict(case.query or {})
    query.pop("queues", None)
    for option, values in (*KNOWN.items(), *KNOWN_INBOUND.items()):
        if option in query:
            query[option] = data.draw(st.sampled_from(values), label=option)


def operation_test(operation: APIOperation[Any, Any, Any, Any], mode: GenerationMode,
                   server: str, session: requests.Session, links: Links,
                   statuses: Counter[tuple[str, int]]) -> Callable[[], None]:
    """The Hypothesis test of one operation: generate, call, check every answer."""

    @settings(max_examples=EXAMPLES_OF.get(operation.label, EXAMPLES), deadline=None,
              database=None, phases=[Phase.explicit, Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(mode), data=st.data(),
           hostile=st.none() | st.sampled_from(HOSTILE))
    def run(case: Case[Any], data: st.DataObject, hostile: Any) -> None:
        if mode is GenerationMode.POSITIVE:
            # (a case that no hostile value spoils is always made answerable, so that
            # even the few cases of a short run reach the records and the writes)
            answerable(case, data, links, always=hostile is None)
        if hostile is not None:
            plant(hostile, data, case)
        response = case.call(base_url=server, session=session, timeout=60,
                             hooks={"response": first_event_only})
        case.validate_response(response, checks=CHECKS)
        check_envelope(response)
        links.record(case, response)
        statuses[operation.label, response.status_code] += 1

    return run


def test_every_operation_answers_as_documented(schema: OpenApiSchema, server: str,
                                               session: requests.Session) -> None:
    """Positive and negative cases for every operation (negative ones need something to
    break: operations without parameters or body have only positive ones)."""
    statuses: Counter[tuple[str, int]] = Counter()
    links = Links(session.get(f"{server}/openapi.json", timeout=30).json())
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        for operation in links.first(operations):
            inputs = len(operation.query) + len(operation.path_parameters) + len(operation.body)
            if mode is GenerationMode.POSITIVE or inputs:
                operation_test(operation, mode, server, session, links, statuses)()
    labels = {operation.label for operation in operations}
    assert {label for label, _ in statuses} == labels
    assert sum(statuses.values()) >= MIN_CASES, statuses
    # every operation reached its logic (the records, the store's writes, the ids that
    # exist), not only the refusals in front of it (401, 403, 404, 429)
    print(sorted(statuses.items()))
    assert {label for label, status in statuses if status == 200} == labels, statuses


def test_an_empty_array_is_an_empty_batch_as_documented(schema: OpenApiSchema, server: str,
                                                        session: requests.Session) -> None:
    """``[]`` stores nothing and answers ``{"stored": 0}``; the document allows both."""
    document = session.get(f"{server}/openapi.json", timeout=30).json()
    body = document["paths"]["/v2/events"]["post"]["requestBody"]["content"]
    assert jsonschema_rs.validator_for(body["application/json"]["schema"]).is_valid([])
    case = schema["/v2/events"]["POST"].Case(body=[], media_type="application/json")
    response = case.call(base_url=server, session=session, timeout=60)
    case.validate_response(response, checks=CHECKS)
    assert response.json() == {"response": {"stored": 0}, "errors": []}
