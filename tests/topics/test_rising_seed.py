"""Rising from the first day: a first-ever run (no counts yet) seeds its baseline from the
helpdesk's tickets of the last two weeks, so a spike today alerts on that run and a steady day
does not; a later run reads nothing again. Both helpdesks, through the CLI, incidents off (the
seed reads on its own: ``tests/incidents/test_incident_rises.py`` has it share the incident
pass's reading)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from datetime import time as midnight
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.clock import FakeClock
from support.e2e import events
from support.webhook import Receiver

from ticket_processor.sandbox.desks import NewTicket
from ticket_processor.topics.rising import BASELINE_DAYS, load_counts

DAY = 86400


pytestmark = [
    pytest.mark.desk(clock="desk_clock", configure=True),
    pytest.mark.desk_clock(back=0),
]


def _refunds(tag: str, n: int) -> list[NewTicket]:
    return [
        NewTicket(f"Refund {tag}-{i}", f"I want my money back for order {tag}{i}, refund please")
        for i in range(n)
    ]


def _refund_faults(tag: str, n: int, organization: int | None = None) -> list[NewTicket]:
    """One fault many customers report (requests, however many, never make an incident); with
    ``organization``, customers of an organisation the helpdesk knows, whom an incident counts."""
    return [
        NewTicket(
            f"Refund error {tag}-{i}",
            f"The refund for order {tag}{i} fails: error 500 every time I click the refund button",
            organization=organization,
        )
        for i in range(n)
    ]


def _history(desk: Any, clock: FakeClock, per_day: int) -> None:
    """``per_day`` refund requests a day over the two weeks before yesterday (the first run
    reads the last 24 hours: none of these)."""
    now = float(int(time.time()))
    for back in range(BASELINE_DAYS, 1, -1):
        clock.now = now - back * DAY
        desk.create(_refunds(f"d{back}", per_day))
    clock.now = now


def _late_yesterday() -> float:
    """A moment of yesterday (UTC) that a first run's last 24 hours still take: a minute
    before midnight. In the day's last ten minutes the test waits for the next day, so that
    the run's "today" is the one the tickets were made for."""
    today = datetime.combine(datetime.now(UTC).date(), midnight(), UTC).timestamp()
    left = today + DAY - time.time()
    if left < 600:
        time.sleep(left + 1)
        today += DAY
    return today - 60


def _rising_alerts(receiver: Receiver) -> list[str]:
    return [b["text"] for b in receiver.bodies if "category rising" in b["text"]]


