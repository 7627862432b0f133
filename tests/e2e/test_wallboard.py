"""The wallboard, fed by `GET /v2/realtime/stream`, in headless Chromium (realtime.md §3).

Events are posted through the API while the page is open and the page must change
without a reload. On the shared demo, whose live shift keeps posting, the tests use
projects, users and queues of their own and the wallboard's project filter. The
server restart and the key revocation run on a `ccstats serve` of their own, on a
fixed database and port, stopped and started again.

A figure's expected text is computed here from the API's JSON: counts with thousands
separators, seconds as ``h:mm:ss`` (rounded half away from zero), a service level as a
percentage with one decimal (half away from zero), an en dash for null.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from conftest import call, queue_call, userstate
from e2e.conftest import CCSTATS, DESKTOP, STARTUP_SECONDS, Demo, PageWatch, _free_port
from e2e.test_accessibility import violations

AGENTS_PROJECT, QUEUES_PROJECT = 950, 951
ANNA, BENCE = 950, 951
HELP_QUEUE, SALES_QUEUE = 950, 951
NO_VALUE = "\N{EN DASH}"
LIVE_TIMEOUT_MS = 30_000
#: A reconnection waits at most 10 s, after a server that needs a few seconds to start.
RECONNECT_TIMEOUT_MS = 60_000
STREAM = "/v2/realtime/stream"


def post(api: httpx.Client, path: str, body: Any) -> Any:
    response = api.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()["response"]


def going(event: dict[str, Any]) -> dict[str, Any]:
    """`event` still going on (``end`` null)."""
    return {**event, "end": None}


def hms(seconds: float) -> str:
    whole = int(Decimal(str(seconds)).quantize(Decimal(1), ROUND_HALF_UP))
    return f"{whole // 3600:,}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def seconds_of(text: str) -> int:
    hours, minutes, seconds = text.split(":")
    return int(hours.replace(",", "")) * 3600 + int(minutes) * 60 + int(seconds)


def share(ratio: float | None) -> str:
    if ratio is None:
        return NO_VALUE
    return f"{(Decimal(str(ratio)) * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def open_wallboard(page: Page, url: str, key: str, projects: str = "",
                   customer: str | None = None, state: str = "live") -> None:
    """Open the dashboard at the wallboard (of `projects`), sign in, wait for the stream's
    `state` (live: a snapshot is shown)."""
    page.goto(f"{url}/#view=wallboard" + (f"&projects={projects}" if projects else ""))
    if customer is not None:
        page.get_by_label("Customer", exact=True).fill(customer)
    page.get_by_label("API key", exact=True).fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#wallboard")).to_have_attribute("data-stream", state,
                                                         timeout=LIVE_TIMEOUT_MS)


def agent(page: Page, user: int) -> Any:
    return page.locator(f'#wall-agents li[data-id="{user}"]')


def figure(page: Page, queue: int, name: str) -> Any:
    return page.locator(f'#wall-queues li[data-id="{queue}"] [data-figure="{name}"] dd')


@pytest.fixture(scope="module")
def named(api: httpx.Client) -> None:
    for project, name in ((AGENTS_PROJECT, "Wallboard agents"),
                          (QUEUES_PROJECT, "Wallboard queues")):
        post(api, "/v2/projects", {"projectid": project, "name": name, "status": "active"})
    for user, name in ((ANNA, "Anna Wall"), (BENCE, "Bence Wall")):
        post(api, "/v2/users", {"userid": user, "name": name, "kind": "agent",
                                "status": "active"})
    for queue, name in ((HELP_QUEUE, "Help line"), (SALES_QUEUE, "Sales line")):
        post(api, "/v2/queues", {"queueid": queue, "name": name, "status": "active"})


# The stream's parser -------------------------------------------------------------------

def test_the_event_stream_parser_and_the_backoff(page: Page, demo: Demo) -> None:
    page.goto(demo.url + "/")
    parsed = page.evaluate("""async () => {
        const { SseParser } = await import('/dashboard/js/sse.js');
        const { backoff } = await import('/dashboard/js/stream.js');
        const events = [];
        const parser = new SseParser((event) => events.push(event));
        for (const chunk of ['retry: 2000\\r\\n\\r\\nevent: snap', 'shot\\ndata: {"a":\\n',
                             'data:  1}\\r', '\\n\\r\\n: keep-alive\\n\\n', 'data\\n\\n',
                             'event: lonely\\n\\n', 'id: 7\\ndata: x\\rdata: y\\r\\r',
                             'data: unfinished']) {
          parser.push(chunk);
        }
        return { events, delays: [1, 2, 3, 4, 5, 6, 20].map(backoff) };
    }""")
    assert parsed["events"] == [
        {"type": "snapshot", "data": '{"a":\n 1}'},
        {"type": "message", "data": ""},
        {"type": "message", "data": "x\ny"},
    ]
    assert parsed["delays"] == [1000, 2000, 4000, 8000, 10000, 10000, 10000]


# Agents ----------------------------------------------------------------------------------

def test_an_agents_card_follows_the_posted_states(page: Page, demo: Demo, api: httpx.Client,
                                                  named: None) -> None:
    open_wallboard(page, demo.url, demo.key, str(AGENTS_PROJECT))
    expect(page.locator("#wallboard").get_by_label("Project")).to_have_value(
        str(AGENTS_PROJECT))
    t = int(time.time())
    post(api, "/v2/events", [going(userstate("wall-s1", "available", t - 65,
                                             None, AGENTS_PROJECT, ANNA))])
    card = agent(page, ANNA)
    expect(card.locator("h4")).to_have_text("Anna Wall", timeout=LIVE_TIMEOUT_MS)
    expect(card).to_have_attribute("data-state", "available")
    expect(card.locator(".badge")).to_have_text("Available")
    expect(card.locator(".call")).to_have_count(0)
    # the time in the state ticks on without another snapshot
    shown = card.locator(".state .time")
    first = shown.inner_text()
    assert seconds_of(first) >= 65
    expect(shown).not_to_have_text(first)

    # an inbound call from the help line, answered: the state is replaced
    t = int(time.time())
    post(api, "/v2/events", [
        userstate("wall-s1", "available", t - 65, t - 3, AGENTS_PROJECT, ANNA),
        going(userstate("wall-s2", "call", t - 3, None, AGENTS_PROJECT, ANNA)),
        going(call("wall-c1", "in", t - 5, t - 3, None, AGENTS_PROJECT, ANNA)),
        going(queue_call("wall-q1", HELP_QUEUE, t - 20, t - 3, None, AGENTS_PROJECT, ANNA)),
    ])
    expect(card).to_have_attribute("data-state", "call", timeout=LIVE_TIMEOUT_MS)
    expect(card.locator(".badge")).to_have_text("On a call")
    expect(card.locator(".call .what")).to_have_text("Inbound call · answered · Help line")
    online = api.get("/v2/onlineusers", params={"projects": AGENTS_PROJECT}).json()["response"]
    assert [user["userId"] for user in online] == [ANNA]
    # both clocks tick from the same snapshot: the call began 2 s before the state
    state_time, call_time = (seconds_of(text) for text in card.evaluate(
        "card => [...card.querySelectorAll('.time')].map(time => time.textContent)"))
    assert call_time - state_time == 2
    expect(card.locator(".call .time")).not_to_have_text(hms(call_time))

    # everything closed: the agent is offline and the card goes
    t = int(time.time())
    post(api, "/v2/events", [
        userstate("wall-s2", "call", t - 60, t, AGENTS_PROJECT, ANNA),
        call("wall-c1", "in", t - 62, t - 60, t, AGENTS_PROJECT, ANNA),
        queue_call("wall-q1", HELP_QUEUE, t - 77, t - 60, t, AGENTS_PROJECT, ANNA),
    ])
    expect(card).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    expect(page.locator("#wall-agents-empty")).to_be_visible()
    expect(page.locator("#wallboard-status")).to_have_text("Live.")


# Queues ----------------------------------------------------------------------------------

def expected_tile(queue: dict[str, Any]) -> dict[str, str]:
    """The figures of a queue tile but the ticking longest wait, from the API's record."""
    return {"waiting": f"{queue['waiting']:,}", "talking": f"{queue['talking']:,}",
            "serviceLevel": share(queue["serviceLevel"]),
            "abandoned": f"{queue['abandoned']:,}",
            "asa": NO_VALUE if queue["asa"] is None else hms(queue["asa"])}


