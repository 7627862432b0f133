"""Driving the dashboard's overview and reading its tiles and agent table as shown.

What the page should show is computed here from the API's JSON, independently of the
page's scripts: a KPI's value is its ``numerator / denominator`` rounded half away from
zero, as a percentage with one decimal for ratios and as ``h:mm:ss`` for seconds, and
an en dash (`NO_VALUE`) when the denominator is 0; a roll-up adds numerators and denominators.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx
from playwright.sync_api import Page

from e2e.conftest import Demo

LOAD_TIMEOUT_MS = 60_000
KPIS = "/v2/statistics/kpis"
QUEUE_KPIS = ["serviceLevel", "asa", "abandonmentRate"]
PROJECT_KPIS = ["aht", "occupancy"]
NO_VALUE = "\N{EN DASH}"
#: The labels a supervisor reads (the service level's names its threshold).
LABELS = {"asa": "Average speed of answer", "abandonmentRate": "Abandonment rate",
          "aht": "Average handle time", "avgTalkIn": "Talk time, inbound",
          "avgTalkOut": "Talk time, outbound", "avgAfterwork": "After-call work",
          "occupancy": "Occupancy", "utilisation": "Utilisation",
          "callInAnswerRate": "Inbound answer rate", "callOutReachRate": "Outbound reach rate",
          "dispositionSuccessRate": "Successful dispositions"}

Record = dict[str, Any]


def label(kpi: str, sla: int) -> str:
    return f"Service level ({sla} s)" if kpi == "serviceLevel" else LABELS[kpi]


def wait_for_overview(page: Page, state: str = "shown") -> None:
    page.wait_for_selector(f"#overview[data-state={state}]", timeout=LOAD_TIMEOUT_MS)


def open_overview(page: Page, demo: Demo, hash_part: str = "") -> None:
    """Open the dashboard (with `hash_part` as the URL hash), sign in, wait for the overview."""
    page.goto(f"{demo.url}/{'#' + hash_part if hash_part else ''}")
    page.get_by_label("API key", exact=True).fill(demo.key)
    page.get_by_role("button", name="Sign in").click()
    wait_for_overview(page)


def show(page: Page, first: dt.date, last: dt.date, sla: int | None = None,
         state: str = "shown") -> None:
    """Choose a period (and threshold) in the form and show it."""
    page.get_by_label("From", exact=True).fill(first.isoformat())
    page.get_by_label("To", exact=True).fill(last.isoformat())
    if sla is not None:
        page.get_by_label("Service level threshold").fill(str(sla))
    page.get_by_role("button", name="Show", exact=True).click()
    wait_for_overview(page, state)


def tiles(page: Page, group: str) -> list[dict[str, Any]]:
    """The tiles of `group` ("queue" or "project") as shown: id, title, and per KPI
    its label, title text (description) and value."""
    found: list[dict[str, Any]] = page.eval_on_selector_all(
        f"#{group}-tiles li.tile",
        """tiles => tiles.map(t => ({
             id: t.dataset.id, title: t.querySelector('h4').textContent,
             kpis: [...t.querySelectorAll('.kpi')].map(k => ({
               kpi: k.dataset.kpi, label: k.querySelector('dt').textContent,
               description: k.querySelector('dt').title,
               value: k.querySelector('dd').textContent}))}))""")
    return found


def agent_table(page: Page) -> tuple[list[dict[str, str]], list[list[str]]]:
    """The agent table as shown: its headers (key, label, title) and the rows' cells."""
    headers: list[dict[str, str]] = page.eval_on_selector_all(
        "#overview-agents thead th",
        "cells => cells.map(c => ({key: c.dataset.key, label: c.textContent, title: c.title}))")
    rows: list[list[str]] = page.eval_on_selector_all(
        "#overview-agents tbody tr",
        "rows => rows.map(row => [...row.children].map(cell => cell.textContent))")
    return headers, rows


def shown(entry: dict[str, int], unit: str) -> str:
    """What the page should show for a KPI entry (or roll-up) of `unit`."""
    numerator, denominator = entry["numerator"], entry["denominator"]
    if denominator == 0:
        return NO_VALUE
    if unit == "ratio":
        tenths = (2000 * numerator + denominator) // (2 * denominator)
        return f"{tenths // 10}.{tenths % 10}%"
    seconds = (2 * numerator + denominator) // (2 * denominator)
    return f"{seconds // 3600:,}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def entry_of(record: Record, kpi: str) -> dict[str, int]:
    found: list[dict[str, int]] = [e for e in record["kpis"] if e["kpi"] == kpi]
    assert len(found) == 1, (kpi, record)
    return found[0]


