"""The sandbox's ticket event export as Zendesk serves it, and replies read from it.

Real HTTP to a sandbox on port 0 whose tickets, events and rate windows all run on one fake
clock, so the export's one-minute rules are met by moving the clock, never by sleeping. A test
posts a requester's public comment, an agent's public reply and an internal note with
``PUT /api/v2/tickets/{id}`` and ``ticket.comment`` (``author_id`` names the requester).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from support.clock import FakeClock
from support.zendesk_sandbox import sandbox_auth

from ticket_processor.helpdesks.zendesk.client import ZendeskClient
from ticket_processor.helpdesks.zendesk.records import parse_ticket_events
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.models import Cursor
from ticket_processor.zendesk import ZendeskHelpdesk

MARKER = "ai_processed"
EVENTS = "/api/v2/incremental/ticket_events.json"


# ``sandbox``: on the test's clock, its tickets and events stamped on it too.
pytestmark = [
    pytest.mark.clock(real_pause=0.001),
    pytest.mark.sandbox(clock="clock", stamped=True),
]


def new_ticket(sb: RunningSandbox, *, tags: tuple[str, ...] = (MARKER,), **fields: Any) -> int:
    body = {"subject": "Refund", "comment": {"body": "I was charged twice"}, "tags": list(tags)}
    body["requester"] = {"email": "customer@example.com", "name": "Customer"}
    return int(sb.store.create({**body, **fields})["id"])


def put(sb: RunningSandbox, ticket_id: int, change: dict[str, Any]) -> dict[str, Any]:
    answer = requests.put(
        f"{sb.url}/api/v2/tickets/{ticket_id}.json",
        json={"ticket": change},
        auth=sandbox_auth(sb),
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["ticket"])


def requester_says(sb: RunningSandbox, ticket_id: int, text: str) -> dict[str, Any]:
    author = sb.store.get(ticket_id)["requester_id"]
    return put(sb, ticket_id, {"comment": {"body": text, "public": True, "author_id": author}})


def agent_replies(sb: RunningSandbox, ticket_id: int, text: str) -> dict[str, Any]:
    return put(sb, ticket_id, {"comment": {"body": text, "public": True}})


def agent_notes(sb: RunningSandbox, ticket_id: int, text: str) -> dict[str, Any]:
    return put(sb, ticket_id, {"comment": {"body": text, "public": False}})


def export(sb: RunningSandbox, start: int, include: str | None = "comment_events") -> Any:
    params: dict[str, Any] = {"start_time": start}
    if include:
        params["include"] = include
    return requests.get(f"{sb.url}{EVENTS}", params=params, auth=sandbox_auth(sb), timeout=5)


# --- the sandbox's export ---------------------------------------------------------------


def test_a_start_time_less_than_a_minute_old_is_refused_as_zendesk_does(
    sandbox: RunningSandbox, clock: FakeClock
) -> None:
    answer = export(sandbox, int(clock.now) - 30)
    assert answer.status_code == 422
    assert answer.json() == {
        "error": "InvalidValue",
        "description": "Too recent start_time. Use a start_time older than 1 minute",
    }
    assert export(sandbox, int(clock.now) - 61).status_code == 200


def test_events_of_the_last_minute_are_left_out_and_come_on_the_next_read(
    sandbox: RunningSandbox, clock: FakeClock
) -> None:
    start = int(clock.now) - 120
    ticket = new_ticket(sandbox)
    clock.advance(10)
    requester_says(sandbox, ticket, "Any news?")
    clock.advance(30)
    body = export(sandbox, start).json()
    assert (body["count"], body["ticket_events"], body["end_of_stream"]) == (0, [], True)
    assert body["end_time"] == int(clock.now) - 60  # where the left-out minute begins
    assert body["next_page"].endswith(f"start_time={body['end_time']}&include=comment_events")
    clock.advance(31)  # both writes are more than a minute old now
    body = export(sandbox, body["end_time"]).json()
    assert [e["ticket_id"] for e in body["ticket_events"]] == [ticket, ticket]
    stamps = [e["timestamp"] for e in body["ticket_events"]]
    assert stamps == sorted(stamps)
    assert body["end_time"] == int(clock.now) - 60


def test_comment_events_say_who_wrote_what_and_whether_it_is_public(
    sandbox: RunningSandbox, clock: FakeClock
) -> None:
    start = int(clock.now) - 120
    ticket = new_ticket(sandbox)
    requester = sandbox.store.get(ticket)["requester_id"]
    before = sandbox.store.get(ticket)["updated_at"]
    assert requester_says(sandbox, ticket, "Still charged twice")["updated_at"] > before
    agent_replies(sandbox, ticket, "We are on it")
    agent_notes(sandbox, ticket, "billing, high")
    clock.advance(61)
    events = export(sandbox, start).json()["ticket_events"]
    assert [e["event_type"] for e in events] == ["Audit"] * 4
    assert {e["updater_id"] for e in events[1:]} == {requester, 1}
    comments = [
        (c["author_id"], c["public"], c["plain_body"])
        for e in events
        for c in e["child_events"]
        if c["event_type"] == "Comment"
    ]
    assert comments == [
        (requester, True, "I was charged twice"),
        (requester, True, "Still charged twice"),
        (1, True, "We are on it"),
        (1, False, "billing, high"),
    ]
    first = next(c for c in events[0]["child_events"] if c["event_type"] == "Comment")
    assert set(first) >= {"id", "body", "html_body", "plain_body", "public", "author_id"}
    assert "Create" in [c["event_type"] for c in events[0]["child_events"]]
    listed = sandbox.store.comments(ticket)
    assert [(c["author_id"], c["public"]) for c in listed] == [
        (requester, True),
        (requester, True),
        (1, True),
        (1, False),
    ]
    # Without the sideload a comment is only flagged on the other child events.
    bare = export(sandbox, start, include=None).json()["ticket_events"]
    kinds = {c["event_type"] for e in bare for c in e["child_events"]}
    assert "Comment" not in kinds
    flags = [c["comment_public"] for c in bare[0]["child_events"]]
    assert flags
    assert all(flags)


def test_an_update_many_jobs_note_is_an_event_too(
    sandbox: RunningSandbox, clock: FakeClock
) -> None:
    start = int(clock.now) - 120
    ticket = new_ticket(sandbox, tags=())
    sandbox.store.update_many(
        [(ticket, {"additional_tags": [MARKER], "comment": {"body": "AI", "public": False}})]
    )
    clock.advance(61)
    last = export(sandbox, start).json()["ticket_events"][-1]
    kinds = {c["event_type"]: c for c in last["child_events"]}
    assert kinds["Comment"]["public"] is False
    assert kinds["Change"]["added_tags"] == [MARKER]


def test_the_event_export_shares_the_incremental_exports_limit(
    sandbox_factory: Callable[..., RunningSandbox], clock: FakeClock
) -> None:
    sb = sandbox_factory(SandboxConfig(clock=clock, incremental_limit_per_min=2))
    sb.store.use_clock(clock)
    auth = sandbox_auth(sb)
    cursor = f"{sb.url}/api/v2/incremental/tickets/cursor.json"
    assert requests.get(cursor, params={"start_time": 0}, auth=auth, timeout=5).ok
    assert export(sb, 0).status_code == 200
    refused = export(sb, 0)
    assert refused.status_code == 429
    assert "incremental export" in refused.json()["description"]


def test_zenpy_reads_the_ticket_events(
    sandbox: RunningSandbox, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    zenpy = pytest.importorskip("zenpy")
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", f"127.0.0.1:{sandbox.port}")
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    start = int(clock.now) - 120
    ticket = new_ticket(sandbox)
    requester_says(sandbox, ticket, "Hello?")
    clock.advance(61)
    zp = zenpy.Zenpy(subdomain="x", email=sandbox.config.email, token=sandbox.config.token)
    found = list(zp.tickets.events(start_time=start, include="comment_events"))
    assert [e.ticket_id for e in found] == [ticket, ticket]
    bodies = [c["body"] for c in found[1].child_events if c["event_type"] == "Comment"]
    assert bodies == ["Hello?"]


# --- replies through the adapter ------------------------------------------------------------


def helpdesk(sb: RunningSandbox, clock: FakeClock) -> ZendeskHelpdesk:
    client = ZendeskClient(sb.url, email=sb.config.email, api_token=sb.config.token)
    return ZendeskHelpdesk(client, marker=MARKER, clock=clock, sleep=clock.sleep)


def requests_made(sb: RunningSandbox) -> dict[str, int]:
    return dict(sb.stats()["requests"])


def test_reply_pages_read_only_triaged_unsolved_tickets_with_a_requesters_public_comment(
    sandbox: RunningSandbox, clock: FakeClock
) -> None:
    since = int(clock.now) - 120
    replied = new_ticket(sandbox)
    agent_only = new_ticket(sandbox)
    noted = new_ticket(sandbox)
    untriaged = new_ticket(sandbox, tags=())
    solved = new_ticket(sandbox, status="solved")
    quiet = new_ticket(sandbox)
    clock.advance(5)
    requester_says(sandbox, replied, "It happened again")
    agent_replies(sandbox, agent_only, "Refunded")
    agent_notes(sandbox, noted, "checked the ledger")
    requester_says(sandbox, untriaged, "Hello?")
    requester_says(sandbox, solved, "Thanks!")
    clock.advance(61)
    sandbox.sandbox.reset_stats()
    hd = helpdesk(sandbox, clock)
    pages = list(hd.reply_pages(None, since=since, prefix="ai_", written=lambda _: None))
    hd.close()
    assert [c.ticket.id for p in pages for c in p.conversations] == [replied]
    conversation = pages[-1].conversations[0]
    assert [(m.body, m.public, m.from_requester) for m in conversation.messages] == [
        ("It happened again", True, True)
    ]
    assert pages[-1].last
    assert pages[-1].next_cursor == Cursor("ticket_events", str(int(clock.now) - 60))
    # One export page, one show_many for the five tickets with a public comment after their
    # creation, and the comments of the one ticket kept: none for the others; who ticketbot is
    # (the author of its own notes), once a conversation is read.
    assert requests_made(sandbox) == {
        "GET /api/v2/incremental/ticket_events": 1,
        "GET /api/v2/tickets/show_many": 1,
        "GET /api/v2/tickets/{id}/comments": 1,
        "GET /api/v2/users/me": 1,
    }
    assert quiet not in [c.ticket.id for p in pages for c in p.conversations]


def test_reply_pages_go_on_from_the_end_time_and_a_too_recent_start_is_an_empty_page(
    sandbox: RunningSandbox, clock: FakeClock
) -> None:
    ticket = new_ticket(sandbox)
    hd = helpdesk(sandbox, clock)
    # A first run starting now: Zendesk refuses a start under a minute old.
    since = int(clock.now)
    refused = list(hd.reply_pages(None, since=since, prefix="ai_", written=lambda _: None))
    assert len(refused) == 1
    assert refused[0].conversations == []
    cursor = Cursor("ticket_events", str(since))
    assert (refused[0].next_cursor, refused[0].last) == (cursor, True)
    clock.advance(5)
    requester_says(sandbox, ticket, "Any update?")
    clock.advance(61)
    found = list(hd.reply_pages(cursor, since=0, prefix="ai_", written=lambda _: None))
    assert [c.ticket.id for p in found for c in p.conversations] == [ticket]
    after = found[-1].next_cursor
    assert after == Cursor("ticket_events", str(int(clock.now) - 60))
    clock.advance(120)  # nothing new since: the reply is not found again
    again = list(hd.reply_pages(after, since=0, prefix="ai_", written=lambda _: None))
    hd.close()
    assert [c for p in again for c in p.conversations] == []


def test_conversation_is_one_ticket_read_and_its_comments(
    sandbox: RunningSandbox, clock: FakeClock
) -> None:
    ticket = new_ticket(sandbox)
    requester_says(sandbox, ticket, "more detail")
    agent_notes(sandbox, ticket, "AI triage")
    sandbox.sandbox.reset_stats()
    hd = helpdesk(sandbox, clock)
    found = hd.conversation(ticket)
    missing = hd.conversation(999)
    hd.close()
    assert found is not None
    assert missing is None
    assert found.ticket.requester_id == sandbox.store.get(ticket)["requester_id"]
    assert [(m.body, m.public, m.from_requester, m.from_ticketbot) for m in found.messages] == [
        ("more detail", True, True, False),
        ("AI triage", False, False, True),  # put through the API: ticketbot's own user wrote it
    ]
    # Two for the ticket found, one for none, and who ticketbot is (once).
    assert sum(requests_made(sandbox).values()) == 4


def test_a_malformed_event_record_is_skipped() -> None:
    page = parse_ticket_events(
        {
            "ticket_events": [
                "junk",
                {"ticket_id": "x", "child_events": []},
                {"ticket_id": 7, "child_events": None},
                {
                    "ticket_id": 8,
                    "child_events": [
                        "junk",
                        {"event_type": "Comment", "public": True, "author_id": 5},
                        {"event_type": "Comment", "public": False, "author_id": 6},
                    ],
                },
            ],
            "end_time": 100,
            "end_of_stream": True,
        }
    )
    assert page.public_comments == [(8, 5)]
    assert len(page.malformed) == 3
    assert (page.end_time, page.end_of_stream) == (100, True)


def test_reply_pages_follow_end_time_across_full_pages(
    sandbox: RunningSandbox, clock: FakeClock
) -> None:
    since = int(clock.now) - 120
    for i in range(1100):  # 1,100 creation events over 11 seconds: two export pages
        new_ticket(sandbox, tags=())
        if i % 100 == 99:
            clock.advance(1)
    ticket = new_ticket(sandbox)
    requester_says(sandbox, ticket, "Hello again")
    clock.advance(61)
    sandbox.sandbox.reset_stats()
    hd = helpdesk(sandbox, clock)
    pages = list(hd.reply_pages(None, since=since, prefix="ai_", written=lambda _: None))
    hd.close()
    assert len(pages) == 2
    assert [p.last for p in pages] == [False, True]
    cursors = [int(p.next_cursor.value or 0) for p in pages if p.next_cursor is not None]
    assert cursors == sorted(cursors)
    assert cursors[0] > since
    assert [c.ticket.id for p in pages for c in p.conversations] == [ticket]
    assert requests_made(sandbox) == {
        "GET /api/v2/incremental/ticket_events": 2,
        "GET /api/v2/tickets/show_many": 1,
        "GET /api/v2/tickets/{id}/comments": 1,
        "GET /api/v2/users/me": 1,
    }


def test_without_an_admins_token_replies_are_not_looked_for_and_it_says_so(
    sandbox: RunningSandbox, clock: FakeClock
) -> None:
    sandbox.config.admin = False
    hd = helpdesk(sandbox, clock)
    pages = list(hd.reply_pages(None, since=0, prefix="ai_", written=lambda _: None))
    hd.close()
    assert len(pages) == 1
    assert pages[0].last
    assert pages[0].conversations == []
    assert [name for name, _ in pages[0].notices] == ["replies_unavailable"]
