"""The Freshdesk sandbox serves tracker tickets and the ticket merge, as Freshdesk does: a create
with ``related_ticket_ids`` makes a tracker (python-freshdesk, unchanged, passes them through),
an update with ``tracker_id`` links one more ticket, ``PUT /tickets/merge`` closes the secondary
tickets into the primary, and a deleted tracker's tickets are related to nothing any more."""

from __future__ import annotations

import requests
from freshdesk.v2.api import API

from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk


def client(sb: RunningFreshdesk) -> API:
    api = API("acme.freshdesk.com", sb.config.api_key)
    api._api_prefix = f"{sb.url}/api/v2/"
    return api


def test_tracker_link_and_delete(freshdesk_sandbox: RunningFreshdesk) -> None:
    api = client(freshdesk_sandbox)
    a = api.tickets.create_ticket("Checkout fails", description="500", email="a@example.com")
    b = api.tickets.create_ticket("Cannot pay", description="error", email="b@example.com")
    c = api.tickets.create_ticket("Payment page broken", description="x", email="c@example.com")
    tracker = api.tickets.create_ticket(
        "Checkout outage",
        description="tracker",
        email="agent@example.com",
        related_ticket_ids=[a.id, b.id],
    )
    shown = api.tickets.get_ticket(tracker.id)
    assert shown.association_type == 3
    assert shown.associated_tickets_list == [a.id, b.id]
    api.tickets.update_ticket(c.id, tracker_id=tracker.id)
    assert api.tickets.get_ticket(c.id).association_type == 4
    assert api.tickets.get_ticket(tracker.id).associated_tickets_list == [a.id, b.id, c.id]
    # A ticket already related cannot start another tracker.
    auth = (freshdesk_sandbox.config.api_key, "X")
    refused = requests.post(
        f"{freshdesk_sandbox.url}/api/v2/tickets",
        json={
            "subject": "t2",
            "description": "d",
            "email": "agent@example.com",
            "related_ticket_ids": [a.id],
        },
        auth=auth,
        timeout=5,
    )
    assert refused.status_code == 400
    deleted = requests.delete(
        f"{freshdesk_sandbox.url}/api/v2/tickets/{tracker.id}", auth=auth, timeout=5
    )
    assert deleted.status_code == 204
    assert api.tickets.get_ticket(a.id).association_type is None
    assert tracker.id not in [t.id for t in api.tickets.list_tickets()]


def test_merge_closes_the_secondaries(freshdesk_sandbox: RunningFreshdesk) -> None:
    api = client(freshdesk_sandbox)
    first = api.tickets.create_ticket("Refund", description="please", email="d@example.com")
    again = api.tickets.create_ticket("Refund?", description="still", email="d@example.com")
    auth = (freshdesk_sandbox.config.api_key, "X")
    merged = requests.put(
        f"{freshdesk_sandbox.url}/api/v2/tickets/merge",
        json={
            "primary_id": first.id,
            "ticket_ids": [again.id],
            "note_in_secondary": {"body": "merged into the first", "private": True},
        },
        auth=auth,
        timeout=5,
    )
    assert merged.status_code == 204
    assert api.tickets.get_ticket(again.id).status == "closed"
    notes = api.comments.list_comments(again.id)
    assert notes[-1].body_text == "merged into the first"
    assert f"#{again.id}" in api.comments.list_comments(first.id)[-1].body_text
    bad = requests.put(
        f"{freshdesk_sandbox.url}/api/v2/tickets/merge",
        json={"ticket_ids": [1]},
        auth=auth,
        timeout=5,
    )
    assert bad.status_code == 400
