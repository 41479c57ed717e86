"""Many requesters are cheap to forge: on each helpdesk's sandbox, after a week of ordinary
history, a burst of crafted reports of one invented fault in varied words, each from a
throw-away address first seen in the burst (``x1@mail.test``, ``x2@mail.test``, …), is
suggested, not linked: no group ticket, no alert, no PagerDuty page, and the run's output says
why. A genuine outage whose reports come mostly from customers the helpdesk knows (a ticket
solved before) is linked and pages once.

Each test is one real ``ticketbot run --since 1h`` with no LLM (the learned engine and its
encoder), PagerDuty its stand-in and the alert webhook the hook receiver, all real HTTP."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.e2e import events
from support.first_seen import genuine, reports, throwaway, week
from support.incident_scenario import LOADERS, Spec
from support.webhook import Receiver

from ticket_processor.sandbox.desks import Desk
from ticket_processor.sandbox.pagerduty import PagerDutyStandin

pytestmark = pytest.mark.desk(configure=True)
ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"


def _run(desk_kind: str, desk: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch,
         specs: list[Spec]) -> tuple[Any, list[int], list[dict[str, Any]]]:  # fmt: skip
    """The week and ``specs`` loaded, one run: its result, the reports' ids, PagerDuty's
    incident events."""
    now = int(time.time())
    load = LOADERS[desk_kind]
    load(desk.sandbox, week(now))
    ids = load(desk.sandbox, specs)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("TICKETBOT_INCIDENTS", "true")
    monkeypatch.setenv("TICKETBOT_ALERT_WEBHOOK", receiver.url)
    monkeypatch.setenv("TICKETBOT_PAGERDUTY_ROUTING_KEY", ROUTING_KEY)
    with PagerDutyStandin() as pagerduty:
        monkeypatch.setenv("TICKETBOT_PAGERDUTY_URL", pagerduty.url)
        result = invoke("run", "--since", "1h")
        paged = [e for e in pagerduty.state.events if ":incident:" in e["dedup_key"]]
    assert result.exit_code == 0, result.output
    return result, ids, paged


def _notes(desk_kind: str, desk: Desk, ticket_id: int) -> list[str]:
    """Every private note on the ticket (the triage note and the incident pass's), oldest first:
    ServiceNow's desk lists each work note ticketbot's user wrote; the others' snapshots only
    the triage note, so their stores are read."""
    store = desk.sandbox.store
    if desk_kind == "zendesk":
        return [c["body"] for c in store.comments(ticket_id)[1:] if not c["public"]]
    if desk_kind == "freshdesk":
        return [c["body_text"] for c in store.conversations(ticket_id) if c["private"]]
    return desk.snapshot(ticket_id).notes


def _tags(desk_kind: str, desk: Desk, ticket_id: int) -> set[str]:
    return set(desk.snapshot(ticket_id).tags)


@pytest.mark.parametrize("count", [10, 25, 60])
def test_a_burst_from_first_seen_addresses_is_suggested_and_pages_nobody(
    desk_kind: str, desk: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    now = int(time.time())
    result, ids, paged = _run(
        desk_kind, desk, receiver, monkeypatch, reports(throwaway(count), now, seed=count)
    )

    assert paged == []
    assert not [b for b in receiver.bodies if "incident" in str(b.get("text", "")).lower()]
    linked = {"ai_incident", "ai_incident_problem"}
    assert not [t for t in ids if linked & _tags(desk_kind, desk, t)]
    assert " 0 linked to an incident" in result.output, result.output
    suggested = [t for t in ids if "ai_incident_suggested" in _tags(desk_kind, desk, t)]
    assert len(suggested) >= 5, result.output
    assert "first seen in this burst" in _notes(desk_kind, desk, suggested[0])[-1]
    assert "first seen in this burst" in result.output, result.output
    assert "first-seen addresses on one domain, mail.test" in result.output, result.output
    [vouched] = [
        e for e in events(Path(os.environ["TICKETBOT_LOG_DIR"])) if e["event"] == "incident_vouched"
    ]
    assert vouched["vouched"] == 0
    assert vouched["held"] is True
    assert vouched["asked"] <= vouched["requesters"]  # one look-up per requester


def test_a_genuine_outage_from_known_customers_is_linked_and_pages_once(
    desk_kind: str, desk: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = int(time.time())
    result, ids, paged = _run(
        desk_kind, desk, receiver, monkeypatch, reports(genuine(now), now, seed=3)
    )

    assert len([e for e in paged if e["event_action"] == "trigger"]) == 1, paged
    linked = [t for t in ids if {"ai_incident", "ai_incident_problem"} & _tags(desk_kind, desk, t)]
    assert len(linked) >= 20, result.output
    [vouched] = [
        e for e in events(Path(os.environ["TICKETBOT_LOG_DIR"])) if e["event"] == "incident_vouched"
    ]
    assert vouched["vouched"] == 15, vouched
    assert vouched["first_seen"] == 10
    assert vouched["held"] is False