def test_queue_tiles_equal_the_api_and_the_longest_wait_ticks(
        page: Page, demo: Demo, api: httpx.Client, named: None) -> None:
    t = int(time.time())
    # today's closed calls: answered after 10 s and 50 s, one abandoned (if the customer's
    # midnight falls in the last minutes, they are yesterday's: the API says which)
    post(api, "/v2/events", [
        queue_call("wall-q2", SALES_QUEUE, t - 300, t - 290, t - 200, QUEUES_PROJECT, BENCE),
        queue_call("wall-q3", SALES_QUEUE, t - 250, t - 200, t - 100, QUEUES_PROJECT, BENCE),
        queue_call("wall-q4", SALES_QUEUE, t - 150, None, t - 140, QUEUES_PROJECT, None),
    ])
    open_wallboard(page, demo.url, demo.key, str(QUEUES_PROJECT))
    options = {"projects": QUEUES_PROJECT}
    before = api.get("/v2/realtime/queues", params=options).json()["response"]
    assert [queue["queueId"] for queue in before] == [SALES_QUEUE]
    for name, text in expected_tile(before[0]).items():
        expect(figure(page, SALES_QUEUE, name)).to_have_text(text)
    expect(figure(page, SALES_QUEUE, "longestWait")).to_have_text(NO_VALUE)
    expect(page.locator(f'#wall-queues li[data-id="{SALES_QUEUE}"] h4')).to_have_text(
        "Sales line")

    # a caller starts waiting: the tile counts them and their wait ticks
    post(api, "/v2/events", [going(queue_call("wall-q5", SALES_QUEUE, int(time.time()) - 40,
                                              None, None, QUEUES_PROJECT, None))])
    expect(figure(page, SALES_QUEUE, "waiting")).to_have_text("1", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator(f'#wall-queues li[data-id="{SALES_QUEUE}"]')).to_have_class(
        "queue-tile waiting")
    low = api.get("/v2/realtime/queues", params=options).json()["response"][0]
    wait = figure(page, SALES_QUEUE, "longestWait")
    shown = wait.inner_text()
    high = api.get("/v2/realtime/queues", params=options).json()["response"][0]
    # the page adds whole seconds since the snapshot arrived, after the server floored its
    # own: it is behind by less than 2 s plus the snapshot's delivery, never ahead
    assert low["longestWait"] - 2 <= seconds_of(shown) <= high["longestWait"]
    expect(wait).not_to_have_text(shown)
    for name, text in expected_tile(high).items():
        expect(figure(page, SALES_QUEUE, name)).to_have_text(text)


