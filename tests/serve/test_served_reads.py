"""What a served new ticket costs on Freshdesk, whose limit is requests a minute: the worker's
read, the note and the update; the write batch's re-read before writing is one list request for
the batch, not one read a ticket (``burst_reads``), and each ticket still gets one note."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.serving import delivery_for, serve_env, serving

from ticket_processor.sandbox.desks import Desk, NewTicket

TICKETS = 10


@pytest.mark.desk(kinds=("freshdesk",), seed=None, unlimited=True)
def test_a_burst_of_new_tickets_costs_three_requests_a_ticket(desk: Desk, tmp_path: Path) -> None:
    ids = desk.create(
        [NewTicket(f"Refund {n}", f"I was charged twice for order {n}.") for n in range(TICKETS)]
    )
    with serving(serve_env(desk.env(), tmp_path)) as server:
        desk.reset_stats()
        for ticket in ids:  # as the automation sends them, all within a moment
            assert server.deliver(desk.kind, *delivery_for(desk.kind, ticket)).status_code == 200
        server.drained()
        requests = dict(desk.stats()["requests"])
    assert {t: len(desk.snapshot(t).notes) for t in ids} == dict.fromkeys(ids, 1)
    assert requests["POST /api/v2/tickets/{id}/notes"] == TICKETS
    assert requests["PUT /api/v2/tickets/{id}"] == TICKETS
    # One read a ticket (the worker's), and the batch's re-read in one or two list requests.
    assert requests["GET /api/v2/tickets/{id}"] == TICKETS, requests
    assert 1 <= requests.get("GET /api/v2/tickets", 0) <= 2, requests
    assert sum(requests.values()) <= 3.2 * TICKETS, requests
