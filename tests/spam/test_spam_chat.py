"""Customers who write as they would text a friend are not guessed against, on each sandbox,
through the CLI.

The head fitted on bulk mail is sure of many short chat-like messages ("HI! R U OPEN 2NITE?
… LUV JEN XXX"): without the chat rule (``spam/chat.py``) it gated two of these four
strangers' tickets as spam and suggested the other two. A short text that shows what text
spam shows (a prize, a sum, a number to call) is still judged by the head. None is closed.

The messages were written for this test, apart from the head's training rows and the dev sets.
"""

from __future__ import annotations

import pytest
from support.answers_desk import status
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket

KINDS = ("ai_spam", "ai_phishing", "ai_auto_sender")
SUGGESTED = "ai_suggested_spam"

CHAT = (
    NewTicket(
        "r u open?",
        "HI! R U OPEN 2NITE? WANNA PICK UP MY ORDER AFTER WORK. LUV JEN XXX",
        sender="jen.p@mailbox.example",
    ),
    NewTicket(
        "order",
        "hi darlin its kate, did my parcel go out 2day? txt back if u can :) xxx",
        sender="kate.m@mailbox.example",
    ),
    NewTicket(
        "thanks",
        "Hi babe its Kate, ur shop guy was lovely today, will defo come back. Love it xxx",
        sender="kate.m2@mailbox.example",
    ),
    NewTicket(
        "got it",
        "AWWW U R SO SWEET 4 SENDING IT EARLY! THANX LOADS, SPK SOON. LOVE JEN XXX",
        sender="jen.p2@mailbox.example",
    ),
)
# As short, but with a prize, a sum and a number to call: text spam, which the head judges.
TEXT_SPAM = NewTicket(
    "WINNER",
    "WINNER!! U have been selected to receive a £900 prize reward! To claim call 09061701461 "
    "now. Valid 12 hours only.",
    sender="promo@prize-line.example",
)


@pytest.mark.desk(configure=True)
def test_a_stranger_who_writes_like_a_text_message_is_not_guessed_against(desk: Desk) -> None:
    *chat_ids, spam_id = desk.create([*CHAT, TEXT_SPAM])
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    for ticket_id in chat_ids:
        tags = desk.snapshot(ticket_id).tags
        assert SUGGESTED not in tags, tags
        assert not [t for t in tags if t in KINDS], tags
        assert status(desk, ticket_id) not in ("solved", "closed")
    tags = desk.snapshot(spam_id).tags
    assert SUGGESTED in tags or [t for t in tags if t in KINDS], tags
    assert status(desk, spam_id) not in ("solved", "closed")
