"""The overview, the view the dashboard opens on, in headless Chromium against `ccstats demo`.

Every tile and every cell of the agent table is compared with the API's answer to the
same query (`GET /v2/statistics/kpis`), formatted here from its JSON (see
`overview_page`). Besides the demo's own data, the tests store events of their own,
well before the demo's (new projects, users and queues, so the demo's other tests
never see them): in one week agents with handled calls, an agent on a break only (no
value for most KPIs), a project with idle time only and a system user; in the next
week queue calls answered and abandoned within and beyond the threshold.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import Demo
from e2e.overview_page import (
    LABELS,
    NO_VALUE,
    Reference,
    agent_table,
    expect_overview_equals_api,
    open_overview,
    show,
    tiles,
    wait_for_overview,
)
from e2e.report_page import open_report, wait_for_report

EVENTS = "/v2/events"
HELPDESK, OUTBOUND, BACK_OFFICE = 901, 902, 903
DIALLER = 905
SALES_QUEUE, SUPPORT_QUEUE, NIGHT_QUEUE = 901, 902, 903


@pytest.fixture(scope="module")
def week(demo: Demo) -> tuple[dt.date, dt.date]:
    """Monday to Sunday, well before the demo's data."""
    monday = demo.first - dt.timedelta(weeks=8)
    return monday, monday + dt.timedelta(days=6)


def at(day: dt.date, clock: str) -> str:
    """An instant of `day` (UTC, midday enough for the local date to be the same day)."""
    return f"{day.isoformat()}T{clock}Z"


def post(api: httpx.Client, path: str, body: Any) -> None:
    response = api.post(path, json=body)
    assert response.status_code == 200, response.text


def interval(event_id: str, kind: str, user: int, project: int, day: dt.date,
             start: str, end: str, **members: Any) -> dict[str, Any]:
    return {"id": f"overview-{event_id}", "type": kind, "userId": user, "projectId": project,
            "start": at(day, start), "end": at(day, end), **members}


def state(event_id: str, user: int, project: int, day: dt.date, name: str, start: str,
          end: str) -> dict[str, Any]:
    return interval(event_id, "userstate", user, project, day, start, end, state=name)


def call(event_id: str, user: int, project: int, day: dt.date, direction: str, start: str,
         answer: str | None, end: str) -> dict[str, Any]:
    return interval(event_id, "call", user, project, day, start, end, direction=direction,
                    answer=at(day, answer) if answer else None)


def disposition(event_id: str, user: int, project: int, day: dt.date, status: str,
                time: str) -> dict[str, Any]:
    return {"id": f"overview-{event_id}", "type": "disposition", "userId": user,
            "projectId": project, "status": status, "time": at(day, time)}


