"""A ticket ``serve`` escalates reaches the escalation channels as a cron run's does: the
PagerDuty stand-in gets one trigger with the ticket's dedup key while the server runs, and the
next cron run, which finds the same escalation in the shared memory, does not page it again."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.cli import invoke
from support.serving import delivery_for, serve_env, serving

from ticket_processor.alerts.pagerduty import dedup_key
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.pagerduty import PagerDutyStandin

pytestmark = pytest.mark.desk(seed=None, unlimited=True)

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
