"""The whole path on each helpdesk: the sandbox's own webhooks (set up as ``serve --print-setup
--apply`` sets them up) call ``ticketbot serve``, which triages each ticket once; a requester's
reply is delivered too; an agent's note is not."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from support.hooked import deliveries, hooked_serving, wait_for_notes

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(seed=None, unlimited=True)

TICKETS = [
    NewTicket("Refund not received", "I was charged twice for my order, please refund me."),
    NewTicket("Cannot log in", "The password reset email never arrives."),
    NewTicket("Site down", "Your checkout page returns an error for all our customers."),
]


def _settled(desk: Desk, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
    """The sandbox's delivery attempts once ``count`` are final and none is pending."""
    deadline = time.monotonic() + timeout
    while True:
        view = deliveries(desk)
        final = [d for d in view["deliveries"] if d["final"]]
        if (len(final) >= count and view["pending"] == 0) or time.monotonic() > deadline:
            return list(view["deliveries"])
        time.sleep(0.05)


def test_the_helpdesks_webhooks_get_each_ticket_triaged_once(desk: Desk, tmp_path: Path) -> None:
    with hooked_serving(desk, tmp_path) as server:
        ids = desk.create(TICKETS)
        assert wait_for_notes(desk, ids) == {tid: 1 for tid in ids}
        attempts = _settled(desk, len(ids))
        assert sorted(d["ticket_id"] for d in attempts) == sorted(ids)
        assert {d["status"] for d in attempts} == {200}
        desk.agent_notes(ids[0], "Checked with billing.")  # no webhook for an agent's note
        desk.requester_says(ids[1], "Any news? I still cannot log in.")
        attempts = _settled(desk, len(ids) + 1)
        assert [d["status"] for d in attempts[len(ids) :]] == [200]
        assert attempts[-1]["ticket_id"] == ids[1]
        server.drained()
        metrics = server.client.get(f"{server.url}/metrics").text
    timeline = deliveries(desk)["tickets"]
    for tid in ids:
        assert len(desk.snapshot(tid).notes) == 1
        assert timeline[str(tid)]["internal_notes"], "the note's moment is recorded"
    assert f'ticketbot_deliveries_received_total{{source="{desk.kind}"}} 4.0' in metrics
