"""A lead's morning in a real browser: headless Chromium (the system's, driven by Playwright)
opens the dashboard after a real run on each sandbox, signs in, filters the list to one
category and to "suggested" through the form, opens a ticket and sees its history, accepts the
suggestion, and sees the helpdesk updated and the overview's agreement figure move. No request
leaves the dashboard's own address.

Marker ``browser``: deselected by the README's test line; ``.ci/run`` installs Chromium when it
is missing and runs ``pytest -m browser``. Without /usr/bin/chromium the test fails, loudly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.dashboard import TOKEN, calibrated_model, fill, start_dashboard, triaged

from ticket_processor.sandbox.desks import Desk

pytestmark = [pytest.mark.desk(configure=True), pytest.mark.browser]
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return calibrated_model(tmp_path_factory.mktemp("browser-model"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert CHROMIUM.is_file(), (
        f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does) to run -m browser"
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


# Every click that leaves the page waits for the next one (expect_navigation): an action on
# the page being left would race the navigation.


def _agreement(page: Any) -> str:
    cell = page.locator('[data-agreement="category"]')
    return str(cell.inner_text()) if cell.count() else "none"


def test_a_lead_filters_opens_and_accepts_in_a_browser(
    desk: Desk, model: Path, browser: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ids = fill(desk, monkeypatch, model)
    logged = triaged(tmp_path / "logs")
    suggested = [i for i in ids if logged[i]["decisions"].get("category") == "suggest"]
    assert suggested, "the run must leave a suggestion to accept"
    category = str(logged[suggested[0]]["category"])
    want = {i for i in suggested if logged[i]["category"] == category}
    with start_dashboard("--review", env={"TICKETBOT_DASHBOARD_TOKEN": TOKEN}) as url:
        context = browser.new_context()
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))

        page.goto(url + "/")
        assert page.url == url + "/login"
        page.fill('input[name="token"]', TOKEN)
        with page.expect_navigation():
            page.click('button[type="submit"]')
        page.wait_for_url(url + "/")
        before = _agreement(page)

        with page.expect_navigation():
            page.click('nav a[href="/tickets"]')
        page.select_option('select[name="category"]', category)
        with page.expect_navigation():
            page.click('form.filters button[type="submit"]')
        page.select_option('select[name="decision"]', "suggested")
        with page.expect_navigation():
            page.click('form.filters button[type="submit"]')
        assert f"category={category}" in page.url
        assert "decision=suggested" in page.url
        rows = page.locator("tr[data-ticket-id]")
        shown = {int(rows.nth(i).get_attribute("data-ticket-id")) for i in range(rows.count())}
        assert shown == want

        first = sorted(want)[0]
        with page.expect_navigation():
            page.click(f'tr[data-ticket-id="{first}"] a')
        page.wait_for_url(f"{url}/tickets/{first}*")
        assert page.locator('#history li[data-kind="triage"]').count() >= 1
        assert "first triage" in page.locator("#history").inner_text()

        with page.expect_navigation():
            page.click('#pending tr[data-field="category"] button[name="accept"]')
        page.wait_for_url(f"{url}/tickets/{first}*")
        assert "written (run " in page.locator("#result").inner_text()
        assert page.locator('#history li[data-kind="review"]').count() == 1
        assert page.locator("#pending").count() == 0
        tags = desk.snapshot(first).tags
        assert f"ai_category_{category}" in tags
        assert "ai_suggested_category" not in tags

        with page.expect_navigation():
            page.click('nav a[href="/"]')
        assert _agreement(page) != before
        page.set_viewport_size({"width": 390, "height": 844})  # a phone: still one page
        page.goto(url + "/tickets")
        assert page.locator("tr[data-ticket-id]").count() >= len(want)
        # The list is on the first screen, the filters folded behind "Filters" until tapped.
        row = page.locator("tr[data-ticket-id]").first.bounding_box()
        assert row is not None
        assert row["y"] < 844, row
        assert not page.locator('select[name="category"]').is_visible()
        page.click("#filters-more")
        assert page.locator('select[name="category"]').is_visible()
        context.close()
    strangers = [r for r in requested if not r.startswith(url)]
    assert not strangers, f"requests outside the dashboard: {strangers}"
