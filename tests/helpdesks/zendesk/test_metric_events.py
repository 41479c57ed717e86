"""Zendesk's ticket metric events (the only helpdesk of the three that keeps them): the sandbox
serves them in Zendesk's shape as its SLA engine would have recorded them, and the SLA read
takes from them what the ticket export says less well: a past first reply's fulfilment to the
second and its breach, and a target paused or achieved now; the export is read across pages
and stops at its request budget, said as incomplete."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from support.connected import connected
from support.sla import EVERY_DAY, TARGETS, sla_desk, triaged

from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.helpdesks.zendesk.metric_events import read_trails
from ticket_processor.helpdesks.zendesk.sandbox.sla_api import store_state
from ticket_processor.sandbox.desks import Desk, serve_desk

PATH = "/api/v2/incremental/ticket_metric_events.json"


@pytest.fixture
def zendesk() -> Iterator[Desk]:
    with serve_desk(KINDS["zendesk"], unlimited=True) as desk:
        sla = sla_desk(desk)
        sla.sla_schedule("UTC", EVERY_DAY)
        sla.sla_policy(TARGETS)
        yield desk


def _events(desk: Desk, start: float) -> dict[str, Any]:
    answer = requests.get(
        desk.url + PATH, params={"start_time": int(start)}, auth=desk.api_auth(), timeout=5
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_the_sandbox_serves_the_events_in_zendesks_shape(zendesk: Desk) -> None:
    now = float(int(time.time()))
    asked = now - 6 * 3600
    sla_desk(zendesk).sla_history(None, asked, 90, due_at=asked + 3600)  # missed
    body = _events(zendesk, now - 86400)
    assert set(body) == {"ticket_metric_events", "next_page", "count", "end_time"}
    events = body["ticket_metric_events"]
    assert [e["type"] for e in events] == ["activate", "apply_sla", "breach", "fulfill"]
    assert {e["metric"] for e in events} == {"reply_time"}
    assert {e["instance_id"] for e in events} == {1}
    applied = events[1]["sla"]
    assert applied["target"] == 60
    assert applied["business_hours"] is False
    assert set(applied["policy"]) == {"id", "title", "description"}
    assert events[2]["deleted"] is False
    assert body["count"] == 4
    assert body["end_time"] == int(asked + 90 * 60)
    assert _events(zendesk, now)["ticket_metric_events"] == []  # none since


def test_the_read_takes_fulfilment_and_breach_to_the_second(zendesk: Desk) -> None:
    now = float(int(time.time()))
    asked = now - 6 * 3600
    sla = sla_desk(zendesk)
    sla.sla_history(None, asked, 30.5, due_at=asked + 3600)  # met, half a minute past 30
    sla.sla_history(None, asked - 3600, 90, due_at=asked)  # missed
    reader = KINDS["zendesk"].sla_reader()
    assert reader is not None
    helpdesk = connected(zendesk)
    try:
        read = reader(helpdesk, now=now, history_since=now - 86400, max_requests=60)
    finally:
        helpdesk.close()
    by_asked = {round(h.asked_at): h for h in read.history}
    met, missed = by_asked[round(asked)], by_asked[round(asked - 3600)]
    # The metric set says whole minutes (30); the fulfil event says the second.
    assert met.answered_at == pytest.approx(asked + 1830, abs=1)
    assert met.breached is False
    assert missed.breached is True
    assert missed.due_at == pytest.approx(asked, abs=1)
    assert not read.notes


def test_a_target_paused_and_one_achieved_are_read_so(zendesk: Desk) -> None:
    now = time.time()
    sla = sla_desk(zendesk)
    paused, achieved, running = zendesk.create([triaged(f"Question {n}") for n in range(3)])
    sla.sla_clock(paused, metric="first_reply", breach_at=now + 3600)
    sla.sla_clock(paused, metric="first_reply", breach_at=now + 3600, stage="paused")
    sla.sla_clock(achieved, metric="first_reply", breach_at=now + 3600, stage="achieved")
    sla.sla_clock(running, metric="first_reply", breach_at=now + 3600, stage="paused")
    sla.sla_clock(running, metric="first_reply", breach_at=now + 3600)  # running again
    helpdesk = connected(zendesk)
    try:
        trails, _, complete, _ = read_trails(helpdesk.client.http, now - 3600, 10)  # type: ignore[attr-defined]
    finally:
        helpdesk.close()
    assert complete
    stages = {
        ticket: trails[(ticket, "first_reply")].stage for ticket in (paused, achieved, running)
    }
    assert stages == {paused: "paused", achieved: "achieved", running: "active"}


def test_the_export_is_read_across_pages_and_stops_at_its_budget(zendesk: Desk) -> None:
    now = float(int(time.time()))
    state = store_state(zendesk.sandbox.store)
    for n in range(2500):  # one a second: three pages of at most 1,000
        state.event(10_000 + n, "reply_time", 1, "activate", now - 5000 + n)
    helpdesk = connected(zendesk)
    try:
        http = helpdesk.client.http  # type: ignore[attr-defined]
        zendesk.reset_stats()
        trails, asked, complete, _ = read_trails(http, now - 6000, 10)
        counted = zendesk.stats()["requests"]
        assert complete
        assert len(trails) == 2500
        assert asked == 3 == sum(v for k, v in counted.items() if "ticket_metric_events" in k)
        trails, asked, complete, _ = read_trails(http, now - 6000, 2)
        # the second page starts again at the first one's last second
        assert not complete
        assert asked == 2
        assert len(trails) == 1999
    finally:
        helpdesk.close()
