"""Bulk mail as a public spam corpus holds it is caught, on each sandbox, through the CLI.

A stock tip and word salad around a pharmacy's offer ask nothing the lure families know, or only
one thing: the head, fitted on today's phishing and SEO offers alone, let them pass as customers'
tickets. Fitted on bulk mail too (``tests/data/spam_bulk_written.jsonl`` and half the SMS Spam
Collection's spam), it is sure of them: a stranger's mail it alone is sure of is suggested, and so
is one that offers drugs as well: a stranger's mail is gated only on proof (``spam/proof.py``), and
neither carries a link or a way off a list. One whose only lure is a price ("$35"), a customer's
word too, is only suggested. A diploma mill's offer and an "immediate attention" mail are as short
as a chat message and ask nothing else: on those the head alone decides nothing (``spam/chat.py``),
and they pass, the price of not guessing against customers who write short. None of them is closed,
and a customer's ticket beside them is left alone.

The mails were written for this test, apart from the head's training rows.
"""

from __future__ import annotations

import pytest
from support.answers_desk import status
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket

KINDS = ("ai_spam", "ai_phishing", "ai_auto_sender")
SUGGESTED = "ai_suggested_spam"

BULK = (
    NewTicket(
        "Small cap on the move",
        "Northgate Mining Corp. (OTC: NGMC)\nLast trade: 0.21\n10-day target: 0.90\nNews: NGMC "
        "confirms a gold discovery at its Nevada claim. Insiders are buying. This one is ready "
        "to run.",
        sender="news@market-movers.example",
    ),
    NewTicket(
        "re: hey",
        "glitter compass harbor almond velocity pumpkin ledger orchard\nthe pharmacy everyone "
        "talks about: sleeping pills, pain relief and more at half price\nmarble lantern saddle",
        sender="kim@mailer-hub.example",
    ),
)
# As short as a chat message and asking nothing else: a diploma mill's offer, and a mail the
# head is sure of (0.93) whose only lure is a deadline, a customer's word too.
SHORT = (
    NewTicket(
        "university diploma",
        "Obtain a bachelors, masters or doctorate degree based on your work experience. No "
        "exams, no classes, no studying. Fully verifiable. Confidential service, call 24 hours "
        "a day.",
        sender="info@degree-office.example",
    ),
    NewTicket(
        "Immediate attention required",
        "This requires your immediate attention. Please respond immediately.",
        sender="admin@secure-mailhub.example",
    ),
)
# A supplier's quote from an address the team has never seen: the head is sure it is bulk
# mail (0.97), and a price is its only lure.
QUOTE = NewTicket(
    "Quote",
    "Here is the quote you asked for: 12 licences at $35 each, $420 in total.",
    sender="sales@bright-tools.example",
)
CUSTOMER = NewTicket(
    "Invoice shows the wrong company name",
    "Hello, the invoice for March shows our old company name. Could you send a corrected "
    "one? Our new name is Harbour Lane Studio Ltd.",
    sender="office@harbourlane.example",
)


@pytest.mark.desk(configure=True)
def test_bulk_mail_the_head_once_passed_is_suggested_or_gated(desk: Desk) -> None:
    tickets = [*BULK, *SHORT, QUOTE, CUSTOMER]
    *bulk_ids, short_a, short_b, quote_id, customer_id = desk.create(tickets)
    short_ids = (short_a, short_b)
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    tagged = {ticket_id: desk.snapshot(ticket_id).tags for ticket_id in bulk_ids}
    for ticket_id, tags in tagged.items():
        assert SUGGESTED in tags or [t for t in tags if t in KINDS], tags
        assert status(desk, ticket_id) not in ("solved", "closed")
    stock, salad = (tagged[ticket_id] for ticket_id in bulk_ids)
    # The head alone is sure of a stranger's mail that asks nothing: only a suggestion.
    assert SUGGESTED in stock, stock
    assert not [t for t in stock if t in KINDS], stock
    # The head and the pharmacy's offer agree, but the mail proves nothing of itself: suggested.
    assert SUGGESTED in salad, salad
    assert not [t for t in salad if t in KINDS], salad
    # A price beside the head's word: a suggestion, never a gate.
    quote = desk.snapshot(quote_id).tags
    assert SUGGESTED in quote, quote
    assert not [t for t in quote if t in KINDS], quote
    # As short as a chat message, asking nothing else: the head alone decides nothing.
    for ticket_id in short_ids:
        tags = desk.snapshot(ticket_id).tags
        assert SUGGESTED not in tags, tags
        assert not [t for t in tags if t in KINDS], tags
        assert status(desk, ticket_id) not in ("solved", "closed")
    customer = desk.snapshot(customer_id).tags
    assert SUGGESTED not in customer, customer
    assert not [t for t in customer if t in KINDS], customer
