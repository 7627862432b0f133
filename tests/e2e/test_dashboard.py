"""The dashboard in headless Chromium against `ccstats demo`, compared with the API.

Every number the page shows is checked against the API's own answer to the same
query, fetched here with httpx; downloads are compared byte for byte (the Excel one cell
for cell with the csv answer).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import Demo
from e2e.report_page import (
    api_date,
    check_kpis,
    dimension_order,
    expect_error_shown,
    expect_table_equals,
    form_date,
    hash_query,
    number,
    open_report,
    run,
    set_dimensions,
    sign_in,
    table,
    wait_for_report,
)
from workbooks import assert_same_answer

STATS = "/v2/statistics/userbased"


@pytest.fixture(scope="module")
def names(api: httpx.Client) -> dict[str, dict[int, str]]:
    projects = api.get("/v2/projects").json()["response"]
    users = api.get("/v2/users").json()["response"]
    return {"project": {p["projectid"]: p["name"] for p in projects},
            "user": {u["userid"]: u["name"] for u in users}}


#: The dashboard's KPI families by the first four letters of a KPI's name.
FAMILIES = {"user": "Agent states", "call": "Calls", "disp": "Dispositions", "emai": "E-mails",
            "tick": "Tickets", "chat": "Chats"}


def answer(api: httpx.Client, query: dict[str, str]) -> list[dict[str, Any]]:
    response = api.get(STATS, params=query)
    assert response.status_code == 200, response.text
    records: list[dict[str, Any]] = response.json()["response"]
    return records


def without_accents(text: str) -> str:
    """"Ágnes" -> "agnes": close to how the browser's collation orders names."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# Sign-in -------------------------------------------------------------------------------

def test_sign_in_takes_the_customer_from_the_host_and_runs_a_first_report(
        page: Page, demo: Demo) -> None:
    page.goto(demo.url + "/")
    expect(page.get_by_label("Customer", exact=True)).to_have_value(demo.customer)
    page.get_by_label("API key", exact=True).fill(demo.key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#overview")).to_be_visible()
    open_report(page)
    wait_for_report(page)
    expect(page.locator("#session-customer")).to_have_text(demo.customer)
    assert hash_query(page)["dimensions"] == "user"
    assert len(table(page)[1]) > 30


def test_a_wrong_key_shows_the_api_message(page: Page, demo: Demo) -> None:
    expected = httpx.get(f"{demo.local_url}/v2/statistics/fields", auth=(demo.customer, "nope"))
    assert expected.status_code == 401
    message = expected.json()["errors"][0]["message"]

    page.goto(demo.local_url + "/")
    page.get_by_label("Customer", exact=True).fill(demo.customer)
    page.get_by_label("API key", exact=True).fill("nope")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#sign-in-errors")).to_have_text(message)
    expect(page.locator("#app")).to_be_hidden()


def test_the_key_stays_in_memory_only(page: Page, demo: Demo) -> None:
    sign_in(page, demo)
    assert demo.key not in page.url
    stored = page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]")
    assert stored == [0, 0, ""]
    assert page.context.cookies() == []
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API key", exact=True)).to_have_value("")
    page.reload()
    expect(page.locator("#sign-in-view")).to_be_visible()
    expect(page.locator("#app")).to_be_hidden()


# Building a report ---------------------------------------------------------------------

def test_a_report_built_in_the_form_equals_the_api_answer(
        page: Page, demo: Demo, api: httpx.Client, names: dict[str, dict[int, str]]) -> None:
    sign_in(page, demo, local=True)
    first, last = demo.first, demo.first + dt.timedelta(days=13)
    page.locator("#from").fill(form_date(first))
    page.locator("#to").fill(form_date(last))
    set_dimensions(page, ["user", "project"])
    page.get_by_label("Projects").select_option(label=["Outbound Sales", "Customer Care"])
    page.get_by_label("Hide system users").check()
    check_kpis(page, ["callOutReached", "callInAnswered", "userstateAvailable"])
    catalog = api.get("/v2/statistics/fields").json()["response"]
    for kpi in catalog:  # every KPI under its family, with the catalog's description
        family = page.locator("details.family", has=page.locator(f"#kpi-{kpi['field']}"))
        expect(family).to_have_attribute("data-family", FAMILIES[kpi["field"][:4]])
        expect(page.locator(f"#kpi-{kpi['field']}-description")).to_have_text(
            kpi["description"])
    run(page)

    query = {"from": api_date(first), "to": api_date(last), "dimensions": "user,project",
             "projects": "1,3", "hide_system_users": "true",
             "fields": "callOutReached,callInAnswered,userstateAvailable"}
    assert hash_query(page) == query
    compared = expect_table_equals(page, answer(api, query), names)
    assert compared > 100
    headers, _ = table(page)
    assert headers == ["user", "project", "callOutReached.count", "callOutReached.sum",
                       "callInAnswered.count", "callInAnswered.sum", "userstateAvailable.count",
                       "userstateAvailable.sum"]


