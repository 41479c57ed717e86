"""Each helpdesk's solved history as its adapter reads it from the sandbox: only solved tickets
inside the window, only the agents' public replies (never the requester's message, an internal
note or ticketbot's own reply), and the article ids their links name in the helpdesk's own URL
form (a Zendesk Help Center URL on Zendesk, a Solutions URL on Freshdesk)."""

from __future__ import annotations

import os
import time

import pytest
from support.history_desk import article_url

from ticket_processor.helpdesks.freshdesk.history import linked_articles as freshdesk_links
from ticket_processor.helpdesks.zendesk.history import linked_articles as zendesk_links
from ticket_processor.run.connect import connect, load_settings
from ticket_processor.sandbox.desks import Desk, NewTicket


def test_each_kind_reads_its_own_article_urls() -> None:
    assert zendesk_links(
        'see <a href="https://acme.zendesk.com/hc/en-us/articles/360012-reset">this</a> and '
        "https://help.acme.com/hc/articles/77 and /hc/de/articles/360012-x"
    ) == (360012, 77)
    assert zendesk_links("https://acme.freshdesk.com/support/solutions/articles/5") == ()
    assert freshdesk_links(
        "https://acme.freshdesk.com/support/solutions/articles/5000123-reset and "
        '<a href="/support/solutions/articles/42">x</a>'
    ) == (5000123, 42)
    assert freshdesk_links("https://acme.zendesk.com/hc/en-us/articles/360012-reset") == ()


@pytest.mark.desk(configure=True)
def test_the_adapter_reads_solved_tickets_and_their_agents_public_replies(desk: Desk) -> None:
    now = time.time()
    article = {"title": "Reset your password"}
    linked = desk.import_answered(
        NewTicket("Password", "How do I reset it?"),
        [
            ("Let me check.", now - 7200),
            (f"Here: {article_url(desk, 101, article)}", now - 3600),
        ],
        now - 1800,
    )
    plain = desk.import_answered(
        NewTicket("Refund", "Where is my refund?"), [("Done, refunded.", now - 600)], now - 60
    )
    old = desk.import_answered(
        NewTicket("Old", "Old question"), [("Answered", now - 200 * 86400)], now - 199 * 86400
    )
    [open_id] = desk.create([NewTicket("Open", "Still open")])
    desk.agent_notes(open_id, f"internal {article_url(desk, 102, article)}")
    helpdesk = connect(load_settings(dict(os.environ)))
    try:
        found = {s.ticket.id: s for s in helpdesk.solved_history(int(now - 90 * 86400))}  # type: ignore[attr-defined]
    finally:
        helpdesk.close()
    assert set(found) == {linked, plain}, (set(found), old, open_id)
    replies = found[linked].replies
    assert [r.articles for r in replies] == [(), (101,)]
    assert all("How do I reset" not in r.body for r in replies)
    assert [r.articles for r in found[plain].replies] == [()]
    assert found[plain].replies[0].body.startswith("Done, refunded")
