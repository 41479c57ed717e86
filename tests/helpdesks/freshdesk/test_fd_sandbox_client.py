"""The real python-freshdesk client, unchanged, against the Freshdesk sandbox.

It only talks https to ``*.freshdesk.com``, so its ``_api_prefix`` is pointed at the sandbox.
Its habits are kept as they are: ``list_tickets`` sends ``updated_since`` twice, ``filter_tickets``
puts the quoted query straight into the URL, every object needs ``created_at`` / ``updated_at``.
"""

from __future__ import annotations

import json

import pytest
from freshdesk.v2.api import API
from freshdesk.v2.errors import FreshdeskBadRequest, FreshdeskNotFound, FreshdeskUnauthorized

from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk


def client(sb: RunningFreshdesk, key: str | None = None) -> API:
    api = API("acme.freshdesk.com", key or sb.config.api_key)
    api._api_prefix = f"{sb.url}/api/v2/"
    return api


def test_create_show_update_and_notes(freshdesk_sandbox: RunningFreshdesk) -> None:
    api = client(freshdesk_sandbox)
    ticket = api.tickets.create_ticket(
        "Card declined",
        description="<p>My card was declined twice</p>",
        email="ana@example.com",
        priority=3,
        tags=["billing"],
    )
    assert ticket.subject == "Card declined"
    assert ticket.priority == "high"
    assert ticket.status == "open"
    shown = api.tickets.get_ticket(ticket.id)
    assert shown.description_text == "My card was declined twice"
    assert shown.created_at.tzinfo is not None

    updated = api.tickets.update_ticket(ticket.id, tags=["refund"], priority=4)
    assert updated.tags == ["refund"]  # tags replace the list
    assert updated.priority == "urgent"

    note = api.comments.create_note(ticket.id, "<p>Triage: <b>billing</b></p>", private=True)
    assert note.private is True
    assert note.body_text == "Triage: billing"
    conversations = api.comments.list_comments(ticket.id)
    assert [c.id for c in conversations] == [note.id]
    assert conversations[0].source == "note"


def test_list_with_updated_since_pages_through_everything(
    freshdesk_sandbox: RunningFreshdesk,
) -> None:
    api = client(freshdesk_sandbox)
    ids = [
        api.tickets.create_ticket(f"t{i}", description="d", email=f"u{i}@example.com").id
        for i in range(5)
    ]
    listed = api.tickets.list_tickets(
        filter_name=None, updated_since="2020-01-01T00:00:00Z", per_page=2
    )
    assert sorted(t.id for t in listed) == ids
    assert not hasattr(listed[0], "description")  # the list leaves it out
    future = api.tickets.list_tickets(filter_name=None, updated_since="2999-01-01T00:00:00Z")
    assert future == []
    stats = freshdesk_sandbox.stats()["requests"]
    assert stats["GET /api/v2/tickets"] == 3 + 1  # pages of 2, 2 and 1; then the empty list


def test_filter_by_tag_and_priority(freshdesk_sandbox: RunningFreshdesk) -> None:
    api = client(freshdesk_sandbox)
    a = api.tickets.create_ticket("a", description="d", email="a@x.io", priority=3, tags=["vip"])
    api.tickets.create_ticket("b", description="d", email="b@x.io", priority=1, tags=["vip"])
    c = api.tickets.create_ticket("c", description="d", email="c@x.io", priority=4)
    assert [t.id for t in api.tickets.filter_tickets("tag:'vip' AND priority:3")] == [a.id]
    found = api.tickets.filter_tickets("priority:3 OR priority:4")
    assert sorted(t.id for t in found) == [a.id, c.id]


def test_errors_400_401_404(freshdesk_sandbox: RunningFreshdesk) -> None:
    api = client(freshdesk_sandbox)
    ticket = api.tickets.create_ticket("x", description="d", email="x@x.io")
    with pytest.raises(FreshdeskBadRequest, match=r"Validation failed.*priority"):
        api.tickets.update_ticket(ticket.id, priority=7)
    with pytest.raises(FreshdeskBadRequest, match="requester_id"):
        api.tickets.create_ticket("no requester", description="d")
    with pytest.raises(FreshdeskNotFound):
        api.tickets.get_ticket(ticket.id + 100)
    with pytest.raises(FreshdeskUnauthorized, match="logged in"):
        client(freshdesk_sandbox, key="wrong-key").tickets.get_ticket(ticket.id)


def test_groups_and_agents(freshdesk_sandbox: RunningFreshdesk) -> None:
    api = client(freshdesk_sandbox)
    me = api.agents.currently_authenticated_agent()
    group = api._post("groups", data=json.dumps({"name": "Billing", "agent_ids": [me.id]}))
    groups = api.groups.list_groups()
    assert [(g.name, g.agent_ids) for g in groups] == [("Billing", [me.id])]
    assert api.groups.get_group(group["id"]).name == "Billing"
    assert [a.id for a in api.agents.list_agents()] == [me.id]