def agent_events(monday: dt.date) -> list[dict[str, Any]]:
    tuesday = monday + dt.timedelta(days=1)
    return [
        # Zsófia, helpdesk: two answered calls, one missed, after-call work, a success
        state("z1", 901, HELPDESK, monday, "available", "09:00:00", "09:20:00"),
        state("z2", 901, HELPDESK, monday, "ringing", "09:20:00", "09:20:10"),
        call("z3", 901, HELPDESK, monday, "in", "09:20:00", "09:20:10", "09:25:17"),
        state("z4", 901, HELPDESK, monday, "call", "09:20:10", "09:25:17"),
        state("z5", 901, HELPDESK, monday, "afterwork", "09:25:17", "09:26:40"),
        call("z6", 901, HELPDESK, monday, "in", "09:30:00", None, "09:30:20"),
        state("z7", 901, HELPDESK, monday, "ringing", "09:30:00", "09:30:20"),
        disposition("z8", 901, HELPDESK, monday, "success", "09:26:00"),
        state("z9", 901, HELPDESK, tuesday, "waitingForCall", "10:00:00", "10:03:00"),
        call("z10", 901, HELPDESK, tuesday, "in", "10:03:00", "10:03:04", "10:11:55"),
        state("z11", 901, HELPDESK, tuesday, "call", "10:03:04", "10:11:55"),
        state("z12", 901, HELPDESK, tuesday, "afterwork", "10:11:55", "10:12:30"),
        # Bálint, outbound: an attempt, a reached call, dispositions
        state("b1", 902, OUTBOUND, monday, "waitingForCall", "10:00:00", "10:07:00"),
        call("b2", 902, OUTBOUND, monday, "out", "10:07:00", None, "10:07:30"),
        call("b3", 902, OUTBOUND, monday, "out", "10:08:00", "10:08:15", "10:12:02"),
        state("b4", 902, OUTBOUND, monday, "call", "10:08:00", "10:12:02"),
        state("b5", 902, OUTBOUND, monday, "afterwork", "10:12:02", "10:13:00"),
        disposition("b6", 902, OUTBOUND, monday, "failed", "10:07:31"),
        disposition("b7", 902, OUTBOUND, monday, "success", "10:12:30"),
        state("b8", 902, OUTBOUND, monday, "break", "10:13:00", "10:28:00"),
        # Csenge on both projects
        state("c1", 903, HELPDESK, tuesday, "available", "11:00:00", "11:41:00"),
        call("c2", 903, HELPDESK, tuesday, "in", "11:41:00", "11:41:07", "11:44:00"),
        state("c3", 903, HELPDESK, tuesday, "call", "11:41:07", "11:44:00"),
        call("c4", 903, OUTBOUND, tuesday, "out", "12:00:00", "12:00:21", "12:09:13"),
        state("c5", 903, OUTBOUND, tuesday, "call", "12:00:21", "12:09:13"),
        state("c6", 903, OUTBOUND, tuesday, "afterwork", "12:09:13", "12:10:00"),
        disposition("c7", 903, OUTBOUND, tuesday, "reachFailed", "12:10:00"),
        # Dénes only takes a break: no value but utilisation
        state("d1", 904, HELPDESK, tuesday, "break", "11:00:00", "11:30:00"),
        # Ilona waits in the back office: no handle time, occupancy 0
        state("i1", 906, BACK_OFFICE, monday, "available", "12:00:00", "12:45:00"),
        # the dialler, a system user, is no agent
        disposition("s1", DIALLER, OUTBOUND, monday, "success", "13:00:00"),
        disposition("s2", DIALLER, OUTBOUND, monday, "reachFailed", "13:01:00"),
    ]


def queue_call(event_id: str, queue: int, project: int, day: dt.date, start: str,
               answer: str | None, end: str, user: int | None) -> dict[str, Any]:
    return {"id": f"overview-q{event_id}", "type": "queuecall", "projectId": project,
            "queueId": queue, "start": at(day, start),
            "answer": at(day, answer) if answer else None, "end": at(day, end), "userId": user}


def queue_events(monday: dt.date) -> list[dict[str, Any]]:
    """Waits of 10, 25, 40 and 95 s answered; abandons after 8, 50 and 70 s."""
    tuesday = monday + dt.timedelta(days=1)
    return [
        queue_call("1", SALES_QUEUE, OUTBOUND, monday, "09:00:00", "09:00:10", "09:04:00", 902),
        queue_call("2", SALES_QUEUE, OUTBOUND, monday, "09:10:00", "09:10:25", "09:15:00", 902),
        queue_call("3", SALES_QUEUE, OUTBOUND, monday, "09:20:00", None, "09:20:08", None),
        queue_call("4", SALES_QUEUE, OUTBOUND, tuesday, "10:00:00", "10:00:40", "10:06:00",
                   903),
        queue_call("5", SUPPORT_QUEUE, HELPDESK, monday, "11:00:00", "11:01:35", "11:09:00",
                   901),
        queue_call("6", SUPPORT_QUEUE, HELPDESK, monday, "11:30:00", None, "11:31:10", None),
        queue_call("7", NIGHT_QUEUE, HELPDESK, tuesday, "12:00:00", None, "12:00:50", None),
    ]