def roll_up(records: list[Record], kpi: str) -> dict[str, int]:
    entries = [entry_of(record, kpi) for record in records]
    return {"numerator": sum(e["numerator"] for e in entries),
            "denominator": sum(e["denominator"] for e in entries)}


@dataclass(frozen=True, slots=True)
class Reference:
    """What the API says about names and KPIs, for the expected tiles."""

    definitions: dict[str, dict[str, str]]
    names: dict[str, dict[int, str]]

    @classmethod
    def of(cls, api: httpx.Client) -> Reference:
        def answer(path: str) -> list[dict[str, Any]]:
            response = api.get(path)
            assert response.status_code == 200, response.text
            found: list[dict[str, Any]] = response.json()["response"]
            return found

        names = {
            "queue": {q["queueid"]: q["name"] for q in answer("/v2/queues")},
            "project": {p["projectid"]: p["name"] for p in answer("/v2/projects")},
            "user": {u["userid"]: u["name"] for u in answer("/v2/users")},
        }
        return cls({d["kpi"]: d for d in answer(f"{KPIS}/definitions")}, names)

    def agent_kpis(self) -> list[str]:
        return [kpi for kpi, d in self.definitions.items() if d["source"] == "userbased"]

    def expected_tiles(self, records: list[Record], group: str, kpis: list[str],
                       sla: int) -> list[dict[str, Any]]:
        """The tiles the page should show for the API's `records` of `group`."""
        def tile(tile_id: str, title: str, entries: list[dict[str, int]]) -> dict[str, Any]:
            return {"id": tile_id, "title": title, "kpis": [
                {"kpi": kpi, "label": label(kpi, sla),
                 "description": self.definitions[kpi]["description"],
                 "value": shown(entry, self.definitions[kpi]["unit"])}
                for kpi, entry in zip(kpis, entries, strict=True)]}

        expected = [tile(str(record[f"{group}Id"]), self.names[group][record[f"{group}Id"]],
                         [entry_of(record, kpi) for kpi in kpis]) for record in records]
        if len(records) > 1:
            expected.append(tile("all", f"All {group}s",
                                 [roll_up(records, kpi) for kpi in kpis]))
        return expected

    def expected_rows(self, records: list[Record]) -> list[list[str]]:
        """The agent table's rows the page should show for the API's `records`."""
        return [[self.names["user"][record["userId"]],
                 *(shown(entry_of(record, kpi), self.definitions[kpi]["unit"])
                   for kpi in self.agent_kpis())] for record in records]


def kpi_answer(api: httpx.Client, query: dict[str, str]) -> list[Record]:
    response = api.get(KPIS, params=query)
    assert response.status_code == 200, response.text
    records: list[Record] = response.json()["response"]
    return records


def group_queries(first: dt.date, last: dt.date, sla: int,
                  agent_kpis: list[str]) -> dict[str, dict[str, str]]:
    """The API queries of the overview's three groups, as this test writes them."""
    dates = {"from": first.strftime("%Y%m%d"), "to": last.strftime("%Y%m%d")}
    return {
        "queue": {"kpis": ",".join(QUEUE_KPIS), "dimensions": "queue", **dates,
                  "manual_sla": str(sla)},
        "project": {"kpis": ",".join(PROJECT_KPIS), "dimensions": "project", **dates,
                    "hide_system_users": "true"},
        "user": {"kpis": ",".join(agent_kpis), "dimensions": "user", **dates,
                 "hide_system_users": "true"},
    }


def expect_overview_equals_api(page: Page, api: httpx.Client, reference: Reference,
                               first: dt.date, last: dt.date, sla: int) -> dict[str, int]:
    """Assert that every tile and the agent table show the API's answers for the period;
    returns how many records each group had."""
    queries = group_queries(first, last, sla, reference.agent_kpis())
    counts: dict[str, int] = {}
    for group, kpis in (("queue", QUEUE_KPIS), ("project", PROJECT_KPIS)):
        records = kpi_answer(api, queries[group])
        assert tiles(page, group) == reference.expected_tiles(records, group, kpis, sla)
        empty = page.locator(f"#{group}-tiles-empty")
        assert empty.is_visible() == (records == [])
        counts[group] = len(records)
    agents = kpi_answer(api, queries["user"])
    headers, rows = agent_table(page)
    assert headers == [{"key": "user", "label": "Agent", "title": ""}] + [
        {"key": kpi, "label": LABELS[kpi], "title": reference.definitions[kpi]["description"]}
        for kpi in reference.agent_kpis()]
    assert rows == reference.expected_rows(agents)
    counts["user"] = len(agents)
    return counts
