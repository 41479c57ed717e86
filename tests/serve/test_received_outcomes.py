"""``ticketbot_deliveries_received_total`` counts every delivery a webhook got, by outcome, on
each helpdesk: six POSTs (a genuine delivery, its retry, another genuine one, three forged)
read 6 in all, 3 ``accepted`` and 3 ``refused``; they read 3 before, the refused ones left out
of a metric named "received"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.serving import delivery_for, serve_env, serving

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(seed=None, unlimited=True)


def _received(metrics: str, kind: str) -> dict[str, float]:
    """The metric's samples of one source, by outcome."""
    found: dict[str, float] = {}
    for line in metrics.splitlines():
        if not line.startswith("ticketbot_deliveries_received_total{"):
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if labels.get("source") == kind:
            found[labels.get("outcome", "unlabelled")] = float(line.rsplit(" ", 1)[1])
    return found


def test_refused_deliveries_are_counted_as_received(desk: Desk, tmp_path: Path) -> None:
    first, second = desk.create(
        [
            NewTicket("Refund not received", "I was charged twice, refund me."),
            NewTicket("Password reset", "The reset email never arrives."),
        ]
    )
    with serving(serve_env(desk.env(), tmp_path)) as server:
        genuine = delivery_for(desk.kind, first)
        statuses = [
            server.deliver(desk.kind, *genuine).status_code,
            server.deliver(desk.kind, *genuine).status_code,  # a helpdesk's retry
            server.deliver(desk.kind, *delivery_for(desk.kind, second)).status_code,
        ]
        body, headers = delivery_for(desk.kind, second, event="updated")
        forged = [
            (body, {"Content-Type": "application/json"}),  # unsigned
            (b"not json", headers),  # another body under that signature
            (body + b" " * 70_000, headers),  # oversized
        ]
        statuses += [server.deliver(desk.kind, b, h).status_code for b, h in forged]
        assert statuses[:3] == [200, 200, 200]
        assert all(400 <= s < 500 for s in statuses[3:]), statuses
        server.drained()
        metrics = server.client.get(f"{server.url}/metrics").text
    received = _received(metrics, desk.kind)
    assert received == {"accepted": 3.0, "refused": 3.0}, received
    assert sum(received.values()) == len(statuses)
