"""An escalation alert names no customer: on each sandbox, through the CLI, a ticket whose
subject opens with its requester's name reaches the Slack-compatible list and the signed JSON
webhook with ``[NAME]`` in its place, as the audit store keeps the subject; and the ticket's
note has its summary.

An outside review saw "Priya Raman: security breach, account hacked, IBAN [IBAN] drained" posted
to both on both helpdesks: the alert's subject was redacted for numbers and addresses only, not
for the names the helpdesk knows on the ticket, which triage and the audit store take out.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import invoke
from support.webhook import Receiver

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)

ROUTES = """
[[route]]
name = "billing is escalated"
when = { category = "billing" }
escalate = true
"""
NAME = "Priya Raman"


def test_an_escalation_alert_names_no_customer(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, "utf-8")
    slack, signed = Receiver(), Receiver()
    try:
        for name, value in {
            "TICKETBOT_ROUTES": str(routes),
            "TICKETBOT_CONFIDENCE_THRESHOLD": "0",  # the keyword rules are unsure of themselves
            "TICKETBOT_ALERT_WEBHOOK": slack.url,
            "TICKETBOT_ALERT_JSON_URL": signed.url,
            "TICKETBOT_ALERT_JSON_SECRET": "whsec-names-e2e",
        }.items():
            monkeypatch.setenv(name, value)
        (ticket,) = desk.create(
            [
                NewTicket(
                    f"{NAME}: charged twice on my invoice",
                    "I was charged twice on my invoice, refund the payment",
                    requester_name=NAME,
                )
            ]
        )
        result = invoke("run", "--engine", "rules")
        assert result.exit_code == 0, result.output
        posted = [raw.decode() for raw in (*slack.raw, *signed.raw)]
        assert len(posted) == 2, posted
        assert all(str(ticket) in body for body in posted), posted
        assert all("[NAME]: charged twice" in body for body in posted), posted
        assert not any("Priya" in body or "Raman" in body for body in posted), posted
        # The note's summary keeps the subject's words after the redacted name (it was empty:
        # "[NAME]: ..." read as a Markdown reference definition and was removed).
        (note,) = desk.snapshot(ticket).notes
        summary = next(line for line in note.splitlines() if line.startswith("Summary:"))
        assert "[NAME]: charged twice" in summary, note
    finally:
        slack.close()
        signed.close()
