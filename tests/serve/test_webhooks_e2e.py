"""``ticketbot serve`` end to end on each helpdesk's sandbox: a signed delivery is stored, the
worker triages its ticket through the run's flow and writes one note; a redelivery, a forged,
stale, oversized or malformed one changes nothing, and the server still answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.serving import (
    INVOKED,
    delivery_for,
    serve_env,
    serving,
    zendesk_delivery,
    zendesk_stamp,
)

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(seed=None, unlimited=True)


def _ticket(desk: Desk) -> int:
    return desk.create([NewTicket("Refund not received", "I was charged twice, refund me.")])[0]


def test_a_signed_delivery_is_triaged_once(desk: Desk, tmp_path: Path) -> None:
    ticket = _ticket(desk)
    with serving(serve_env(desk.env(), tmp_path)) as server:
        body, headers = delivery_for(desk.kind, ticket)
        first = server.deliver(desk.kind, body, headers)
        assert first.status_code == 200, first.text
        assert first.json() == {"accepted": True, "duplicate": False}
        server.drained()
        again = server.deliver(desk.kind, body, headers)  # the helpdesk's retry
        assert again.status_code == 200
        server.drained()
    snap = desk.snapshot(ticket)
    assert len(snap.notes) == 1
    assert "ai_processed" in snap.tags
    if desk.kind in INVOKED:  # a retry, signed alike with its invocation id: stored once
        assert again.json()["duplicate"] is True


@pytest.mark.slow
@pytest.mark.desk(kinds=("zendesk",), seed=None, unlimited=True)
def test_fifty_bad_deliveries_change_nothing_and_a_good_one_twice_triages_once(
    desk: Desk, tmp_path: Path
) -> None:
    ticket = _ticket(desk)
    with serving(serve_env(desk.env(), tmp_path)) as server:
        good, headers = zendesk_delivery(ticket)
        forged = {
            **headers,
            "X-Zendesk-Webhook-Signature": "AAAA" + headers["X-Zendesk-Webhook-Signature"][4:],
        }
        stale_body, stale = zendesk_delivery(ticket, stamp=zendesk_stamp(0), invocation="old")
        wrong_body, wrong = zendesk_delivery(ticket, secret="not-the-secret", invocation="w")
        big_body, big = zendesk_delivery(
            ticket, body=b'{"ticket_id": "1", "x": "' + b"a" * 70_000 + b'"}'
        )
        bad_body, bad = zendesk_delivery(ticket, body=b'{"ticket": 1}', invocation="bad")
        unsigned = {"Content-Type": "application/json"}
        bad_ones = [
            ((good, forged), 401),
            ((stale_body, stale), 400),
            ((wrong_body, wrong), 401),
            ((big_body, big), 413),
            ((bad_body, bad), 400),
        ]
        answers = [
            server.deliver("zendesk", *delivery).status_code
            for _ in range(10)
            for delivery, _code in bad_ones
        ]
        assert answers == [code for _ in range(10) for _delivery, code in bad_ones]  # all 50
        assert server.deliver("zendesk", good, unsigned).status_code == 401
        assert server.client.get(f"{server.url}/healthz").status_code == 200
        assert server.server.state.queue.counts() == {}
        metrics = server.client.get(f"{server.url}/metrics").text
        assert (
            'ticketbot_deliveries_refused_total{reason="bad_signature",source="zendesk"} 20.0'
            in metrics
        )
        assert desk.snapshot(ticket).notes == []  # none of the 50 triaged anything
        # Then the real one, sent twice: triaged once.
        assert [server.deliver("zendesk", good, headers).json()["duplicate"] for _ in "ab"] == [
            False,
            True,
        ]
        server.drained()
    assert len(desk.snapshot(ticket).notes) == 1
