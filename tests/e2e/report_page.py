"""Driving the dashboard as a person would, and reading what it shows.

The helpers use the page's labels and roles where a person would (field labels,
button names) and read the table as displayed text, turned back into numbers:
``h:mm:ss`` into seconds and ``12,345`` into 12345.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qs

from playwright.sync_api import Page, expect

from e2e.conftest import Demo

REPORT_TIMEOUT_MS = 60_000
DURATION = re.compile(r"^(-?)([\d,]+):(\d\d):(\d\d)$")


def form_date(day: dt.date) -> str:
    return day.isoformat()


def api_date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def sign_in(page: Page, demo: Demo, query: str = "", local: bool = False) -> None:
    """Open the dashboard (with `query`, a report's options, as the URL hash), sign in and
    wait for the first report: a bookmarked report runs at once; without one the page
    opens on the overview, and the report is the Report view's first."""
    page.goto(f"{demo.local_url if local else demo.url}/{'#' + query if query else ''}")
    if local:
        page.get_by_label("Customer", exact=True).fill(demo.customer)
    page.get_by_label("API key", exact=True).fill(demo.key)
    page.get_by_role("button", name="Sign in").click()
    if not query:
        page.wait_for_selector("#overview[data-state=shown]", timeout=REPORT_TIMEOUT_MS)
        open_report(page)
    wait_for_report(page)


def open_report(page: Page) -> None:
    """Switch to the Report view (which runs the form's report if none is shown yet)."""
    page.locator("nav.views").get_by_role("button", name="Report", exact=True).click()


def wait_for_report(page: Page, state: str = "shown") -> None:
    """Wait until the report started last has finished in `state` (shown or failed)."""
    page.wait_for_selector(f"#results[data-state={state}]", timeout=REPORT_TIMEOUT_MS)


def run(page: Page, state: str = "shown") -> None:
    page.get_by_role("button", name="Run report").click()
    wait_for_report(page, state)


DIMENSION_LABELS = {"project": "Project", "user": "User", "date": "Date", "time": "Time slot"}


def set_dimensions(page: Page, wanted: list[str]) -> None:
    """Check exactly `wanted`, moving them (with the arrow buttons) into that order."""
    for name in DIMENSION_LABELS:
        page.locator(f"#dimension-{name}").set_checked(name in wanted)
    for position, name in enumerate(wanted):
        while dimension_order(page).index(name) > position:
            page.get_by_role("button", name=f"Move {DIMENSION_LABELS[name]} up").click()


def dimension_order(page: Page) -> list[str]:
    order: list[str] = page.eval_on_selector_all(
        "#dimensions li", "items => items.map(item => item.dataset.dimension)")
    return order


def check_kpis(page: Page, fields: list[str]) -> None:
    """Check `fields` in this order, opening their families first."""
    for field in fields:
        box = page.locator(f"#kpi-{field}")
        family = page.locator("details.family", has=box)
        if family.get_attribute("open") is None:
            family.locator("summary").click()
        box.check()


def hash_query(page: Page) -> dict[str, str]:
    """The report options in the page's URL hash."""
    fragment = page.evaluate("location.hash").removeprefix("#")
    return {key: values[0] for key, values in parse_qs(fragment).items()}


def table(page: Page) -> tuple[list[str], list[list[str]]]:
    """The results table as displayed: header labels and the cells of each row."""
    headers: list[str] = page.eval_on_selector_all(
        "#table thead th", "cells => cells.map(cell => cell.dataset.key)")
    rows: list[list[str]] = page.eval_on_selector_all(
        "#table tbody tr",
        "rows => rows.map(row => [...row.children].map(cell => cell.textContent))")
    return headers, rows


def number(text: str) -> int | None:
    """A displayed count or duration as the API's number (seconds); empty is None."""
    if text == "":
        return None
    matched = DURATION.match(text)
    if matched:
        sign, hours, minutes, seconds = matched.groups()
        total = int(hours.replace(",", "")) * 3600 + int(minutes) * 60 + int(seconds)
        return -total if sign else total
    return int(text.replace(",", ""))


def expected_cell(record: dict[str, Any], key: str, names: dict[str, dict[int, str]]) -> Any:
    """What the table should show (dimensions) or mean (measures) for `record` at `key`."""
    if key == "date":
        return record["date"]
    if key == "time":
        return f"{record['time'] // 100:02d}:{record['time'] % 100:02d}"
    if key in ("project", "user"):
        return names[key][record[f"{key}Id"]]
    field, part = key.split(".")
    found = [item for item in record["data"] if item["field"] == field]
    return found[0][part] if found else None


def displayed_cell(text: str, key: str) -> Any:
    return text if key in ("date", "time", "project", "user") else number(text)


def expect_table_equals(page: Page, records: list[dict[str, Any]],
                        names: dict[str, dict[int, str]]) -> int:
    """Assert that the table shows `records` (the API's answer) cell by cell, in order;
    returns the number of numeric cells compared."""
    headers, rows = table(page)
    assert len(rows) == len(records) > 0
    compared = 0
    for row, record in zip(rows, records, strict=True):
        for text, key in zip(row, headers, strict=True):
            assert displayed_cell(text, key) == expected_cell(record, key, names), (key, record)
            compared += key not in ("date", "time", "project", "user") and text != ""
    return compared


def expect_error_shown(page: Page, message: str) -> None:
    expect(page.locator("#report-errors")).to_contain_text(message)
