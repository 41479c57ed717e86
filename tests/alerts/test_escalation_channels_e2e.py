"""``ticketbot run`` on each helpdesk's sandbox: an escalated ticket reaches a local SMTP server as
a mail and the PagerDuty stand-in as a trigger with a dedup key; the next run, which re-triages
the ticket on the customer's reply and escalates it again, sends neither again."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.cli import invoke
from support.clock import FakeClock
from support.e2e import events
from support.smtp_server import PASSWORD, SmtpSink

from ticket_processor.alerts.pagerduty import dedup_key
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.pagerduty import PagerDutyStandin

pytestmark = [pytest.mark.smtp, pytest.mark.desk(clock="desk_clock", configure=True)]

ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"


ROUTES = """
[[route]]
name = "billing is escalated"
when = { category = "billing" }
escalate = true

[[route]]
name = "the customer came back"
when = { reply = true }
escalate = true
"""


def test_an_escalation_pages_and_mails_once(
    desk: Desk,
    desk_clock: FakeClock,
    smtp_server: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, "utf-8")
    authority = tmp_path / "ca.pem"
    smtp_server.authority.cert_pem.write_to_path(str(authority))
    monkeypatch.setenv("SSL_CERT_FILE", str(authority))  # the test server's authority
    secret = "whsec-e2e-HMAC-secret"
    for name, value in {
        "TICKETBOT_ROUTES": str(routes),
        "TICKETBOT_CONFIDENCE_THRESHOLD": "0",  # the keyword rules are unsure of themselves
        "TICKETBOT_PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
        "TICKETBOT_SMTP_URL": smtp_server.url,
        "TICKETBOT_ALERT_EMAIL": "oncall@example.com",
        "TICKETBOT_ALERT_JSON_SECRET": secret,
    }.items():
        monkeypatch.setenv(name, value)
    with PagerDutyStandin() as pagerduty:
        monkeypatch.setenv("TICKETBOT_PAGERDUTY_URL", pagerduty.url)
        charged, parcel = desk.create(
            [
                NewTicket("Charged twice", "I was charged twice on my invoice, refund the payment"),
                NewTicket("Where is my parcel", "The parcel has not arrived, tracking is stuck"),
            ]
        )
        # Half a signed webhook (no URL) is refused before any ticket is touched.
        refused = invoke("run", "--engine", "rules")
        assert refused.exit_code == 2, refused.output
        assert "TICKETBOT_ALERT_JSON_URL" in refused.output
        monkeypatch.delenv("TICKETBOT_ALERT_JSON_SECRET")

        first = invoke("run", "--engine", "rules")
        assert first.exit_code == 0, first.output
        (event,) = pagerduty.state.events
        assert event["event_action"] == "trigger"
        assert event["dedup_key"] == dedup_key(desk.url, f"ticket:{charged}")
        assert event["payload"]["summary"].startswith(f"Ticket #{charged} escalated")
        (mail,) = smtp_server.messages
        assert f"#{charged}" in str(mail["Subject"])
        assert smtp_server.tls_used == [True]

        # Both customers write again: the reply escalates the parcel's ticket (the second
        # route); the first is escalated already, and is neither paged nor mailed again.
        desk_clock.advance(5)
        desk.requester_says(charged, "Still charged twice on the invoice, please refund")
        desk.requester_says(parcel, "Still no parcel, tracking has not moved")
        desk_clock.now = float(int(time.time()))
        second = invoke("run", "--engine", "rules")
        assert second.exit_code == 0, second.output
        third = invoke("run", "--engine", "rules")
        assert third.exit_code == 0, third.output
        assert [e["dedup_key"] for e in pagerduty.state.events] == [
            dedup_key(desk.url, f"ticket:{charged}"),
            dedup_key(desk.url, f"ticket:{parcel}"),
        ]
        assert [a.status for a in pagerduty.state.alerts] == ["triggered", "triggered"]
        assert [f"#{parcel}" in str(m["Subject"]) for m in smtp_server.messages] == [False, True]
        log_dir = tmp_path / "logs"
        sent = [(e["condition"], e["tickets"]) for e in events(log_dir) if e["event"] == "alert"]
        assert sent == [
            ("escalated:pagerduty", [charged]),
            ("escalated:email", [charged]),
            ("escalated:pagerduty", [parcel]),
            ("escalated:email", [parcel]),
        ]
    outputs = first.output + second.output + third.output + refused.output
    logged = "\n".join(p.read_text("utf-8") for p in log_dir.glob("*"))
    for value in (ROUTING_KEY, PASSWORD, smtp_server.url, secret):
        assert value not in logged
        assert value not in outputs
        assert value not in caplog.text
