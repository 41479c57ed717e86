"""The overview shows the open incidents and the categories rising today when the runs' state
holds them, over HTTP on a real uvicorn server: the incident book and the daily counts written
by their own code, a hostile incident title shown as text, a non-http link left unlinked, a
closed incident not shown, and nothing of either when there is none."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from markupsafe import escape
from support.dashboard import SCRIPT

from ticket_processor.audit.store import AuditStore
from ticket_processor.dashboard.access import Access
from ticket_processor.dashboard.server import serve_in_thread
from ticket_processor.dashboard.signals import read_signals
from ticket_processor.dashboard.web import DashboardConfig, build_app
from ticket_processor.incidents.book import Incident, IncidentBook, save_book
from ticket_processor.incidents.run_pass import STATE_SUBDIR
from ticket_processor.topics.rising import DailyCounts, save_counts

ACCOUNT = "zendesk:127.0.0.1"
FIRST_SEEN = datetime(2026, 11, 24, 22, 15, tzinfo=UTC)


def _incident(key: int, title: str, members: list[int], state: str = "open") -> Incident:
    seen = int(FIRST_SEEN.timestamp())
    return Incident(
        key=key,
        kind="problem",
        centre="",
        title=title,
        members=members,
        requesters=[],
        first_seen=seen,
        last_seen=seen + 600,
        state=state,
    )


def _serve(state: Path, today: date) -> Iterator[str]:
    def link(key: int) -> str:
        return "javascript:alert(1)" if key == 77 else f"https://acme.example/agent/tickets/{key}"

    app = build_app(
        DashboardConfig(
            open_store=lambda: AuditStore.open(None, state_dir=state, account=ACCOUNT),
            access=Access(token=None, proxy_header=None, review=False, loopback=True),
            signals=lambda now: read_signals(state, today, link),
        )
    )
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
def today() -> date:
    return datetime.now(UTC).date()


def test_open_incidents_and_rising_categories_on_the_overview(tmp_path: Path, today: date) -> None:
    state = tmp_path / "state"
    state.mkdir()
    book = IncidentBook(
        [
            _incident(41, "Checkout is down", [1, 2, 3, 4, 5]),
            _incident(77, SCRIPT, [6, 7]),
            _incident(12, "Old outage", [8, 9], state="closed"),
        ]
    )
    save_book(state / STATE_SUBDIR, book)
    days = {
        (today - timedelta(days=n)).isoformat(): {"billing": 2, "shipping": 5} for n in range(1, 15)
    }
    days[today.isoformat()] = {"billing": 30, "shipping": 5}
    save_counts(state, DailyCounts(days, {}))

    for url in _serve(state, today):
        page = httpx.get(url + "/", headers={"accept": "text/html"}, timeout=20)
        assert page.status_code == 200
        html = page.text
        assert 'id="incidents"' in html
        row = html.split('<tr data-incident="41">')[1].split("</tr>")[0]
        assert '<a href="https://acme.example/agent/tickets/41">#41</a>' in row
        assert "Checkout is down" in row
        assert '<td class="n">5</td>' in row  # reports
        assert "2026-11-24 22:15" in row  # first seen
        hostile = html.split('<tr data-incident="77">')[1].split("</tr>")[0]
        assert SCRIPT not in hostile
        assert str(escape(SCRIPT)) in hostile
        assert "javascript:" not in hostile  # not a link
        assert 'data-incident="12"' not in html  # closed
        rising = html.split('<tr data-rising="billing">')[1].split("</tr>")[0]
        assert '<td class="n">30</td>' in rising
        assert '<td class="n">2.0</td>' in rising
        assert "+1400%" in rising
        assert 'data-rising="shipping"' not in html
        # The partial body the page refreshes itself with carries them too.
        partial = httpx.get(url + "/?partial=1", timeout=20).text
        assert 'data-incident="41"' in partial


def test_no_incident_and_no_rise_show_nothing(tmp_path: Path, today: date) -> None:
    state = tmp_path / "state"
    state.mkdir()
    for url in _serve(state, today):
        html = httpx.get(url + "/", timeout=20).text
        assert 'id="incidents"' not in html
        assert 'id="rising"' not in html


def test_a_suggested_incident_is_shown_with_its_tickets_and_why(
    tmp_path: Path, today: date
) -> None:
    """A suggested incident (a helpdesk with too little history to link) is kept in the book
    marked so: the overview shows it, by its earliest report, with its tickets and why."""
    state = tmp_path / "state"
    state.mkdir()
    suggested = _incident(31, "Can't unlock any bike", [31, 33, 35, 38, 40])
    suggested.suggested = True
    suggested.why = "the helpdesk has less than a day of tickets"
    save_book(state / STATE_SUBDIR, IncidentBook([suggested]))
    for url in _serve(state, today):
        html = httpx.get(url + "/", headers={"accept": "text/html"}, timeout=20).text
        row = html.split('<tr data-incident="31" data-suggested="true">')[1].split("</tr>")[0]
        assert "Can&#39;t unlock any bike" in row or "Can't unlock any bike" in row
        assert "suggested, not linked: #31, #33, #35, #38, #40" in row
        assert "less than a day of tickets" in row
        assert '<td class="n">5</td>' in row
