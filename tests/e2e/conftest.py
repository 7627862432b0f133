"""Fixtures of the dashboard's end-to-end tests: `ccstats demo` and headless Chromium.

- `demo`: the real ``ccstats demo`` (what ``make run`` starts) on a fresh database
  and a free port, once per session; its URL as the printed ``demo.localhost`` host
  and as ``127.0.0.1``, the printed credentials and the range of its data.
- `api`: an httpx client of the same server with the demo's credentials, for the
  answers the page is compared with.
- `browser`: Debian's Chromium (``make test`` installs it) driven by Playwright.
- `page`: a fresh browser context at 1280x800 per test. After the test it checks
  that the page requested nothing outside the server, that no asset failed to
  load and that no script raised an error.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)

CCSTATS = Path(sys.executable).parent / "ccstats"
STARTUP_SECONDS = 120.0
#: Headless as root, with no background traffic (the machine has no network).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}


@dataclass(frozen=True, slots=True)
class Demo:
    """The running demo server and what it printed."""

    url: str
    """``http://demo.localhost:PORT``: the customer comes from the host."""
    local_url: str
    """``http://127.0.0.1:PORT``: the customer comes from the sign-in name."""
    customer: str
    key: str
    first: dt.date
    last: dt.date


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start_demo(db: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`ccstats demo` on a free port, printing into `log` (a file, so that the server
    never blocks on a full pipe); returns the process and what it printed until it served."""
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(CCSTATS), "demo", "--port", str(port), "--db", str(db)],
            stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        if "Uvicorn running" in log.read_text(errors="replace"):
            break
        time.sleep(0.1)
    return process, log.read_text(errors="replace")


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("demo")
    process, printed = _start_demo(folder / "demo.duckdb", folder / "demo.log")
    try:
        served = re.search(r"ccstats demo on (http://\S+?)/ \(data from (\S+) to (\S+)\)", printed)
        credentials = re.search(r"customer: (\S+)\s+API key: (\S+)", printed)
        if process.poll() is not None or not served or not credentials:
            pytest.fail(f"ccstats demo did not start:\n{printed}")
        url = served.group(1)
        port = httpx.URL(url).port
        yield Demo(url, f"http://127.0.0.1:{port}", credentials.group(1), credentials.group(2),
                   dt.date.fromisoformat(served.group(2)), dt.date.fromisoformat(served.group(3)))
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def api(demo: Demo) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo.local_url, auth=(demo.customer, demo.key),
                      timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Chromium is not installed: `make test` installs Debian's chromium "
                    "(apt-get install -y chromium)")
    launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


class PageWatch:
    """What a page did that a test must not allow: foreign requests, failed assets, errors."""

    def __init__(self, page: Page, origins: tuple[str, ...]) -> None:
        self.origins = origins
        self.foreign: list[str] = []
        self.failed_assets: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self._request(request.url))
        page.on("response", lambda response: self._response(response.url, response.status))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", self._console)

    def _request(self, url: str) -> None:
        if not url.startswith(self.origins) and not url.startswith(("blob:", "data:")):
            self.foreign.append(url)

    def _response(self, url: str, status: int) -> None:
        if status >= 400 and "/v2/" not in url:
            self.failed_assets.append(f"{status} {url}")

    def _console(self, message: ConsoleMessage) -> None:
        # the browser reports each API error answer (401, 417) as a failed resource;
        # those are expected where a test provokes them, anything else is a fault
        if message.type == "error" and not message.text.startswith(
                "Failed to load resource: the server responded with a status of"):
            self.errors.append(message.text)

    def check(self) -> None:
        assert self.foreign == [], "the page requested URLs outside the server"
        assert self.failed_assets == []
        assert self.errors == []


@pytest.fixture
def page(browser: Browser, demo: Demo) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, locale="en-US", accept_downloads=True)
    opened = context.new_page()
    watch = PageWatch(opened, (demo.url, demo.local_url))
    yield opened
    context.close()
    watch.check()
