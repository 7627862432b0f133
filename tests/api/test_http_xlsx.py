"""``of=xlsx`` over real HTTP: a workbook to download, the csv answer cell for cell.

The module's server holds customer ``sheets`` (Europe/Budapest) with the random
events of `test_spreadsheet`. Refused options stay the JSON envelope with 417, and
the real-time resources, whose answers are not workbooks, refuse ``of=xlsx``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import httpx
import pytest

from conftest import ndjson
from test_spreadsheet import FIRST, LAST, random_events
from workbooks import assert_same_answer

CUSTOMER, ZONE, PASSWORD = "sheets", "Europe/Budapest", "sheets-pass"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DAYS = {"from": FIRST, "to": LAST}


@pytest.fixture(scope="module")
def accounts() -> list[tuple[str, str, str]]:
    return [(CUSTOMER, ZONE, PASSWORD)]


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, auth=(CUSTOMER, PASSWORD), timeout=60) as opened:
        posted = opened.post("/v2/events", content=ndjson(*random_events(random.Random(7), 400)))
        assert posted.status_code == 200, posted.text
        yield opened


@pytest.mark.parametrize(("resource", "options", "name"), [
    ("userbased", {"dimensions": "user,date,time", "fields": "userstateCall,callInAnswered"},
     "userbased"),
    ("inbound", {"dimensions": "queue,date", "manual_sla": "20"}, "inbound"),
    ("kpis", {"dimensions": "project,time", "kpis": "aht,occupancy,callInAnswerRate",
              "interval": "30"}, "kpis"),
    ("kpis", {"dimensions": "queue", "kpis": "serviceLevel,asa", "timezone": "UTC"}, "kpis"),
])
def test_a_workbook_is_the_csv_answer(client: httpx.Client, resource: str,
                                      options: dict[str, str], name: str) -> None:
    path = f"/v2/statistics/{resource}"
    workbook = client.get(path, params={**DAYS, **options, "of": "xlsx"})
    assert workbook.status_code == 200, workbook.text
    assert workbook.headers["content-type"] == XLSX
    assert workbook.headers["content-disposition"] == \
        f'attachment; filename="{name}-{FIRST}-{LAST}.xlsx"'
    csv_answer = client.get(path, params={**DAYS, **options, "of": "csv"})
    assert csv_answer.status_code == 200, csv_answer.text
    assert "content-disposition" not in csv_answer.headers
    assert assert_same_answer(workbook.content, csv_answer.content) > 2


def test_refused_options_are_the_json_envelope(client: httpx.Client) -> None:
    answer = client.get("/v2/statistics/userbased",
                        params={"from": "202000106", "to": LAST, "dimensions": "user",
                                "of": "XLSX", "fields": "nothing"})
    assert answer.status_code == 417
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["response"] is None
    assert {error["param"] for error in body["errors"]} == {"from", "fields"}


@pytest.mark.parametrize("path", ["/v2/onlineusers", "/v2/realtime/queues"])
def test_real_time_answers_are_no_workbooks(client: httpx.Client, path: str) -> None:
    answer = client.get(path, params={"of": "xlsx"})
    assert answer.status_code == 417
    [error] = answer.json()["errors"]
    assert error["param"] == "of"
    assert error["message"] == "unknown output format 'xlsx'; use json, csv or tab"


def test_the_openapi_document_offers_the_workbook(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    for resource in ("userbased", "inbound", "kpis"):
        operation = document["paths"][f"/v2/statistics/{resource}"]["get"]
        [of] = [p for p in operation["parameters"] if p["name"] == "of"]
        assert of["schema"]["enum"] == ["json", "csv", "cvs", "tab", "xlsx"]
        assert operation["responses"]["200"]["content"][XLSX]["schema"] == \
            {"type": "string", "format": "binary"}
    realtime = document["paths"]["/v2/onlineusers"]["get"]
    [of] = [p for p in realtime["parameters"] if p["name"] == "of"]
    assert "xlsx" not in of["schema"]["enum"]
