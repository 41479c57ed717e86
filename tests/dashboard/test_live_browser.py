"""The live dashboard in real Chromium (the system's, driven by Playwright), on each sandbox:
the helpdesk's own webhook calls ``ticketbot serve``, which triages a new ticket; the ticket
list open in the browser shows its row within 3 s of the note being written, without a reload;
the page's connection dropped (the browser offline) while another ticket is triaged, it catches
up when the connection comes back. The dashboard is the real command, in its own process,
reading the store serve writes. An agent rates on a ticket's page: a double click is one rating.

Marker ``browser``: deselected by the README's test line; ``.ci/run`` runs ``pytest -m browser``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.dashboard import TOKEN, start_dashboard
from support.hooked import hooked_serving, wait_for_notes

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = [pytest.mark.desk(configure=True, seed=None, unlimited=True), pytest.mark.browser]
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


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


def _row(ticket_id: int) -> str:
    return f'tr[data-ticket-id="{ticket_id}"]'


def test_a_ticket_serve_triages_appears_in_the_open_list_without_a_reload(
    desk: Desk, browser: Any, tmp_path: Path
) -> None:
    with (
        hooked_serving(desk, tmp_path),
        start_dashboard(env={"TICKETBOT_DASHBOARD_TOKEN": TOKEN}) as url,
    ):
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "/login")
        page.fill('input[name="token"]', TOKEN)
        with page.expect_navigation():
            page.click('button[type="submit"]')
        page.goto(url + "/tickets")
        page.evaluate("window.keptSinceLoad = true")  # gone if the page were loaded again

        (first,) = desk.create([NewTicket("Refund not received", "I was charged twice.")])
        assert page.locator(_row(first)).count() == 0
        assert wait_for_notes(desk, [first]) == {first: 1}
        page.wait_for_selector(_row(first), timeout=3000)
        assert page.evaluate("window.keptSinceLoad") is True

        context.set_offline(True)  # the connection drops
        (second,) = desk.create([NewTicket("Cannot log in", "The reset email never arrives.")])
        assert wait_for_notes(desk, [second]) == {second: 1}
        context.set_offline(False)  # the browser comes back by itself, with Last-Event-ID
        page.wait_for_selector(_row(second), timeout=15000)
        assert page.evaluate("window.keptSinceLoad") is True
        assert page.locator(_row(first)).count() == 1
        context.close()


def test_an_anonymous_browser_gets_nothing_on_a_dashboard_with_a_token(
    desk: Desk, browser: Any, tmp_path: Path
) -> None:
    with start_dashboard(env={"TICKETBOT_DASHBOARD_TOKEN": TOKEN}) as url:
        context = browser.new_context()
        page = context.new_page()
        refused = page.request.get(url + "/events")
        assert refused.status == 401
        assert "decision" not in refused.text()
        page.goto(url + "/login")  # an open page, where a script could try the stream
        state = page.evaluate(
            """() => new Promise((done) => {
                const source = new EventSource("/events");
                source.onmessage = () => done("message");
                source.onerror = () =>
                    done(source.readyState === EventSource.CLOSED ? "closed" : "retrying");
            })"""
        )
        assert state == "closed"
        page.goto(url + "/tickets")
        assert page.url == url + "/login"
        context.close()


def test_an_agent_rates_on_the_ticket_page_and_a_double_click_counts_once(
    desk: Desk, browser: Any, tmp_path: Path
) -> None:
    (ticket,) = desk.create([NewTicket("Refund not received", "I was charged twice.")])
    assert invoke("run", "--engine", "rules").exit_code == 0
    with start_dashboard(env={"TICKETBOT_DASHBOARD_TOKEN": TOKEN}) as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "/login")
        page.fill('input[name="token"]', TOKEN)
        with page.expect_navigation():
            page.click('button[type="submit"]')
        page.goto(f"{url}/tickets/{ticket}")
        row = page.locator('#ratings tr[data-target="analysis"]')
        row.locator('input[name="reason"]').fill("the customer wanted a refund, not billing help")
        with page.expect_navigation():
            row.locator('button[value="not_helped"]').dblclick()
        page.wait_for_selector('#rated li[data-verdict="not_helped"]')
        assert page.locator("#rated li").count() == 1
        assert "the customer wanted a refund" in page.locator("#rated").inner_text()
        context.close()
