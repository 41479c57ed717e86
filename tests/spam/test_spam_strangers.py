"""A stranger's first mail is gated only on proof (``spam/proof.py``), on each sandbox, through
the CLI.

- A customer's mail administrator writing from an address the team has never seen, about
  bounces and quarantined mail, is mail the head takes for phishing: it asks nothing of its
  reader (no password, no click, no payment), so it is at most suggested
  (``ai_suggested_spam``), triaged as a customer's and never closed. Since the head's apply
  threshold was chosen on the dev sets (0.9), neither is even suggested: one is as short as a
  chat message (the head alone decides nothing), the other below the threshold with no lure.
- A phishing mail that asks for a password or a card, with a link to a look-alike host, is
  gated; without the link it proves nothing of itself and is suggested.
- Bulk mail that asks its reader to order at the lowest prices is suggested rather than passed
  as a customer's (the head and two lures agree); with a link and a way off its list (bulk
  mail's structure) it is gated as spam.
"""

from __future__ import annotations

import pytest
from support.answers_desk import rows, status
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket

KINDS = ("ai_spam", "ai_phishing", "ai_auto_sender")
SUGGESTED = "ai_suggested_spam"

# Written for this test: genuine mail from a customer's mail administrators, whose words
# (bounces, quarantine, phishing filters) the head takes for phishing with no lure in them.
GENUINE = (
    NewTicket(
        "Invoices bounce from our accounts address",
        "Hi, our finance mailbox changed address and your invoices now bounce. Please send "
        "them to payables@fernhill-foods.example from now on and resend the last one.",
        sender="it@fernhill-foods.example",
    ),
    NewTicket(
        "Password reset mails land in quarantine",
        "Hello, your password reset mails are put in quarantine by our gateway as suspected "
        "phishing. Which sending servers should we allow?",
        sender="mail-admin@lindqvist-law.example",
    ),
)
# Bulk mail asking its reader to order at the lowest prices: two lures. The head was unsure of
# both (0.41 and 0.65) before it was fitted on bulk mail; now it is sure of them.
BULK = (
    NewTicket(
        "Watches",
        "Watches of every famous brand at the lowest prices. Order today, we ship worldwide.",
        sender="sales@timepieces-outlet.example",
    ),
    NewTicket(
        "Watches",
        "Replica watches of every famous brand, shipped in a gift box. Order today, we ship "
        "worldwide.",
        sender="sales@timepieces-outlet.example",
    ),
)


@pytest.mark.desk(configure=True)
def test_a_stranger_s_mail_the_head_alone_is_sure_of_is_only_suggested(desk: Desk) -> None:
    (phish,) = [m for m in rows("spam_tickets.jsonl") if m["id"] == "held-2"]
    link = "\n\nhttps://paypal-kundenkonto.example/anmelden"
    gated = NewTicket(phish["subject"], phish["description"] + link, sender=phish["sender"])
    guessed = NewTicket(phish["subject"], phish["description"], sender=phish["sender"])
    footer = "\nwww.timepieces-outlet.example\nTo unsubscribe from this list click here."
    listed = NewTicket(BULK[0].subject, BULK[0].body + footer, sender=BULK[0].sender)
    ids = desk.create([*GENUINE, gated, guessed, *BULK, listed])
    genuine_ids, (phish_id, guessed_id) = ids[: len(GENUINE)], ids[len(GENUINE) : len(GENUINE) + 2]
    bulk_ids, listed_id = ids[-len(BULK) - 1 : -1], ids[-1]
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    for ticket_id in genuine_ids:
        snap = desk.snapshot(ticket_id)
        assert SUGGESTED not in snap.tags, snap.tags
        assert not [t for t in snap.tags if t in KINDS], snap.tags
        assert status(desk, ticket_id) not in ("solved", "closed")
    # A mail that asks for a password and a card number, with a link to a look-alike host.
    phish_tags = desk.snapshot(phish_id).tags
    assert "ai_phishing" in phish_tags, phish_tags
    # The same without the link: the head and the lure agree, but that is a guess.
    guessed_tags = desk.snapshot(guessed_id).tags
    assert SUGGESTED in guessed_tags, guessed_tags
    assert not [t for t in guessed_tags if t in KINDS], guessed_tags
    # Bulk mail asking its reader to order at the lowest prices: suggested, never closed.
    for ticket_id in bulk_ids:
        suggested_tags = desk.snapshot(ticket_id).tags
        assert SUGGESTED in suggested_tags, suggested_tags
        assert status(desk, ticket_id) not in ("solved", "closed")
    # With a link and a way off its list, bulk mail's structure: gated as spam.
    assert "ai_spam" in desk.snapshot(listed_id).tags
