"""The risk end to end, on each sandbox, through the CLI, with the rules' fallback (no head
learned): a calm question is low, an angry critical one is high, its tag and note say so, a
``risk = "high"`` route matches it, and the customer's angrier reply scores it again."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from support.cli import invoke
from support.clock import FakeClock
from support.dashboard import TOKEN, bearer, rows_of, start_dashboard

from ticket_processor.sandbox.desks import Desk, NewTicket

ROUTES = """
[[route]]
name = "likely to end badly"
when = { risk = "high" }
add_tags = ["watch_closely"]
"""
CALM = NewTicket("Question about invoices", "Hello, where can I download my invoices? Thanks!")
ANGRY = NewTicket(
    "Production is down, this is unacceptable",
    "Emergency: production is down, a total outage, and nobody answers. This is unacceptable, "
    "we are losing money every minute. I am furious. Fix it immediately!",
)
QUIET = NewTicket("Export question", "How do I export my reports to CSV?")


def _risk_tags(tags: tuple[str, ...] | list[str]) -> list[str]:
    return [t for t in tags if t in ("ai_risk_low", "ai_risk_medium", "ai_risk_high")]


@pytest.mark.desk(configure=True)
def test_each_ticket_gets_a_risk_tag_note_and_route(desk: Desk, tmp_path: Path) -> None:
    calm, angry = desk.create([CALM, ANGRY])
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, encoding="utf-8")
    result = invoke("run", "--engine", "rules", env={"TICKETBOT_ROUTES": str(routes)})
    assert result.exit_code == 0, result.output
    calm_snap, angry_snap = desk.snapshot(calm), desk.snapshot(angry)
    assert _risk_tags(calm_snap.tags) == ["ai_risk_low"], calm_snap.tags
    assert _risk_tags(angry_snap.tags) == ["ai_risk_high"], angry_snap.tags
    assert "ai_watch_closely" in angry_snap.tags
    assert "ai_watch_closely" not in calm_snap.tags
    (note,) = angry_snap.notes
    assert "Risk of ending badly: high" in note
    assert "- negative sentiment" in note
    assert "urgency critical" in note or "urgency high" in note

    # The run's decisions in the audit store: a risk column and filter on the dashboard's list.
    with start_dashboard(env={"TICKETBOT_DASHBOARD_TOKEN": TOKEN}) as url:
        client = httpx.Client(base_url=url, headers=bearer(), timeout=30)
        listed = rows_of(client.get("/tickets").text)
        assert "risk-high" in listed[angry]
        assert "risk-low" in listed[calm]
        assert set(rows_of(client.get("/tickets", params={"risk": "high"}).text)) == {angry}
        assert set(rows_of(client.get("/tickets", params={"risk": "low"}).text)) == {calm}


@pytest.mark.desk(clock="desk_clock", configure=True)
def test_a_customer_reply_scores_the_risk_again(desk: Desk, desk_clock: FakeClock) -> None:
    (ticket_id,) = desk.create([QUIET])
    assert invoke("run", "--engine", "rules").exit_code == 0
    assert _risk_tags(desk.snapshot(ticket_id).tags) == ["ai_risk_low"]
    desk_clock.advance(5)
    desk.requester_says(
        ticket_id,
        "This is unacceptable. Urgent: the export still fails and our whole team is blocked, "
        "I am furious, fix it immediately!",
    )
    desk_clock.now = float(int(time.time()))
    assert invoke("run", "--engine", "rules").exit_code == 0
    snap = desk.snapshot(ticket_id)
    assert _risk_tags(snap.tags) == ["ai_risk_high"], snap.tags  # the low tag replaced
    assert "Risk of ending badly: high" in snap.notes[-1]
