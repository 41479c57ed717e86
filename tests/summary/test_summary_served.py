"""Under ``serve`` the running summary follows the deliveries: a new ticket's field is filled
and a customer's reply refreshes it, without a cron run, on each helpdesk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.clock import FakeClock
from support.e2e import events
from support.serving import delivery_for, serve_env, serving
from support.summary_field import SummaryField as Field
from test_summary_e2e import FIRST

from ticket_processor.sandbox.desks import Desk
from ticket_processor.summary.build import is_ours


@pytest.mark.desk(seed=None, unlimited=True, clock="desk_clock", configure=True)
def test_serve_fills_and_refreshes_the_summary(
    desk: Desk, desk_clock: FakeClock, tmp_path: Path
) -> None:
    field = Field(desk)
    [ticket] = desk.create([FIRST])
    env = serve_env(
        {k: v for k, v in os.environ.items() if k.startswith(("ZEN", "FRESH", "TICKETBOT"))},
        tmp_path,
        TICKETBOT_SUMMARY_FIELD="Summary",
    )
    with serving(env) as server:
        assert server.deliver(desk.kind, *delivery_for(desk.kind, ticket)).status_code == 200
        server.drained()
        desk_clock.advance(5)
        desk.agent_replies(ticket, "I have refunded the duplicate charge today.")
        desk_clock.advance(5)
        desk.requester_says(ticket, "My bank says it never received the refund.")
        reply = delivery_for(desk.kind, ticket, "reply", invocation="inv-2")
        assert server.deliver(desk.kind, *reply).status_code == 200
        server.drained()
    # The server's stop waits for the summaries under way.
    value = field.value(ticket)
    said = [e for e in events(tmp_path / "logs") if str(e["event"]).startswith("summar")]
    assert is_ours(value), [(e.get("error_type"), e.get("error")) for e in said]
    assert "charged twice" in value
    assert "never received the refund" in value
    assert "refunded the duplicate charge" in value
