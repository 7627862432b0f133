"""WCAG 2 A and AA checks (contrast, labels, names, roles) by axe-core in the page.

axe-core is vendored under ``vendor/`` (see its README). The page's
Content-Security-Policy admits only the server's own scripts, so these contexts
bypass it to inject axe; everything else is as a user sees it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from e2e.conftest import Demo
from e2e.report_page import api_date, check_kpis, sign_in

AXE = Path(__file__).with_name("vendor") / "axe.min.js"


@pytest.fixture
def axe_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(bypass_csp=True, locale="en-US")
    yield context.new_page()
    context.close()


def violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=AXE)
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})).violations
             .map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))""")
    return found


@pytest.mark.parametrize("width", [390, 1280])
def test_sign_in_page(axe_page: Page, demo: Demo, width: int) -> None:
    axe_page.set_viewport_size({"width": width, "height": 800})
    axe_page.goto(demo.url + "/")
    assert violations(axe_page) == []


@pytest.mark.parametrize("width", [390, 1280])
def test_report_with_charts_table_and_an_error(axe_page: Page, demo: Demo, width: int) -> None:
    axe_page.set_viewport_size({"width": width, "height": 800})
    # one day keeps the table small: axe checks the contrast of every cell
    day = (f"from={api_date(demo.first)}&to={api_date(demo.first)}"
           "&dimensions=date,time,user&fields=userstateAvailable,callOutReached")
    sign_in(axe_page, demo, day)
    check_kpis(axe_page, ["ticketClosed"])  # opens two families with their descriptions
    assert violations(axe_page) == []

    axe_page.locator("#to").fill("20261")
    axe_page.get_by_role("button", name="Run report").click()
    axe_page.wait_for_selector("#results[data-state=failed]")
    assert violations(axe_page) == []


@pytest.mark.parametrize("width", [390, 1280])
def test_overview_with_tiles_table_definitions_and_an_error(
        axe_page: Page, demo: Demo, width: int) -> None:
    axe_page.set_viewport_size({"width": width, "height": 800})
    axe_page.goto(demo.url + "/")
    axe_page.get_by_label("API key", exact=True).fill(demo.key)
    axe_page.get_by_role("button", name="Sign in").click()
    axe_page.wait_for_selector("#overview[data-state=shown]")
    axe_page.get_by_text("What the KPIs mean").click()
    assert violations(axe_page) == []

    axe_page.get_by_label("Service level threshold").fill("0")
    axe_page.get_by_role("button", name="Show", exact=True).click()
    axe_page.wait_for_selector("#overview[data-state=failed]")
    assert violations(axe_page) == []