@pytest.fixture(scope="module")
def agents_stored(api: httpx.Client, week: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
    """The week with the agents' events stored (named projects and users first)."""
    for project_id, name in ((HELPDESK, "Helpdesk (overview)"),
                             (OUTBOUND, "Outbound (overview)"),
                             (BACK_OFFICE, "Back office (overview)")):
        post(api, "/v2/projects", {"projectid": project_id, "name": name, "status": "active"})
    for user_id, name, kind in ((901, "Zsófia Kovács", "agent"), (902, "Bálint Nagy", "agent"),
                                (903, "Csenge Tóth", "agent"), (904, "Dénes Szabó", "agent"),
                                (DIALLER, "Dialler (overview)", "system"),
                                (906, "Ilona Varga", "agent")):
        post(api, "/v2/users", {"userid": user_id, "name": name, "kind": kind,
                                "status": "active"})
    post(api, EVENTS, agent_events(week[0]))
    return week


@pytest.fixture(scope="module")
def queues_stored(api: httpx.Client, agents_stored: tuple[dt.date, dt.date],
                  ) -> tuple[dt.date, dt.date]:
    """The week after the agents' with the queue calls stored (named queues first)."""
    for queue_id, name in ((SALES_QUEUE, "Sales line"), (SUPPORT_QUEUE, "Support line"),
                           (NIGHT_QUEUE, "Night line")):
        post(api, "/v2/queues", {"queueid": queue_id, "name": name, "status": "active"})
    first, last = (day + dt.timedelta(weeks=1) for day in agents_stored)
    post(api, EVENTS, queue_events(first))
    return first, last


@pytest.fixture(scope="module")
def reference(api: httpx.Client, agents_stored: tuple[dt.date, dt.date]) -> Reference:
    return Reference.of(api)


def kpi_requests(page: Page) -> list[dict[str, str]]:
    """Collects the options of every `GET /v2/statistics/kpis` the page sends from now on."""
    seen: list[dict[str, str]] = []

    def record(url: str) -> None:
        parts = urlsplit(url)
        if parts.path == "/v2/statistics/kpis":
            seen.append({key: values[0] for key, values in parse_qs(parts.query).items()})

    page.on("request", lambda request: record(request.url))
    return seen


# The period --------------------------------------------------------------------------

def test_the_dashboard_opens_on_last_weeks_overview(
        page: Page, demo: Demo, api: httpx.Client, reference: Reference) -> None:
    today = dt.date.today()
    monday = today - dt.timedelta(days=today.weekday() + 7)
    open_overview(page, demo)
    expect(page.locator("nav.views [aria-current=page]")).to_have_text("Overview")
    expect(page.get_by_label("From", exact=True)).to_have_value(monday.isoformat())
    expect(page.get_by_label("To", exact=True)).to_have_value(
        (monday + dt.timedelta(days=6)).isoformat())
    expect(page.get_by_label("Service level threshold")).to_have_value("30")
    # the demo's data end with last week: every project and agent has values
    counts = expect_overview_equals_api(page, api, reference, monday,
                                        monday + dt.timedelta(days=6), 30)
    assert counts["project"] >= 5 and counts["user"] >= 30


def test_one_request_per_group_for_the_chosen_period(
        page: Page, demo: Demo, api: httpx.Client, reference: Reference,
        agents_stored: tuple[dt.date, dt.date]) -> None:
    open_overview(page, demo)
    sent = kpi_requests(page)
    first, last = agents_stored
    show(page, first, last)
    dates = {"from": first.strftime("%Y%m%d"), "to": last.strftime("%Y%m%d")}
    assert sorted(sent, key=lambda options: options["dimensions"]) == [
        {"kpis": "aht,occupancy", "dimensions": "project", **dates, "hide_system_users": "true"},
        {"kpis": "serviceLevel,asa,abandonmentRate", "dimensions": "queue", **dates,
         "manual_sla": "30"},
        {"kpis": ",".join(reference.agent_kpis()), "dimensions": "user", **dates,
         "hide_system_users": "true"},
    ]
    fragment = page.evaluate("location.hash").removeprefix("#")
    assert parse_qs(fragment) == {"view": ["overview"], "from": [dates["from"]],
                                  "to": [dates["to"]], "manual_sla": ["30"]}


# Tiles and the agent table -------------------------------------------------------------

def test_project_tiles_and_agent_table_equal_the_api(
        page: Page, demo: Demo, api: httpx.Client, reference: Reference,
        agents_stored: tuple[dt.date, dt.date]) -> None:
    first, last = agents_stored
    open_overview(page, demo)
    show(page, first, last)
    counts = expect_overview_equals_api(page, api, reference, first, last, 30)
    assert counts == {"queue": 0, "project": 3, "user": 5}

    # the stored events' cases are all there: a project without calls, agents without
    # values, the system user left out
    shown = {tile["title"]: [kpi["value"] for kpi in tile["kpis"]]
             for tile in tiles(page, "project")}
    assert shown["Back office (overview)"] == [NO_VALUE, "0.0%"]
    assert shown["All projects"][0] != NO_VALUE
    headers, rows = agent_table(page)
    by_name = {row[0]: row[1:] for row in rows}
    assert "Dialler (overview)" not in by_name
    utilisation = [header["key"] for header in headers[1:]].index("utilisation")
    assert by_name["Dénes Szabó"][utilisation] == "0.0%"
    assert by_name["Dénes Szabó"].count(NO_VALUE) == len(headers) - 2
    expect(page.locator("#queue-tiles-empty")).to_have_text("No queue calls in this period.")


def test_the_agent_table_sorts_by_a_kpi(page: Page, demo: Demo,
                                        agents_stored: tuple[dt.date, dt.date]) -> None:
    open_overview(page, demo)
    show(page, *agents_stored)
    header = page.locator('#overview-agents th[data-key="occupancy"]')
    header.get_by_role("button").press("Enter")
    expect(header).to_have_attribute("aria-sort", "ascending")
    column = [th["key"] for th in agent_table(page)[0]].index("occupancy")
    values = [row[column] for row in agent_table(page)[1]]
    present = [float(value.removesuffix("%")) for value in values if value != NO_VALUE]
    assert present == sorted(present) and len(present) >= 3
    assert values[len(present):] == [NO_VALUE] * (len(values) - len(present))


def test_queue_tiles_equal_the_api(page: Page, demo: Demo, api: httpx.Client,
                                   queues_stored: tuple[dt.date, dt.date]) -> None:
    reference = Reference.of(api)  # with the queues' names
    first, last = queues_stored
    open_overview(page, demo)
    show(page, first, last)
    counts = expect_overview_equals_api(page, api, reference, first, last, 30)
    assert counts == {"queue": 3, "project": 0, "user": 0}
    night = next(tile for tile in tiles(page, "queue") if tile["title"] == "Night line")
    assert [kpi["value"] for kpi in night["kpis"]] == ["0.0%", NO_VALUE, "100.0%"]

    show(page, first, last, sla=10)
    labels = [kpi["label"] for kpi in tiles(page, "queue")[0]["kpis"]]
    assert labels == ["Service level (10 s)", LABELS["asa"], LABELS["abandonmentRate"]]
    expect_overview_equals_api(page, api, reference, first, last, 10)


# Errors, views, history --------------------------------------------------------------

def test_a_bad_period_or_threshold_shows_the_api_messages(
        page: Page, demo: Demo, api: httpx.Client, week: tuple[dt.date, dt.date]) -> None:
    first, last = week
    query = {"kpis": "serviceLevel", "dimensions": "queue", "from": last.strftime("%Y%m%d"),
             "to": first.strftime("%Y%m%d"), "manual_sla": "0"}
    refused = api.get("/v2/statistics/kpis", params=query)
    assert refused.status_code == 417
    messages = {error["param"]: error["message"] for error in refused.json()["errors"]}
    assert {"manual_sla", "from"} <= set(messages) or {"manual_sla", "to"} <= set(messages)

    open_overview(page, demo)
    show(page, last, first, sla=0, state="failed")
    errors = page.locator("#overview-errors li")
    for message in messages.values():
        expect(errors.filter(has_text=message)).to_have_count(1)
    expect(page.get_by_label("Service level threshold")).to_have_attribute(
        "aria-invalid", "true")
    expect(page.locator("#overview-results")).to_be_hidden()

    show(page, first, last, sla=30)
    expect(page.locator("#overview-errors")).to_be_empty()
    expect(page.get_by_label("Service level threshold")).not_to_have_attribute(
        "aria-invalid", "true")


def test_the_report_view_and_back_to_the_overview(page: Page, demo: Demo,
                                                  week: tuple[dt.date, dt.date]) -> None:
    open_overview(page, demo)
    first, last = week
    show(page, first, last, sla=20)
    overview_hash = page.evaluate("location.hash")
    open_report(page)
    wait_for_report(page)
    expect(page.locator("#overview")).to_be_hidden()
    expect(page.locator("nav.views [aria-current=page]")).to_have_text("Report")
    assert "dimensions=user" in page.evaluate("location.hash")

    page.go_back()
    expect(page.locator("#overview")).to_be_visible()
    wait_for_overview(page)
    expect(page.get_by_label("From", exact=True)).to_have_value(first.isoformat())
    expect(page.get_by_label("Service level threshold")).to_have_value("20")
    assert page.evaluate("location.hash") == overview_hash


def test_a_bookmarked_overview_opens_with_its_period(
        page: Page, demo: Demo, api: httpx.Client, reference: Reference,
        agents_stored: tuple[dt.date, dt.date]) -> None:
    first, last = agents_stored
    bookmark = str(httpx.QueryParams({"view": "overview", "from": first.strftime("%Y%m%d"),
                                      "to": last.strftime("%Y%m%d"), "manual_sla": "45"}))
    open_overview(page, demo, bookmark)
    expect(page.get_by_label("To", exact=True)).to_have_value(last.isoformat())
    expect(page.get_by_label("Service level threshold")).to_have_value("45")
    expect_overview_equals_api(page, api, reference, first, last, 45)


def test_quick_periods_and_the_keyboard(page: Page, demo: Demo) -> None:
    page.goto(demo.url + "/")
    page.keyboard.type(demo.key)
    page.keyboard.press("Enter")
    wait_for_overview(page)
    expect(page.locator("#overview-title")).to_be_focused()
    reached: list[str] = []
    for _ in range(20):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id || "
                                     "document.activeElement.textContent.trim()"))
    for control in ("overview-from", "overview-to", "overview-sla", "overview-show",
                    "Last 7 days", "This month"):
        assert control in reached, control
    page.get_by_role("button", name="Last 7 days").focus()
    page.keyboard.press("Enter")
    wait_for_overview(page)
    today = dt.date.today()
    expect(page.get_by_label("From", exact=True)).to_have_value(
        (today - dt.timedelta(days=6)).isoformat())
    expect(page.get_by_label("To", exact=True)).to_have_value(today.isoformat())


@pytest.mark.parametrize("width", [390, 1280])
def test_no_horizontal_overflow(page: Page, demo: Demo, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    open_overview(page, demo)
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1]
    box = page.evaluate("(() => { const b = document.getElementById('overview-agents-box');"
                        " return [b.scrollWidth, b.clientWidth]; })()")
    if width < 900:
        assert box[0] > box[1]  # the agent table scrolls inside its box
