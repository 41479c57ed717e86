"""A ticket ``serve`` escalates reaches the escalation channels as a cron run's does: the
PagerDuty stand-in gets one trigger with the ticket's dedup key while the server runs, and the
next cron run, which finds the same escalation in the shared memory, does not page it again.
With PagerDuty throttling and a mail relay trickling its greeting, ordinary tickets are still
noted (the deliveries have their own thread), ``/readyz`` says which channel is stalled, and
what was not delivered stays owed for later."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.cli import invoke
from support.hook_receiver import Answer, HookReceiver
from support.serving import AUTHORISED, delivery_for, serve_env, serving
from support.smtp_server import TricklingRelay

from ticket_processor.alerts.outbox import Outbox
from ticket_processor.alerts.pagerduty import dedup_key
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.pagerduty import PagerDutyStandin

# Each waits on a hanging or throttling PagerDuty and a trickling relay: about ten seconds.
pytestmark = [pytest.mark.desk(seed=None, unlimited=True), pytest.mark.slow]

ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"
ROUTES = """
[[route]]
name = "billing is escalated"
when = { category = "billing" }
escalate = true
"""


def _paged(standin: PagerDutyStandin, count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while len(standin.state.events) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_served_escalation_pages_once(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, "utf-8")
    charged, parcel = desk.create(
        [
            NewTicket("Charged twice", "I was charged twice on my invoice, refund the payment"),
            NewTicket("Where is my parcel", "The parcel has not arrived, tracking is stuck"),
        ]
    )
    with PagerDutyStandin() as pagerduty:
        extra = {
            "TICKETBOT_ROUTES": str(routes),
            "TICKETBOT_CONFIDENCE_THRESHOLD": "0",  # the keyword rules are unsure of themselves
            "TICKETBOT_PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
            "TICKETBOT_PAGERDUTY_URL": pagerduty.url,
        }
        env = serve_env(desk.env(), tmp_path, **extra)
        with serving(env) as server:
            for ticket in (charged, parcel):
                kw = {"invocation": f"inv-{ticket}"} if desk.kind == "zendesk" else {}
                body, headers = delivery_for(desk.kind, ticket, **kw)
                assert server.deliver(desk.kind, body, headers).status_code == 200
            server.drained()
            _paged(pagerduty, 1)  # while the server runs: after its batch was written
            (event,) = pagerduty.state.events
        assert event["event_action"] == "trigger"
        assert event["dedup_key"] == dedup_key(desk.url, f"ticket:{charged}")
        assert "ai_escalated" in desk.snapshot(charged).tags
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        result = invoke("run", "--engine", "rules")
        assert result.exit_code == 0, result.output
        assert len(pagerduty.state.events) == 1  # the run does not page it again
    logged = "\n".join(p.read_text("utf-8") for p in (tmp_path / "logs").glob("*"))
    assert ROUTING_KEY not in logged


@pytest.mark.parametrize("pagerduty", ["throttles", "hangs"])
def test_a_slow_pagerduty_and_a_trickling_relay_hold_up_no_ordinary_ticket(
    desk: Desk,
    tmp_path: Path,
    hook_receiver: HookReceiver,
    trickling_relay: TricklingRelay,
    pagerduty: str,
) -> None:
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, "utf-8")
    charged, *ordinary = desk.create(
        [
            NewTicket("Charged twice", "I was charged twice on my invoice, refund the payment"),
            *[
                NewTicket(f"Where is parcel {n}", "The parcel has not arrived, tracking is stuck")
                for n in range(3)
            ],
        ]
    )
    throttles = pagerduty == "throttles"
    hook_receiver.script = [
        Answer(429, {"Retry-After": "300"}) if throttles else Answer(202, hang=300.0)
    ]
    extra = {
        "TICKETBOT_ROUTES": str(routes),
        "TICKETBOT_CONFIDENCE_THRESHOLD": "0",
        "TICKETBOT_PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
        "TICKETBOT_PAGERDUTY_URL": hook_receiver.url,
        "TICKETBOT_SMTP_URL": trickling_relay.url,
        "TICKETBOT_ALERT_EMAIL": "oncall@example.com",
    }
    env = serve_env(desk.env(), tmp_path, **extra)

    def deliver(server: Any, ticket: int) -> None:
        kw = {"invocation": f"inv-{ticket}"} if desk.kind == "zendesk" else {}
        body, headers = delivery_for(desk.kind, ticket, **kw)
        assert server.deliver(desk.kind, body, headers).status_code == 200

    with serving(env) as server:
        deliver(server, charged)
        if throttles:  # PagerDuty said 429 at once; the mail's exchange is trickling now
            trickling_relay.wait_for_connection(timeout=60)
        else:  # the page is on its way and PagerDuty holds it
            hook_receiver.wait_for(1, timeout=60)
        for ticket in ordinary:
            deliver(server, ticket)
        server.drained(timeout=90)  # generous: the usual seconds on a quiet machine
        for ticket in ordinary:
            assert desk.snapshot(ticket).notes, ticket
        ready = httpx.get(f"{server.url}/readyz", headers=AUTHORISED, timeout=30)
        assert ready.status_code == 200  # the triage works: a load balancer keeps sending
        if throttles:
            stalled = ready.json()["escalation_channels"]["stalled"]
            assert "HTTP 429" in stalled["pagerduty"]["reason"]
    assert "ai_escalated" in desk.snapshot(charged).tags
    # Neither channel took it: both still owe it, for the restart or the next cron run.
    owed = Outbox(tmp_path / "state").owed(["pagerduty", "email"], since=0)
    assert sorted(item.channel for item in owed) == ["email", "pagerduty"]
    assert {item.escalation.ticket_id for item in owed} == {charged}
