"""The dashboard's service levels over HTTP on a real uvicorn server, on SQLite and
PostgreSQL (marker ``postgres``): the list sorted by time to breach (``sort=breach``, a link,
no script) puts the soonest deadline first, an overdue one before it, tickets with no clock
last, and marks the tickets at risk; a ticket solved since the last SLA read shows no clock; a
ticket's page shows each clock (its target, breach time, stage, at risk and the likelihood),
escaped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from markupsafe import escape

from ticket_processor.audit.store import AuditStore
from ticket_processor.dashboard.access import Access
from ticket_processor.dashboard.server import serve_in_thread
from ticket_processor.dashboard.web import DashboardConfig, build_app

ACCOUNT = "zendesk:127.0.0.1"
HOSTILE = "<script>alert(1)</script>"
NOW = datetime.now(UTC).replace(microsecond=0)


def _clock(
    ticket: int, metric: str, stage: str, minutes: float | None, **more: Any
) -> dict[str, Any]:
    return {
        "helpdesk": "zendesk",
        "ticket_id": ticket,
        "metric": metric,
        "stage": stage,
        "breach_at": None if minutes is None else NOW + timedelta(minutes=minutes),
        **more,
    }


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    database = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    state = tmp_path / "state"
    with AuditStore.open(database, state_dir=state, account=ACCOUNT) as store:
        store.upsert_decisions(
            [
                {
                    "run_id": "r1",
                    "at": NOW - timedelta(minutes=60 - i),
                    "helpdesk": "zendesk",
                    "status": "written",
                    "ticket_id": ticket,
                    "subject": f"ticket {ticket}",
                    "category": "billing",
                }
                for i, ticket in enumerate([1, 2, 3, 4, 5])
            ]
        )
        # An older read: ticket 5 had a clock then, and has been solved since.
        earlier = NOW - timedelta(minutes=30)
        store.upsert_sla_clocks(
            [{**_clock(5, "first_reply", "active", 5), "at": earlier, "run_id": "r0"}]
        )
        latest = [
            _clock(1, "resolution", "active", 600),
            _clock(2, "first_reply", "active", 25, at_risk=True, probability=0.82, queue_ahead=3),
            _clock(2, "resolution", "paused", 300),
            _clock(3, "first_reply", "breached", -10),
            _clock(4, "first_reply", "achieved", 40),
            _clock(4, HOSTILE, "active", 90),
        ]
        store.upsert_sla_clocks([{**c, "at": NOW, "run_id": "r2"} for c in latest])
    app = build_app(
        DashboardConfig(
            open_store=lambda: AuditStore.open(database, state_dir=state, account=ACCOUNT),
            access=Access(token=None, proxy_header=None, review=False, loopback=True),
        )
    )
    with serve_in_thread(app) as served:
        yield served


def _rows(url: str, **params: str) -> tuple[str, list[int]]:
    page = httpx.get(url + "/tickets", params=params, timeout=20)
    assert page.status_code == 200
    return page.text, [int(i) for i in re.findall(r'<tr data-ticket-id="(\d+)"', page.text)]


def test_the_list_sorts_by_time_to_breach_and_marks_those_at_risk(url: str) -> None:
    text, order = _rows(url)
    assert order == [5, 4, 3, 2, 1]  # newest first, as before
    assert 'href="/tickets?sort=breach"' in text  # a link: no script needed
    text, order = _rows(url, sort="breach")
    # Overdue first, then the soonest deadline; the paused and achieved clocks count for
    # nothing; ticket 5's clock is from an older read (solved since): no clock, last.
    assert order == [3, 2, 4, 1, 5]
    assert _rows(url, sort="breach", order="desc")[1] == [1, 4, 2, 3, 5]
    (marked,) = re.findall(r'<tr data-ticket-id="(\d+)"[^>]*data-sla-at-risk="true"', text)
    assert marked == "2"
    row = text.split('<tr data-ticket-id="2"')[1].split("</tr>")[0]
    assert f"{NOW + timedelta(minutes=25):%Y-%m-%d %H:%M}" in row
    assert "at risk" in row


def test_a_tickets_page_shows_each_clock(url: str) -> None:
    page = httpx.get(url + "/tickets/2", params={"helpdesk": "zendesk"}, timeout=20)
    assert page.status_code == 200
    section = page.text.split('<section id="sla">')[1].split("</section>")[0]
    first, resolution = re.findall(r'<tr data-metric="(\w+)" data-stage="(\w+)">', section)
    assert first == ("first_reply", "active")
    assert resolution == ("resolution", "paused")
    first_row = section.split('data-metric="first_reply"')[1].split("</tr>")[0]
    assert "first reply" in first_row
    assert f"{NOW + timedelta(minutes=25):%Y-%m-%d %H:%M}" in first_row
    assert "at risk" in first_row
    assert "82%" in first_row
    assert ">3<" in first_row  # the queue ahead
    paused_row = section.split('data-metric="resolution"')[1].split("</tr>")[0]
    assert "at risk" not in paused_row

    hostile = httpx.get(url + "/tickets/4", timeout=20).text
    assert HOSTILE not in hostile
    assert str(escape(HOSTILE)) in hostile
    assert 'data-stage="achieved"' in hostile
    # The solved ticket's old clock is not shown; a ticket with none has no section.
    assert '<section id="sla">' not in httpx.get(url + "/tickets/5", timeout=20).text