def test_leaving_the_wallboard_closes_the_stream(page: Page, demo: Demo) -> None:
    open_wallboard(page, demo.url, demo.key)
    closed: list[str] = []
    page.on("requestfailed", lambda request: closed.append(request.url)
            if STREAM in request.url else None)
    with page.expect_event("requestfailed", lambda request: STREAM in request.url):
        page.get_by_role("button", name="Overview").click()
    assert len(closed) == 1
    expect(page.locator("#wallboard")).to_be_hidden()
    page.go_back()
    expect(page.locator("#wallboard")).to_have_attribute("data-stream", "live",
                                                         timeout=LIVE_TIMEOUT_MS)
    assert "view=wallboard" in page.evaluate("location.hash")


# A server of its own: restarted, and a key revoked -----------------------------------

class Server:
    """`ccstats serve` on a fixed database and port, which can be stopped and started."""

    def __init__(self, folder: Path) -> None:
        self.db = str(folder / "wall.duckdb")
        self.log = folder / "serve.log"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(CCSTATS), "serve", "--port", str(self.port), "--db", self.db],
                stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            if "Uvicorn running" in self.log.read_text(errors="replace"):
                return
            time.sleep(0.1)
        pytest.fail(f"ccstats serve did not start:\n{self.log.read_text(errors='replace')}")

    def stop(self) -> None:
        """Stop the server as a service manager does (SIGTERM), open streams and all."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=60)
            self.process = None


CUSTOMER, PASSWORD = "wall", "wall-pass"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    own = Server(tmp_path_factory.mktemp("wall"))
    created = subprocess.run([str(CCSTATS), "customer", "create", CUSTOMER, "--password",
                              PASSWORD, "--db", own.db], capture_output=True, text=True,
                             check=False)
    assert created.returncode == 0, created.stderr
    own.start()
    yield own
    own.stop()


@pytest.fixture
def own_page(browser: Browser, server: Server) -> Iterator[Page]:
    """A page of the own server; connections refused while it is down are expected."""
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    opened = context.new_page()
    watch = PageWatch(opened, (server.url,))
    yield opened
    context.close()
    watch.errors = [error for error in watch.errors if "net::ERR_" not in error]
    watch.check()


def test_the_wallboard_reconnects_after_a_server_restart(own_page: Page,
                                                         server: Server) -> None:
    with httpx.Client(base_url=server.url, auth=(CUSTOMER, PASSWORD), timeout=30) as client:
        post(client, "/v2/users", {"userid": 7, "name": "Réka", "kind": "agent"})
        post(client, "/v2/events", [going(userstate("r1", "break", int(time.time()) - 30,
                                                    None, 1, 7))])
    open_wallboard(own_page, server.url, PASSWORD, customer=CUSTOMER)
    expect(agent(own_page, 7)).to_have_attribute("data-state", "break")

    server.stop()
    board = own_page.locator("#wallboard")
    expect(board).to_have_attribute("data-stream", "reconnecting", timeout=LIVE_TIMEOUT_MS)
    expect(own_page.locator("#wallboard-status")).to_contain_text("Reconnecting…")
    expect(agent(own_page, 7)).to_be_visible()  # the last snapshot stays, dimmed

    server.start()
    expect(board).to_have_attribute("data-stream", "live", timeout=RECONNECT_TIMEOUT_MS)
    with httpx.Client(base_url=server.url, auth=(CUSTOMER, PASSWORD), timeout=30) as client:
        t = int(time.time())
        post(client, "/v2/events", [userstate("r1", "break", t - 40, t, 1, 7),
                                    going(userstate("r2", "available", t, None, 1, 7))])
    expect(agent(own_page, 7)).to_have_attribute("data-state", "available",
                                                  timeout=LIVE_TIMEOUT_MS)


def test_a_revoked_key_stops_the_wallboard(own_page: Page, server: Server) -> None:
    with httpx.Client(base_url=server.url, auth=(CUSTOMER, PASSWORD), timeout=30) as client:
        created = post(client, "/v2/keys", {"scopes": ["read"]})
        open_wallboard(own_page, server.url, created["key"], customer=CUSTOMER)
        revoked = client.delete(f"/v2/keys/{created['keyid']}")
        assert revoked.status_code == 200, revoked.text
    board = own_page.locator("#wallboard")
    expect(board).to_have_attribute("data-stream", "stopped", timeout=RECONNECT_TIMEOUT_MS)
    expect(own_page.locator("#wallboard-status")).to_contain_text("Stopped:")


@pytest.fixture
def axe_page(browser: Browser) -> Iterator[Page]:
    """A page in which axe-core can be injected (see test_accessibility)."""
    context = browser.new_context(bypass_csp=True, locale="en-US")
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_wallboard_is_accessible_and_fits(axe_page: Page, demo: Demo, width: int) -> None:
    """WCAG 2 A/AA: the demo's live shift shows agents in several states, calls, queues."""
    axe_page.set_viewport_size({"width": width, "height": 800})
    open_wallboard(axe_page, demo.url, demo.key)
    expect(axe_page.locator("#wall-agents li").first).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    assert violations(axe_page) == []
    widths = axe_page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1]


def test_refused_options_stop_the_wallboard_with_the_api_message(
        page: Page, demo: Demo, api: httpx.Client) -> None:
    refused = api.get(STREAM, params={"projects": "all"})
    assert refused.status_code == 417
    message = refused.json()["errors"][0]["message"]
    open_wallboard(page, demo.url, demo.key, "all", state="stopped")
    expect(page.locator("#wallboard-status")).to_have_text(f"Stopped: {message}")
