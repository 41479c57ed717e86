"""Customers' replies on Freshdesk: the sandbox's incoming notes and replies, and the adapter
reading only tickets changed since ticketbot's own last write.

Real HTTP to a sandbox on port 0 with its clock faked. A test posts a requester's public message
with ``POST /api/v2/tickets/{id}/notes`` ``{"incoming": true, "private": false, "user_id":
<requester_id>}``, an agent's reply with ``POST /api/v2/tickets/{id}/reply`` and an internal note
with ``POST /api/v2/tickets/{id}/notes`` (private by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
import requests
from freshdesk.v2.api import API
from support.clock import FakeClock
from support.freshdesk_sandbox import freshdesk_auth

from ticket_processor.helpdesks.freshdesk.adapter import FreshdeskHelpdesk
from ticket_processor.helpdesks.freshdesk.replies import messages
from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk
from ticket_processor.helpdesks.freshdesk.wire import FreshdeskTransport
from ticket_processor.models import Cursor, WriteBack, WriteOutcome

MARKER = "ai_processed"


pytestmark = pytest.mark.freshdesk_sandbox(clock="clock")


def new_ticket(sb: RunningFreshdesk, *, tags: Sequence[str] = (MARKER,), **fields: Any) -> int:
    body = {"subject": "Refund", "description": "<p>Charged twice</p>", "tags": list(tags)}
    return int(sb.store.create({"email": "customer@example.com", **body, **fields})["id"])


def post(sb: RunningFreshdesk, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = requests.post(f"{sb.url}{path}", json=body, auth=freshdesk_auth(sb), timeout=5)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def requester_says(sb: RunningFreshdesk, ticket_id: int, text: str) -> dict[str, Any]:
    requester = sb.store.find(ticket_id)["requester_id"]
    message = {"body": text, "incoming": True, "private": False, "user_id": requester}
    return post(sb, f"/api/v2/tickets/{ticket_id}/notes", message)


def agent_replies(sb: RunningFreshdesk, ticket_id: int, text: str) -> dict[str, Any]:
    return post(sb, f"/api/v2/tickets/{ticket_id}/reply", {"body": text})


def agent_notes(sb: RunningFreshdesk, ticket_id: int, text: str) -> dict[str, Any]:
    return post(sb, f"/api/v2/tickets/{ticket_id}/notes", {"body": text})


def helpdesk(sb: RunningFreshdesk) -> FreshdeskHelpdesk:
    return FreshdeskHelpdesk(FreshdeskTransport(sb.url, api_key=sb.config.api_key), marker=MARKER)


# --- the sandbox ----------------------------------------------------------------------------


def test_conversations_say_who_wrote_and_each_moves_the_ticket(
    freshdesk_sandbox: RunningFreshdesk, clock: FakeClock
) -> None:
    ticket = new_ticket(freshdesk_sandbox)
    requester = freshdesk_sandbox.store.find(ticket)["requester_id"]
    stamps = [freshdesk_sandbox.store.find(ticket)["updated_at"]]
    for write in (requester_says, agent_replies, agent_notes):
        clock.advance(10)
        write(freshdesk_sandbox, ticket, f"<p>{write.__name__}</p>")
        stamps.append(freshdesk_sandbox.store.find(ticket)["updated_at"])
    assert stamps == sorted(set(stamps))  # every conversation moved updated_at on
    listed = requests.get(
        f"{freshdesk_sandbox.url}/api/v2/tickets/{ticket}/conversations",
        auth=freshdesk_auth(freshdesk_sandbox),
        timeout=5,
    ).json()
    keys = ("body_text", "incoming", "private", "user_id", "source")
    assert [tuple(c[k] for k in keys) for c in listed] == [
        ("requester_says", True, False, requester, 2),
        ("agent_replies", False, False, 1, 0),
        ("agent_notes", False, True, 1, 2),
    ]
    assert all({"id", "body", "created_at", "updated_at"} <= set(c) for c in listed)


def test_a_reply_answers_in_freshdesks_reply_shape(freshdesk_sandbox: RunningFreshdesk) -> None:
    ticket = new_ticket(freshdesk_sandbox)
    reply = agent_replies(freshdesk_sandbox, ticket, "<p>On it</p>")
    assert reply["body_text"] == "On it"
    assert reply["ticket_id"] == ticket
    assert "replied_to" in reply
    assert "private" not in reply  # the list shows it whole; the reply's answer does not
    unknown = requests.post(
        f"{freshdesk_sandbox.url}/api/v2/tickets/{ticket}/reply",
        json={"body": "x", "private": True},
        auth=freshdesk_auth(freshdesk_sandbox),
        timeout=5,
    )
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"] == "private"


def test_python_freshdesk_creates_and_reads_conversations_unchanged(
    freshdesk_sandbox: RunningFreshdesk,
) -> None:
    api = API("acme.freshdesk.com", freshdesk_sandbox.config.api_key)
    api._api_prefix = f"{freshdesk_sandbox.url}/api/v2/"
    ticket = new_ticket(freshdesk_sandbox)
    requester = freshdesk_sandbox.store.find(ticket)["requester_id"]
    api.comments.create_note(
        ticket, "<p>again</p>", incoming=True, private=False, user_id=requester
    )
    api.comments.create_reply(ticket, "<p>looking</p>")
    found = api.comments.list_comments(ticket)
    assert [(c.body_text, c.incoming, c.private) for c in found] == [
        ("again", True, False),
        ("looking", False, False),
    ]


# --- the adapter ---------------------------------------------------------------------------


def test_reply_pages_read_only_tickets_changed_since_ticketbots_own_write(
    freshdesk_sandbox: RunningFreshdesk, clock: FakeClock
) -> None:
    since = int(clock.now) - 10
    replied = new_ticket(freshdesk_sandbox)
    untouched = new_ticket(freshdesk_sandbox)
    agent_only = new_ticket(freshdesk_sandbox)
    unknown = new_ticket(freshdesk_sandbox)  # ticketbot does not know its last write: read
    untriaged = new_ticket(freshdesk_sandbox, tags=())
    resolved = new_ticket(freshdesk_sandbox, status=4)
    written = {
        t: freshdesk_sandbox.store.find(t)["updated_at"] for t in (replied, untouched, agent_only)
    }
    clock.advance(5)
    requester_says(freshdesk_sandbox, replied, "<p>It happened again</p>")
    agent_replies(freshdesk_sandbox, agent_only, "<p>Refunded</p>")
    requester_says(freshdesk_sandbox, untriaged, "<p>Hello?</p>")
    requester_says(freshdesk_sandbox, resolved, "<p>Thanks</p>")
    freshdesk_sandbox.sandbox.reset_stats()
    hd = helpdesk(freshdesk_sandbox)
    pages = list(hd.reply_pages(None, since=since, prefix="ai_", written=written.get))
    hd.close()
    found = {c.ticket.id: c for p in pages for c in p.conversations}
    assert sorted(found) == sorted([replied, agent_only, unknown])
    assert [(m.body, m.public, m.from_requester) for m in found[replied].messages] == [
        ("It happened again", True, True)
    ]
    assert [m.from_requester for m in found[agent_only].messages] == [False]
    assert (
        found[replied].ticket.requester_id == freshdesk_sandbox.store.find(replied)["requester_id"]
    )
    assert pages[-1].last
    last_change = freshdesk_sandbox.store.find(resolved)["updated_at"]
    assert pages[-1].next_cursor == Cursor("replies_updated_since", last_change)
    # Who ticketbot is (once: the author of its own notes), one list page, one conversations
    # read each for the three tickets changed since the last write (or without one); none for
    # the rest.
    assert freshdesk_sandbox.stats()["requests"] == {
        "GET /api/v2/agents/me": 1,
        "GET /api/v2/tickets": 1,
        "GET /api/v2/tickets/{id}/conversations": 3,
    }


class _Journal:
    def begin(self, ticket_ids: Sequence[int]) -> None: ...
    def job_sent(self, job_id: str, ticket_ids: Sequence[int]) -> None: ...
    def end(self, ticket_ids: Sequence[int], job_ids: Sequence[str]) -> None: ...


def test_the_writes_updated_at_lets_reply_discovery_skip_ticketbots_own_change(
    freshdesk_sandbox: RunningFreshdesk, clock: FakeClock
) -> None:
    since = int(clock.now) - 10
    ticket = new_ticket(freshdesk_sandbox, tags=())
    clock.advance(5)
    change = WriteBack(ticket_id=ticket, additional_tags=(MARKER, "ai_billing"), note="AI triage")
    outcomes: list[WriteOutcome] = []
    hd = helpdesk(freshdesk_sandbox)
    hd.write_batch([change], replan=lambda t: change, journal=_Journal(), report=outcomes.append)
    assert [o.error for o in outcomes] == [None]
    stamp = outcomes[0].updated_at
    assert stamp is not None
    assert stamp == freshdesk_sandbox.store.find(ticket)["updated_at"]
    written = {ticket: stamp}
    quiet = list(hd.reply_pages(None, since=since, prefix="ai_", written=written.get))
    assert [c for p in quiet for c in p.conversations] == []
    clock.advance(5)
    requester_says(freshdesk_sandbox, ticket, "<p>and another thing</p>")
    cursor = quiet[-1].next_cursor
    again = list(hd.reply_pages(cursor, since=since, prefix="ai_", written=written.get))
    conversation = hd.conversation(ticket)
    hd.close()
    assert [c.ticket.id for p in again for c in p.conversations] == [ticket]
    assert conversation is not None
    assert [(m.body, m.public, m.from_requester) for m in conversation.messages] == [
        ("AI triage", False, False),
        ("and another thing", True, True),
    ]


def test_a_forwarded_email_is_never_the_requesters() -> None:
    items: list[Any] = [
        {
            "id": 1,
            "body_text": "fwd",
            "incoming": True,
            "private": False,
            "user_id": 9,
            "source": 8,
        },
        {"id": 2, "body_text": "me", "incoming": True, "private": False, "user_id": 9, "source": 0},
        {"id": "x", "body_text": "junk"},
        "junk",
    ]
    assert [(m.id, m.from_requester) for m in messages(items, 9)] == [(1, False), (2, True)]


def test_requester_responded_at_stays_for_a_second_message_in_a_row(
    freshdesk_sandbox: RunningFreshdesk, clock: FakeClock
) -> None:
    ticket = new_ticket(freshdesk_sandbox)

    def stats() -> dict[str, Any]:
        shown = requests.get(
            f"{freshdesk_sandbox.url}/api/v2/tickets/{ticket}",
            params={"include": "stats"},
            auth=freshdesk_auth(freshdesk_sandbox),
            timeout=5,
        ).json()
        return dict(shown["stats"])

    clock.advance(10)
    agent_replies(freshdesk_sandbox, ticket, "<p>Which card?</p>")
    clock.advance(10)
    first = requester_says(freshdesk_sandbox, ticket, "<p>The blue one</p>")["created_at"]
    assert stats()["requester_responded_at"] == first
    clock.advance(10)
    requester_says(freshdesk_sandbox, ticket, "<p>And the red one</p>")
    assert stats()["requester_responded_at"] == first  # why it never decides a skip
