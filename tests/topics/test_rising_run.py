"""A run adds its categories to the day's counts; a category far above its baseline alerts once
and shows in ``report``; a steady day alerts nothing."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.webhook import Receiver

from ticket_processor.sandbox.desks import NewTicket
from ticket_processor.topics.rising import DailyCounts, load_counts, save_counts

pytestmark = pytest.mark.desk(seed=5, configure=True)

REFUNDS = [
    NewTicket(f"Refund {n}", f"I want my money back for order {n}, refund please")
    for n in range(12)
]
# One fault many customers report (requests, however many, never make an incident).
# Customers of an organisation the helpdesk knows: an incident counts them (first-seen
# addresses alone are only suggested).
REFUND_FAULTS = [
    NewTicket(
        f"Refund error {n}",
        f"The refund for order {n} fails: error 500 every time I click the refund button",
        organization=7,
    )
    for n in range(12)
]


def _history(state: Path, per_day: dict[str, int]) -> None:
    counts = DailyCounts({}, {})
    today = datetime.now(UTC).date()
    for back in range(14, 0, -1):
        counts.add(today - timedelta(days=back), per_day)
    state.mkdir(parents=True, exist_ok=True)
    save_counts(state, counts)


def _rising_alerts(receiver: Receiver) -> list[str]:
    return [b["text"] for b in receiver.bodies if "category rising" in b["text"]]


def test_a_burst_alerts_once_and_shows_in_the_report(
    desk: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_ALERT_WEBHOOK", receiver.url)
    state = Path(os.environ["TICKETBOT_STATE_DIR"])
    _history(state, {"refund": 1, "bug": 2})
    desk.create(REFUNDS)
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    alerts = _rising_alerts(receiver)
    assert len(alerts) == 1
    assert "refund" in alerts[0]
    assert load_counts(state).days[datetime.now(UTC).date().isoformat()]["refund"] >= 8

    desk.create([NewTicket("Refund again", "Refund my order 99 please, money back")])
    assert invoke("run", "--engine", "rules").exit_code == 0
    assert len(_rising_alerts(receiver)) == 1  # once a day, however many runs

    report = invoke("report", "--since", "1d")
    assert report.exit_code == 0, report.output
    assert "Categories per day" in report.output
    assert "rising" in report.output
    page = state.parent / "report.html"
    assert invoke("report", "--since", "1d", "--html", str(page)).exit_code == 0
    html = page.read_text()
    assert "Categories per day" in html
    assert "<polyline" in html
    assert "<b>rising</b>" in html


def test_a_steady_day_alerts_nothing(
    desk: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_ALERT_WEBHOOK", receiver.url)
    state = Path(os.environ["TICKETBOT_STATE_DIR"])
    _history(state, {"refund": 12})
    desk.create(REFUNDS)
    assert invoke("run", "--engine", "rules").exit_code == 0
    assert _rising_alerts(receiver) == []


def test_a_dry_run_counts_nothing(desk: Any) -> None:
    state = Path(os.environ["TICKETBOT_STATE_DIR"])
    desk.create(REFUNDS[:3])
    assert invoke("run", "--engine", "rules", "--dry-run").exit_code == 0
    assert load_counts(state).days == {}


@pytest.mark.slow
@pytest.mark.desk(kinds=("zendesk",), seed=5, configure=True)
def test_a_rise_an_incident_explains_alerts_once_in_the_incidents_alert(
    desk: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twelve customers reporting one fault: the incident's alert names the refund rise, and no
    ``category rising`` alert says it a second time (the real encoder groups them)."""
    monkeypatch.setenv("TICKETBOT_ALERT_WEBHOOK", receiver.url)
    monkeypatch.setenv("TICKETBOT_INCIDENTS", "true")
    state = Path(os.environ["TICKETBOT_STATE_DIR"])
    _history(state, {"refund": 1, "bug": 2})
    # The helpdesk's own week, which linking an incident needs: a ticket solved 8 days ago.
    week_ago = datetime.now(UTC) - timedelta(days=8)
    desk.import_answered(
        NewTicket("Where is my invoice?", "Please send last month's invoice."),
        [],
        week_ago.timestamp(),
    )
    desk.create(REFUND_FAULTS)
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    texts = [b["text"] for b in receiver.bodies]
    assert len(texts) == 1, texts
    assert "customers report the same problem" in texts[0]
    assert "Rising with it: refund: 12 today" in texts[0]
    assert _rising_alerts(receiver) == []
