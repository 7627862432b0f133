"""`GET /v2/statistics/userbased` over real HTTP: the seed example, byte for byte.

The module's server holds customer ``mycc`` (Europe/Budapest) with the 32 events
of ``shared/fixtures/seed-example``; the answers must equal ``expected.json``
(values and key order), in JSON, csv and tab, by Basic user name and by host.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

CUSTOMER, ZONE, PASSWORD = "mycc", "Europe/Budapest", "mycc-pass"
DIMENSION_COLUMNS = ("date", "time", "projectId", "userId")
SEED_WRONG_QUERY = ("from=202000106&to=20200106&dimensions=project,user,date,time"
                    "&projects=2&users=17")


@pytest.fixture(scope="module")
def accounts() -> list[tuple[str, str, str]]:
    return [(CUSTOMER, ZONE, PASSWORD)]


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, auth=(CUSTOMER, PASSWORD), timeout=30) as opened:
        yield opened


@pytest.fixture(scope="module")
def stored(client: httpx.Client, seed_dir: Path) -> httpx.Response:
    """The answer to POSTing the seed events (once per module)."""
    return client.post("/v2/events", content=(seed_dir / "events.ndjson").read_bytes(),
                       headers={"Content-Type": "application/x-ndjson"})


@pytest.fixture(scope="module")
def seed_path(seed_dir: Path, stored: httpx.Response) -> str:
    """The path and query of ``request.txt`` (after the events are stored)."""
    assert stored.status_code == 200, stored.text
    request_line = (seed_dir / "request.txt").read_text().strip().splitlines()[0]
    method, target = request_line.split()[:2]
    assert method == "GET"
    return target


@pytest.fixture(scope="module")
def expected(seed_dir: Path) -> bytes:
    return (seed_dir / "expected.json").read_bytes()


def ordered(body: bytes | str) -> Any:
    """The JSON document as nested lists of (key, value) pairs: key order is compared too."""
    return json.loads(body, object_pairs_hook=list)


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def expected_rows(records: list[dict[str, Any]], dimensions: tuple[str, ...]) -> list[list[str]]:
    """The csv/tab rows that the JSON `records` stand for (null is an empty cell)."""
    def cell(value: object) -> str:
        return "" if value is None else str(value)

    rows = []
    for record in records:
        for item in record["data"]:
            rows.append([*(cell(record[column]) for column in dimensions), cell(record["level"]),
                         item["field"], cell(item["count"]), cell(item["sum"])])
    return rows


def test_posting_the_seed_events_stores_32(stored: httpx.Response) -> None:
    assert stored.status_code == 200
    assert media_type(stored) == "application/json"
    assert ordered(stored.content) == [("response", [("stored", 32)]), ("errors", [])]


def test_seed_query_answers_expected_json(client: httpx.Client, seed_path: str,
                                          expected: bytes) -> None:
    response = client.get(seed_path)
    assert response.status_code == 200, response.text
    assert media_type(response) == "application/json"
    assert json.loads(response.content) == json.loads(expected)
    assert ordered(response.content) == ordered(expected)


def test_seed_query_by_host_name(server: str, port: int, seed_path: str,
                                 expected: bytes) -> None:
    response = httpx.get(server + seed_path, auth=(CUSTOMER, PASSWORD),
                         headers={"Host": f"{CUSTOMER}.localhost:{port}"}, timeout=30)
    assert response.status_code == 200, response.text
    assert media_type(response) == "application/json"
    assert ordered(response.content) == ordered(expected)


def test_seed_query_as_csv(client: httpx.Client, seed_path: str, expected: bytes) -> None:
    response = client.get(seed_path + "&of=csv")
    assert response.status_code == 200, response.text
    assert media_type(response) == "text/csv"
    assert "charset=utf-8" in response.headers["content-type"].replace(" ", "").lower()
    text = response.content.decode("utf-8")
    assert text.endswith("\r\n")
    assert text.count("\n") == text.count("\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["date", "time", "projectId", "userId", "level", "field", "count", "sum"]
    records = json.loads(expected)["response"]
    assert rows[1:] == expected_rows(records, DIMENSION_COLUMNS)
    assert len(rows) - 1 == sum(len(record["data"]) for record in records)


def test_seed_query_as_tab(client: httpx.Client, seed_path: str, expected: bytes) -> None:
    response = client.get(seed_path + "&of=tab")
    assert response.status_code == 200, response.text
    assert media_type(response) == "text/tab-separated-values"
    text = response.content.decode("utf-8")
    assert "\r" not in text
    assert text.endswith("\n")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t",
                           quoting=csv.QUOTE_NONE))
    assert rows[0] == ["date", "time", "projectId", "userId", "level", "field", "count", "sum"]
    assert rows[1:] == expected_rows(json.loads(expected)["response"], DIMENSION_COLUMNS)


def test_cvs_is_a_synonym_of_csv(client: httpx.Client, seed_path: str) -> None:
    as_csv = client.get(seed_path + "&of=csv")
    as_cvs = client.get(seed_path + "&of=cvs")
    assert as_csv.status_code == as_cvs.status_code == 200
    assert as_cvs.content == as_csv.content
    assert as_cvs.headers["content-type"] == as_csv.headers["content-type"]


def test_csv_with_fewer_dimensions_has_only_their_columns(client: httpx.Client,
                                                          seed_path: str) -> None:
    path = seed_path.replace("dimensions=project,user,date,time", "dimensions=user,date")
    as_json = client.get(path)
    as_csv = client.get(path + "&of=csv")
    assert as_json.status_code == as_csv.status_code == 200
    records = as_json.json()["response"]
    assert [list(record) for record in records] == [["date", "userId", "data", "level"]] * 2
    assert [record["level"] for record in records] == [1, 1]
    rows = list(csv.reader(io.StringIO(as_csv.text, newline="")))
    assert rows[0] == ["date", "userId", "level", "field", "count", "sum"]
    assert rows[1:] == expected_rows(records, ("date", "userId"))


def test_records_are_sorted_by_dimensions_in_request_order(client: httpx.Client,
                                                           seed_path: str) -> None:
    path = seed_path.replace("dimensions=project,user,date,time", "dimensions=time,date")
    response = client.get(path)
    assert response.status_code == 200, response.text
    keys = [(record["time"], record["date"]) for record in response.json()["response"]]
    assert keys == sorted(keys)
    assert keys[0] == (1400, "2020-06-23")


def test_the_seed_documents_wrong_url_is_417(client: httpx.Client, stored: httpx.Response
                                             ) -> None:
    response = client.get(f"/v2/statistics/userbased?{SEED_WRONG_QUERY}")
    assert response.status_code == 417
    assert media_type(response) == "application/json"
    document = response.json()
    assert document["response"] is None
    assert [(e["code"], e["param"]) for e in document["errors"]] == [
        ("error.wrong_format", "from")]
    assert isinstance(document["errors"][0]["message"], str)
    assert document["errors"][0]["message"]


def test_spaces_repeats_empty_and_unknown_options(client: httpx.Client, seed_path: str
                                                  ) -> None:
    """Spaces around list items are ignored, repeated fields dropped, an empty optional
    option is absent and an unknown option is ignored: all give the seed answer."""
    plain = client.get(seed_path)
    assert plain.status_code == 200
    variants = [
        seed_path.replace("dimensions=project,user,date,time",
                          "dimensions=%20project%20,%20user,date%20,time%20"),
        seed_path.replace("fields=userstateAvailable,",
                          "fields=userstateAvailable,%20userstateAvailable%20,"),
        seed_path + ",callOut,userstateAvailable",
        seed_path + "&timezone=&interval=&of=&preset=&hide_system_users=",
        seed_path + "&unknownOption=1&page=2",
    ]
    for path in variants:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text)
        assert response.content == plain.content, path


def test_the_timezone_extension_moves_the_slots(client: httpx.Client, seed_path: str,
                                                expected: bytes) -> None:
    response = client.get(seed_path + "&timezone=UTC")
    assert response.status_code == 200, response.text
    local = json.loads(expected)["response"]
    utc = response.json()["response"]
    assert [(r["date"], r["time"]) for r in utc] == [
        (r["date"], r["time"] - 200) for r in local]
    assert [r["data"] for r in utc] == [r["data"] for r in local]