def test_time_zone_and_quarter_hour_slots(
        page: Page, demo: Demo, api: httpx.Client, names: dict[str, dict[int, str]]) -> None:
    sign_in(page, demo)
    page.locator("#from").fill(form_date(demo.last))
    page.locator("#to").fill(form_date(demo.last))
    set_dimensions(page, ["time", "user"])
    page.get_by_label("Time zone").fill("America/New_York")
    page.get_by_label("Time slots").select_option("15")
    check_kpis(page, ["userstateAvailable", "callOut"])
    run(page)

    query = hash_query(page)
    assert query["timezone"] == "America/New_York" and query["interval"] == "15"
    records = answer(api, query)
    assert any(record["time"] % 100 == 45 for record in records)
    expect_table_equals(page, records, names)


def test_sorting_by_a_column(page: Page, demo: Demo) -> None:
    sign_in(page, demo, "from={0}&to={0}&dimensions=user&fields=userstateAvailable".format(
        api_date(demo.first)))
    header = page.locator('#table th[data-key="userstateAvailable.sum"]')
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    shown = [number(row[2]) for row in table(page)[1]]
    present = [value for value in shown if value is not None]
    assert present == sorted(present) and len(present) > 5
    assert shown[len(present):] == [None] * (len(shown) - len(present))

    header.get_by_role("button").press("Enter")
    expect(header).to_have_attribute("aria-sort", "descending")
    shown = [number(row[2]) for row in table(page)[1]]
    assert [v for v in shown if v is not None] == sorted(present, reverse=True)

    users = page.locator('#table th[data-key="user"]')
    users.get_by_role("button").click()
    shown_names = [row[0] for row in table(page)[1]]
    assert shown_names == sorted(shown_names, key=without_accents)


