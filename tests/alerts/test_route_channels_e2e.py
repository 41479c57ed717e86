"""``ticketbot run`` on each helpdesk's sandbox with a route narrowing its escalations: the ticket
it escalates pages PagerDuty and is left out of the Slack list; another route's ticket, with no
``channels``, reaches both; once an agent solves it, the next run resolves its page."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import events
from support.webhook import Receiver

from ticket_processor.alerts.pagerduty import dedup_key
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.pagerduty import PagerDutyStandin

pytestmark = pytest.mark.desk(configure=True)

ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"
ROUTES = """
[[route]]
name = "billing pages only"
when = { category = "billing" }
escalate = true
channels = ["pagerduty"]

[[route]]
name = "parcels everywhere"
when = { category = "shipping" }
escalate = true
"""


def test_a_route_keeps_its_escalations_to_its_channels(
    desk: Desk, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, "utf-8")
    with PagerDutyStandin() as pagerduty:
        for name, value in {
            "TICKETBOT_ROUTES": str(routes),
            "TICKETBOT_CONFIDENCE_THRESHOLD": "0",  # the keyword rules are unsure of themselves
            "TICKETBOT_PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
            "TICKETBOT_PAGERDUTY_URL": pagerduty.url,
            "TICKETBOT_ALERT_WEBHOOK": receiver.url,
        }.items():
            monkeypatch.setenv(name, value)
        charged, parcel = desk.create(
            [
                NewTicket("Charged twice", "I was charged twice on my invoice, refund the payment"),
                NewTicket("Where is my parcel", "The parcel has not arrived, tracking is stuck"),
            ]
        )
        result = invoke("run", "--engine", "rules")
        assert result.exit_code == 0, result.output
        assert sorted(e["dedup_key"] for e in pagerduty.state.events) == sorted(
            dedup_key(desk.url, f"ticket:{t}") for t in (charged, parcel)
        )
        # An agent solves the parcel's ticket: the next run resolves its page, not the other.
        desk.agent_solves(parcel)
        again = invoke("run", "--engine", "rules")
        assert again.exit_code == 0, again.output
        statuses = {a.dedup_key: a.status for a in pagerduty.state.alerts}
        assert statuses == {
            dedup_key(desk.url, f"ticket:{charged}"): "triggered",
            dedup_key(desk.url, f"ticket:{parcel}"): "resolved",
        }
    (slack,) = receiver.bodies
    assert "1 ticket escalated" in slack["text"]
    assert f"#{parcel} " in slack["text"]
    assert f"#{charged} " not in slack["text"]
    alerts = [
        (e["condition"], e["outcome"]) for e in events(tmp_path / "logs") if e["event"] == "alert"
    ]
    assert alerts.count(("escalated:pagerduty", "sent")) == 2
    assert ("escalated", "sent") in alerts
    assert ("escalated:pagerduty_resolve", "sent") in alerts
