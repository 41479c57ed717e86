"""What a served burst of new tickets costs on Freshdesk, whose limit is requests a minute: the
worker reads them in one list request (the newest tickets, with their descriptions), the write
batch reads them again in one list request right before writing (``burst_reads``), then a note
and an update each; no read a ticket. Each ticket still gets exactly one note."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from support.serving import delivery_for, serve_env, serving

from ticket_processor.sandbox.desks import Desk, NewTicket

TICKETS = 10


@pytest.mark.desk(kinds=("freshdesk",), seed=None, unlimited=True)
def test_a_burst_of_new_tickets_is_read_in_list_requests(desk: Desk, tmp_path: Path) -> None:
    ids = desk.create(
        [NewTicket(f"Refund {n}", f"I was charged twice for order {n}.") for n in range(TICKETS)]
    )
    gate = threading.Event()  # the burst is stored while the server loads: one take
    with serving(serve_env(desk.env(), tmp_path), ready=False, gate=gate) as server:
        for ticket in ids:
            assert server.deliver(desk.kind, *delivery_for(desk.kind, ticket)).status_code == 200
        desk.reset_stats()
        gate.set()
        server.drained(timeout=60)
        requests = dict(desk.stats()["requests"])
    assert {t: len(desk.snapshot(t).notes) for t in ids} == dict.fromkeys(ids, 1)
    assert requests["POST /api/v2/tickets/{id}/notes"] == TICKETS
    assert requests["PUT /api/v2/tickets/{id}"] == TICKETS
    assert requests.get("GET /api/v2/tickets/{id}", 0) == 0, requests  # no read a ticket
    assert requests["GET /api/v2/tickets"] >= 2, requests  # the take's and the write's lists
