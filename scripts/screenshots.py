"""Regenerate the dashboard's screenshots in ``docs/`` (``make screenshots``).

Starts ``ccstats demo`` on a temporary database and a free port, signs in with the
credentials it prints, opens one report (the demo's last week by date, time slot
and user) in Debian's Chromium driven by Playwright, and saves:

- ``docs/dashboard-desktop.png``: the builder, the charts (1280x800);
- ``docs/dashboard-table.png``: the heat map and the table (1280x800, scrolled);
- ``docs/dashboard-phone-sign-in.png`` and ``docs/dashboard-phone.png``: the sign-in
  and the results at phone width (390x844).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

DOCS = Path(__file__).resolve().parents[1] / "docs"
CCSTATS = Path(sys.executable).parent / "ccstats"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
FIELDS = "userstateAvailable,userstateCall,userstateBreak,callOutReached,callInAnswered"
CHARTED = ["userstateCall.sum", "callOutReached.count"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_demo(db: Path, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """`ccstats demo` and what it printed up to the moment it serves."""
    process = subprocess.Popen([str(CCSTATS), "demo", "--port", str(port), "--db", str(db)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    printed = ""
    while "Uvicorn running" not in printed and process.poll() is None:
        printed += process.stdout.readline().decode()
    return process, printed


def sign_in(page: Page, url: str, key: str, query: str) -> None:
    page.goto(f"{url}/#{query}")
    page.get_by_label("API key", exact=True).fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#results[data-state=shown]", timeout=60_000)
    page.get_by_label("Charted KPIs").select_option(CHARTED)


def main() -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("Chromium is missing: `make screenshots` installs Debian's chromium")
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        process, printed = start_demo(Path(folder) / "demo.duckdb", free_port())
        try:
            served = re.search(r"ccstats demo on (http://\S+?)/ \(data from \S+ to (\S+)\)",
                               printed)
            credentials = re.search(r"API key: (\S+)", printed)
            if not served or not credentials:
                sys.exit(f"ccstats demo did not start:\n{printed}")
            url, key = served.group(1), credentials.group(1)
            last = date.fromisoformat(served.group(2))
            week = (f"from={(last - timedelta(days=6)):%Y%m%d}&to={last:%Y%m%d}"
                    f"&dimensions=date,time,user&fields={FIELDS}")
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                desktop = browser.new_page(viewport={"width": 1280, "height": 800},
                                           locale="en-US")
                sign_in(desktop, url, key, week)
                desktop.screenshot(path=DOCS / "dashboard-desktop.png")
                desktop.evaluate("document.getElementById('heatmap-title')"
                                 ".scrollIntoView({block: 'start'})")
                desktop.screenshot(path=DOCS / "dashboard-table.png")

                phone = browser.new_page(viewport={"width": 390, "height": 844},
                                         locale="en-US", device_scale_factor=1)
                phone.goto(url + "/")
                phone.screenshot(path=DOCS / "dashboard-phone-sign-in.png")
                sign_in(phone, url, key, week)
                phone.evaluate("document.getElementById('results-title')"
                               ".scrollIntoView({block: 'start'})")
                phone.screenshot(path=DOCS / "dashboard-phone.png")
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=30)
    for name in sorted(DOCS.glob("dashboard-*.png")):
        print(name.relative_to(DOCS.parent))


if __name__ == "__main__":
    main()