def test_a_spike_on_the_first_day_alerts_on_the_first_run(
    desk: Any, desk_clock: FakeClock, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_ALERT_WEBHOOK", receiver.url)
    state = Path(os.environ["TICKETBOT_STATE_DIR"])
    _history(desk, desk_clock, 2)
    desk.create(_refunds("today", 14))

    first = invoke("run", "--engine", "rules")
    assert first.exit_code == 0, first.output
    alerts = _rising_alerts(receiver)
    assert len(alerts) == 1, receiver.bodies
    assert "refund" in alerts[0]
    counts = load_counts(state)
    assert counts.seeded
    assert counts.seed_cursor is None
    assert counts.pending == {}
    assert counts.history_days(datetime.now(UTC).date()) == BASELINE_DAYS
    seeded = [e for e in events(state.parent / "logs") if e["event"] == "rising_seed"]
    assert len(seeded) == 1
    assert seeded[0]["tickets"] >= 2 * (BASELINE_DAYS - 2)  # the history, nothing of today's
    assert seeded[0]["complete"] is True
    assert seeded[0]["shared"] is False

    assert invoke("run", "--engine", "rules").exit_code == 0
    assert len([e for e in events(state.parent / "logs") if e["event"] == "rising_seed"]) == 1
    assert len(_rising_alerts(receiver)) == 1


def test_a_first_runs_tickets_of_yesterday_count_once_and_on_yesterday(
    desk: Any, desk_clock: FakeClock
) -> None:
    """A first run takes the last 24 hours: yesterday's tickets among them are the seed's
    (which reads yesterday whole), not today's too."""
    state = Path(os.environ["TICKETBOT_STATE_DIR"])
    _history(desk, desk_clock, 2)
    desk_clock.now = _late_yesterday()
    desk.create(_refunds("yesterday", 5))
    desk_clock.now = float(int(time.time()))
    desk.create(_refunds("today", 3))

    first = invoke("run", "--engine", "rules")
    assert first.exit_code == 0, first.output
    assert "triaged=8 " in first.output  # both days' tickets
    counts = load_counts(state)
    today = datetime.now(UTC).date()
    assert counts.days[(today - timedelta(days=1)).isoformat()]["refund"] == 5
    assert counts.days[today.isoformat()]["refund"] == 3


def test_a_backfills_old_tickets_are_no_rise_today(
    desk: Any, desk_clock: FakeClock, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_ALERT_WEBHOOK", receiver.url)
    state = Path(os.environ["TICKETBOT_STATE_DIR"])
    now = desk_clock.now
    for back in (5, 4, 3):
        desk_clock.now = now - back * DAY
        desk.create(_refunds(f"d{back}", 10))
    desk_clock.now = now
    first = invoke("run", "--engine", "rules")  # seeds the three days, triages none of them
    assert first.exit_code == 0, first.output
    assert "triaged=0 " in first.output

    backfill = invoke("backfill", "--since", "7d", "--no-batch")
    assert backfill.exit_code == 0, backfill.output
    assert "backfill complete" in backfill.output
    counts = load_counts(state)
    assert counts.days.get(datetime.now(UTC).date().isoformat(), {}).get("refund", 0) == 0
    assert invoke("run", "--engine", "rules").exit_code == 0
    assert _rising_alerts(receiver) == []


def test_a_steady_first_day_alerts_nothing(
    desk: Any, desk_clock: FakeClock, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_ALERT_WEBHOOK", receiver.url)
    _history(desk, desk_clock, 10)
    desk.create(_refunds("today", 10))
    assert invoke("run", "--engine", "rules").exit_code == 0
    assert _rising_alerts(receiver) == []
    assert load_counts(Path(os.environ["TICKETBOT_STATE_DIR"])).seeded


@pytest.mark.slow
@pytest.mark.desk(kinds=("zendesk",), clock="desk_clock", configure=True)
def test_with_incidents_on_the_seed_shares_the_reading_and_the_incident_names_the_rise(
    desk: Any, desk_clock: FakeClock, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real encoder groups today's fourteen reports of one refund error into an incident:
    its alert names the rise, and no second alert says it again."""
    monkeypatch.setenv("TICKETBOT_ALERT_WEBHOOK", receiver.url)
    monkeypatch.setenv("TICKETBOT_INCIDENTS", "true")
    state = Path(os.environ["TICKETBOT_STATE_DIR"])
    _history(desk, desk_clock, 2)
    # Customers the helpdesk knows (an organisation's): first-seen addresses are only suggested.
    desk.create(_refund_faults("today", 14, organization=7))
    first = invoke("run", "--engine", "rules")
    assert first.exit_code == 0, first.output
    texts = [b["text"] for b in receiver.bodies]
    assert len(texts) == 1, texts
    assert "customers report the same problem" in texts[0]
    assert "Rising with it: refund: 14 today" in texts[0]
    logged = events(state.parent / "logs")
    [reading] = [e for e in logged if e["event"] == "incident_baseline"]
    assert reading["shared"] is True
    assert reading["complete"] is True
    [seeded] = [e for e in logged if e["event"] == "rising_seed"]
    assert seeded["shared"] is True
    assert seeded["tickets"] >= 2 * (BASELINE_DAYS - 2)
    rises = [e for e in logged if e["event"] == "category_rising"]
    assert {e["alert"] for e in rises} == {"explained"}
    report = invoke("report", "--since", "1d")
    assert report.exit_code == 0, report.output
    assert "rising: incident #" in report.output
