"""A customer's reply delivered to ``serve`` goes through the run's re-triage; a cron run
afterwards (the catch-up) finds nothing left to do: one note per message, on each helpdesk."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from support.cli import invoke
from support.clock import FakeClock
from support.e2e import events
from support.serving import delivery_for, serve_env, serving

from ticket_processor.sandbox.desks import Desk, NewTicket

ANGRY = (
    "This is the third time I am asking and still no answer. This is unacceptable, "
    "I am cancelling my subscription today!"
)


@pytest.mark.slow
@pytest.mark.desk(seed=None, unlimited=True, clock="desk_clock", configure=True)
def test_a_reply_is_re_triaged_and_the_cron_run_adds_nothing(
    desk: Desk, desk_clock: FakeClock, tmp_path: Path
) -> None:
    [ticket] = desk.create([NewTicket("Export to CSV", "How do I export my contacts to CSV?")])
    env = serve_env(
        {k: v for k, v in os.environ.items() if k.startswith(("ZEN", "FRESH", "TICKETBOT"))},
        tmp_path,
    )
    with serving(env) as server:
        assert server.deliver(desk.kind, *delivery_for(desk.kind, ticket)).status_code == 200
        server.drained()
        first = desk.snapshot(ticket)
        assert len(first.notes) == 1
        desk_clock.advance(5)
        desk.requester_says(ticket, ANGRY)
        reply = delivery_for(desk.kind, ticket, "reply", **_second(desk.kind))
        assert server.deliver(desk.kind, *reply).status_code == 200
        server.drained()
    after = desk.snapshot(ticket)
    assert len(after.notes) == 2, after.notes
    assert "ai_sentiment_negative" in after.tags
    logged = events(tmp_path / "logs")
    [replied] = [e for e in logged if e["event"] == "reply_triaged"]
    assert replied["source"] == "serve"

    desk_clock.now = float(int(time.time()))  # the cron run's export now sees all of it
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    assert desk.snapshot(ticket) == after


def _second(kind: str) -> dict[str, str]:
    return {"invocation": "inv-2"} if kind == "zendesk" else {}