def test_a_bad_date_shows_the_api_error_message(page: Page, demo: Demo,
                                                api: httpx.Client) -> None:
    sign_in(page, demo)
    page.locator("#from").fill("2026-02-30")
    run(page, "failed")
    query = hash_query(page)
    assert query["from"] == "20260230"
    refused = api.get(STATS, params=query)
    assert refused.status_code == 417
    errors = refused.json()["errors"]
    assert [error["param"] for error in errors] == ["from"]

    expect_error_shown(page, errors[0]["message"])
    expect(page.locator("#from")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#from-error")).to_have_text(errors[0]["message"])
    expect(page.locator("#report")).to_be_hidden()

    page.locator("#from").fill(form_date(demo.first))
    run(page)
    expect(page.locator("#from")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#report-errors")).to_be_empty()


def test_a_bookmarked_url_restores_and_runs_the_report(
        page: Page, demo: Demo, api: httpx.Client, names: dict[str, dict[int, str]]) -> None:
    query = {"from": api_date(demo.first), "to": api_date(demo.first + dt.timedelta(days=2)),
             "dimensions": "date,time,project", "projects": "2,5",
             "fields": "callInMissed,dispositionStatusSuccess", "timezone": "UTC",
             "interval": "30"}
    sign_in(page, demo, str(httpx.QueryParams(query)))
    assert hash_query(page) == query
    assert dimension_order(page)[:3] == ["date", "time", "project"]
    expect(page.get_by_label("Time slots")).to_have_value("30")
    expect(page.get_by_label("Time zone")).to_have_value("UTC")
    expect(page.locator("#from")).to_have_value(form_date(demo.first))
    selected = page.eval_on_selector("#projects", "s => [...s.selectedOptions].map(o => o.text)")
    assert selected == ["Renewals", "Win-back (paused) (inactive)"]
    expect_table_equals(page, answer(api, query), names)


def test_back_and_forward_step_through_the_reports_run(page: Page, demo: Demo) -> None:
    sign_in(page, demo)
    by_user = hash_query(page)
    set_dimensions(page, ["project"])
    run(page)
    assert hash_query(page) == {**by_user, "dimensions": "project"}
    first_column = page.locator("#table thead th").first

    page.go_back()
    expect(first_column).to_have_attribute("data-key", "user")
    assert hash_query(page) == by_user
    expect(page.locator("#dimension-project")).not_to_be_checked()
    page.go_forward()
    expect(first_column).to_have_attribute("data-key", "project")
    expect(page.locator("#dimension-user")).not_to_be_checked()


# Charts --------------------------------------------------------------------------------

def chart_data(page: Page, canvas: str) -> dict[str, Any]:
    data: dict[str, Any] = page.evaluate(
        """id => { const d = Chart.getChart(document.getElementById(id)).data;
                   return {labels: d.labels, values: d.datasets.map(s => s.data),
                           series: d.datasets.map(s => s.label)}; }""", canvas)
    return data


def test_charts_show_the_api_sums(page: Page, demo: Demo, api: httpx.Client,
                                  names: dict[str, dict[int, str]]) -> None:
    week = {"from": api_date(demo.last - dt.timedelta(days=6)), "to": api_date(demo.last),
            "dimensions": "date,time,user", "fields": "callOutReached,userstateBreak"}
    sign_in(page, demo, str(httpx.QueryParams(week)))
    page.get_by_label("Charted KPIs").select_option(["callOutReached.count",
                                                     "userstateBreak.sum"])
    records = answer(api, week)

    def total(record: dict[str, Any], field: str, part: str) -> int:
        return sum(item[part] or 0 for item in record["data"] if item["field"] == field)

    per_user: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    per_slot: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_cell: dict[tuple[int, int], int] = defaultdict(int)
    for record in records:
        values = (total(record, "callOutReached", "count"),
                  total(record, "userstateBreak", "sum"))
        slot = f"{record['date']} {record['time'] // 100:02d}:{record['time'] % 100:02d}"
        for bucket in (per_user[record["userId"]], per_slot[slot]):
            bucket[0] += values[0]
            bucket[1] += values[1]
        weekday = dt.date.fromisoformat(record["date"]).weekday()
        per_cell[weekday, record["time"] // 100] += values[0]

    agents = chart_data(page, "agents")
    assert agents["series"] == ["callOutReached count", "userstateBreak time"]
    users = sorted(per_user)
    assert agents["labels"] == [names["user"][user] for user in users]
    assert agents["values"][0] == [per_user[user][0] for user in users]
    assert agents["values"][1] == pytest.approx([per_user[user][1] / 3600 for user in users])

    over_time = chart_data(page, "over-time")
    slots = sorted(per_slot)
    assert over_time["labels"] == slots
    assert over_time["values"][0] == [per_slot[slot][0] for slot in slots]

    cells = page.eval_on_selector_all(
        "#heatmap tbody tr", "rows => rows.map(r => [...r.querySelectorAll('td')]"
                             ".map(c => Number(c.dataset.value)))")
    assert cells == [[per_cell[day, hour] for hour in range(24)] for day in range(7)]
    assert sum(map(sum, cells)) > 0


def test_charts_explain_which_dimensions_they_need(page: Page, demo: Demo) -> None:
    sign_in(page, demo, f"from={api_date(demo.first)}&to={api_date(demo.last)}"
                        "&dimensions=project")
    for name in ("over-time", "agents", "heatmap"):
        expect(page.locator(f"#{name}-note")).to_be_visible()


# Downloads and presets -----------------------------------------------------------------

@pytest.mark.parametrize(("button", "of", "suffix"), [
    ("CSV", "csv", "csv"), ("Tab", "tab", "tsv"), ("JSON", "json", "json")])
def test_a_download_is_the_api_answer_byte_for_byte(
        page: Page, demo: Demo, api: httpx.Client, button: str, of: str, suffix: str) -> None:
    query = {"from": api_date(demo.first), "to": api_date(demo.first + dt.timedelta(days=6)),
             "dimensions": "project,user,date", "interval": "30"}
    sign_in(page, demo, str(httpx.QueryParams(query)))
    with page.expect_download() as started:
        page.locator(".downloads").get_by_role("button", name=button, exact=True).click()
    download = started.value
    assert download.suggested_filename == f"ccstats-{query['from']}-{query['to']}.{suffix}"
    saved = download.path().read_bytes()
    expected = api.get(STATS, params={**query, "of": of}).content
    assert saved == expected and len(saved) > 10_000


def test_the_excel_download_is_the_csv_answer_cell_for_cell(
        page: Page, demo: Demo, api: httpx.Client) -> None:
    """(Not byte for byte: a workbook records when it was made.)"""
    query = {"from": api_date(demo.first), "to": api_date(demo.first + dt.timedelta(days=2)),
             "dimensions": "user,date,time", "interval": "30"}
    sign_in(page, demo, str(httpx.QueryParams(query)))
    with page.expect_download() as started:
        page.locator(".downloads").get_by_role("button", name="Excel", exact=True).click()
    download = started.value
    assert download.suggested_filename == f"ccstats-{query['from']}-{query['to']}.xlsx"
    lines = assert_same_answer(download.path().read_bytes(),
                               api.get(STATS, params={**query, "of": "csv"}).content)
    assert lines > 100


def test_presets_are_saved_and_loaded(page: Page, demo: Demo, api: httpx.Client) -> None:
    sign_in(page, demo)
    check_kpis(page, ["ticketClosed", "callInAnswered"])
    page.get_by_label("Save the checked KPIs as").fill("Tickets and answers")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#preset-status")).to_contain_text("Saved “Tickets and answers”")
    saved = [p for p in api.get("/v2/statistics/presets").json()["response"]
             if p["name"] == "Tickets and answers"]
    assert [p["fields"] for p in saved] == [["ticketClosed", "callInAnswered"]]

    page.locator("details.family", has_text="Tickets").get_by_role(
        "button", name="Uncheck every KPI of Tickets").click()
    expect(page.locator("#kpi-ticketClosed")).not_to_be_checked()
    page.get_by_label("Preset", exact=True).select_option(str(saved[0]["id"]))
    page.get_by_role("button", name="Load", exact=True).click()
    expect(page.locator("#kpi-ticketClosed")).to_be_checked()
    run(page)
    assert hash_query(page)["fields"] == "ticketClosed,callInAnswered"


def test_saving_a_preset_without_kpis_shows_the_api_message(page: Page, demo: Demo,
                                                           api: httpx.Client) -> None:
    refused = api.post("/v2/statistics/presets", json={"name": "empty", "fields": []})
    assert refused.status_code == 417
    sign_in(page, demo)
    page.get_by_label("Save the checked KPIs as").fill("empty")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#preset-status")).to_have_text(refused.json()["errors"][0]["message"])


# Keyboard, layout, assets --------------------------------------------------------------

def focus_walk(page: Page, presses: int) -> list[str]:
    """The focused element after each Tab: its id, or its accessible name for buttons."""
    seen: list[str] = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        seen.append(page.evaluate(
            """() => { const e = document.activeElement;
                       return e.id || e.getAttribute('aria-label') || e.textContent.trim(); }"""))
    return seen


def test_the_keyboard_reaches_every_control(page: Page, demo: Demo) -> None:
    page.goto(demo.url + "/")
    page.keyboard.type(demo.key)  # the key field has focus when the host names the customer
    page.keyboard.press("Enter")
    page.locator("nav.views").get_by_role("button", name="Report", exact=True).focus()
    page.keyboard.press("Enter")
    wait_for_report(page)
    page.locator("#builder-title").focus()
    reached = focus_walk(page, 80)
    for control in ("from", "to", "Last week", "dimension-date", "Move Date up",
                    "projects", "users", "hide-system-users", "preset", "load-preset",
                    "preset-name", "save-preset", "timezone", "interval", "run", "CSV",
                    "Excel", "Tab", "JSON", "chart-measures", "Agent states 0 of 9"):
        assert control in reached, control

    page.locator("#dimension-date").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Move Date up").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    assert dimension_order(page)[:2] == ["date", "user"]
    page.locator("details.family summary", has_text="Calls").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(page.locator("#kpi-callOut")).to_be_checked()
    page.locator("#run").focus()
    page.keyboard.press("Enter")
    wait_for_report(page)
    assert hash_query(page)["dimensions"] == "date,user"
    assert hash_query(page)["fields"] == "callOut"


@pytest.mark.parametrize("width", [390, 1280])
def test_no_horizontal_overflow(page: Page, demo: Demo, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, demo, f"from={api_date(demo.first)}&to={api_date(demo.first)}"
                        "&dimensions=date,time,user")
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1]
    table_box = page.evaluate(
        "(() => { const b = document.querySelector('#report .table-box');"
        " return [b.scrollWidth, b.clientWidth]; })()")
    if width < 900:
        assert table_box[0] > table_box[1]  # the table scrolls inside its box


def test_the_page_and_its_assets(demo: Demo) -> None:
    page = httpx.get(demo.local_url + "/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    for asset, kind in [("/dashboard/js/main.js", "text/javascript"),
                        ("/dashboard/dashboard.css", "text/css"),
                        ("/dashboard/vendor/chart.umd.min.js", "text/javascript")]:
        served = httpx.get(demo.local_url + asset)
        assert served.status_code == 200 and served.headers["content-type"].startswith(kind)
    assert "/" not in httpx.get(demo.local_url + "/openapi.json").json()["paths"]
