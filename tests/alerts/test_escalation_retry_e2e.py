"""``ticketbot run`` on each helpdesk's sandbox with PagerDuty down: the run says on its output
that the page did not go out, and the next run — which escalates nothing of its own — pages
the ticket once PagerDuty answers again."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import invoke
from support.ports import held_refused_port
from typer.testing import Result

from ticket_processor.alerts.pagerduty import dedup_key
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.pagerduty import PagerDutyStandin

pytestmark = pytest.mark.desk(configure=True)

ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"
ROUTES = """
[[route]]
name = "billing is escalated"
when = { category = "billing" }
escalate = true
"""


def test_a_page_refused_while_pagerduty_is_down_goes_out_with_the_next_run(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dead = f"http://127.0.0.1:{held_refused_port()}/v2/enqueue"  # every post is refused
    channel = {"TICKETBOT_PAGERDUTY_ROUTING_KEY": ROUTING_KEY, "TICKETBOT_PAGERDUTY_URL": dead}
    charged, first = _escalated_run(desk, monkeypatch, tmp_path, channel)
    assert "escalation channel pagerduty not delivered" in first.stderr
    assert f"tickets {charged}" in first.stderr
    assert ROUTING_KEY not in first.output
    with PagerDutyStandin() as pagerduty:
        monkeypatch.setenv("TICKETBOT_PAGERDUTY_URL", pagerduty.url)
        second = invoke("run", "--engine", "rules")  # no new ticket, nothing escalated
        assert second.exit_code == 0, second.output
        assert "not delivered" not in second.stderr
        assert [e["dedup_key"] for e in pagerduty.state.events] == [
            dedup_key(desk.url, f"ticket:{charged}")
        ]
        third = invoke("run", "--engine", "rules")
        assert third.exit_code == 0, third.output
        assert len(pagerduty.state.events) == 1


def test_an_escalation_list_the_webhook_refused_is_said_on_the_runs_output(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Before, only the log's ``alert`` event said it: a review's on-call list missed an
    # escalation and nothing on screen told them.
    token = "xoxb-secret-token-0123"
    dead = f"http://127.0.0.1:{held_refused_port()}/slack?token={token}"
    charged, first = _escalated_run(desk, monkeypatch, tmp_path, {"TICKETBOT_ALERT_WEBHOOK": dead})
    said = " ".join(first.stderr.split())
    assert (
        f"the escalation list (TICKETBOT_ALERT_WEBHOOK) was not delivered (tickets {charged})"
        in said
    )
    assert "it is not sent again" in said
    assert token not in first.output


def _escalated_run(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, channel: dict[str, str]
) -> tuple[int, Result]:
    """One billing ticket, escalated by a run with ``channel`` configured: its id and the run."""
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, "utf-8")
    monkeypatch.setenv("TICKETBOT_ROUTES", str(routes))
    # The keyword rules are unsure of themselves.
    monkeypatch.setenv("TICKETBOT_CONFIDENCE_THRESHOLD", "0")
    for name, value in channel.items():
        monkeypatch.setenv(name, value)
    (charged,) = desk.create(
        [NewTicket("Charged twice", "I was charged twice on my invoice, refund the payment")]
    )
    first = invoke("run", "--engine", "rules")
    assert first.exit_code == 0, first.output
    return charged, first
