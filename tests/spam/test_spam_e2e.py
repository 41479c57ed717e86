"""The spam gate end to end, on each sandbox, through the CLI, with answers sent.

60 new tickets: 50 customers' (``answers_tickets.jsonl``) and 10 no customer wrote
(``spam_tickets.jsonl``: phishing, SEO and link offers, a bounce, out-of-office replies and a
no-reply notice, in five languages, the last ones by mail from their senders; neither file is
among the head's training rows). Their senders are strangers to a fresh helpdesk, so only what
proves itself is gated (``spam/proof.py``: the bounce from a mail system's address) and the
rest is suggested (``ai_suggested_spam``): at least 7 of the 10 are tagged, none of the 50 (an
SEO offer the head is unsure of stays a customer's, and a French out-of-office reply as short
as a chat message passes: ``spam/chat.py``); none of the 10 gets a reply or is closed, the gated
one is not escalated (a route escalates every pressing ticket) and a ``spam = true`` route tags
it; each note says why. A phishing mail with a link to a look-alike host is gated.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.answers_desk import outbox, publish_help_centre, rows, status
from support.cli import invoke
from support.clock import FakeClock

from ticket_processor.sandbox.desks import Desk, NewTicket

KINDS = ("ai_spam", "ai_phishing", "ai_auto_sender")
SUGGESTED = "ai_suggested_spam"
# A link to a host that wears a brand it does not belong to: what proves a stranger's phishing
# mail (``spam/proof.py``), added to the held-out mails that name no link of their own.
LOOKALIKE = "\n\nhttps://outlook-mailbox-validate.example/login"
ROUTES = """
[[route]]
name = "spam aside"
when = { spam = true }
add_tags = ["spam_review"]

[[route]]
name = "pressing to a person"
when = { urgency = ["critical", "high"], confidence_below = 1 }  # sure and unsure alike
escalate = true
"""

ESCALATE_ALL = """
[[route]]
name = "everything to a person"
when = { confidence_below = 1 }
escalate = true
"""


@pytest.mark.desk(clock="desk_clock", configure=True)
def test_the_gate_tags_what_no_customer_wrote_and_nothing_else(
    desk: Desk, desk_clock: FakeClock, tmp_path: Path
) -> None:
    publish_help_centre(desk)
    customers = rows("answers_tickets.jsonl")[:50]
    machines = rows("spam_tickets.jsonl")
    customer_ids = desk.create([NewTicket(c["subject"], c["description"]) for c in customers])
    spam_ids = desk.create(
        [NewTicket(m["subject"], m["description"], sender=m["sender"]) for m in machines]
    )
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, encoding="utf-8")
    env = {"TICKETBOT_ANSWER_MODE": "send", "TICKETBOT_ROUTES": str(routes)}
    result = invoke("run", "--engine", "rules", env=env)
    assert result.exit_code == 0, result.output

    tagged, gated = {}, []
    for ticket_id, case in zip(spam_ids, machines, strict=True):
        snap = desk.snapshot(ticket_id)
        kinds = [t for t in snap.tags if t in KINDS]
        if kinds:
            gated.append(ticket_id)
            assert kinds == [f"ai_{case['labels']['spam']}"], (case["id"], snap.tags)
            assert "ai_spam_review" in snap.tags  # the spam route matched
            assert "ai_escalated" not in snap.tags, (case["id"], snap.tags)
        if kinds or SUGGESTED in snap.tags:
            tagged[ticket_id] = kinds or [SUGGESTED]
            assert any("Spam gate:" in note for note in snap.notes)
        assert status(desk, ticket_id) not in ("solved", "closed")
    assert len(tagged) >= 7, tagged
    assert [case["id"] for t, case in zip(spam_ids, machines, strict=True) if t in gated] == [
        "held-7"
    ]
    # The run says what the gate did, in its own line (a team checks its first verdicts).
    assert f"spam gate: {len(gated)} gated (" in result.output, result.output
    escalated = 0
    for ticket_id in customer_ids:
        tags = desk.snapshot(ticket_id).tags
        assert not [t for t in tags if t in KINDS or t in ("ai_spam_review", SUGGESTED)], tags
        escalated += "ai_escalated" in tags
    assert escalated >= 1  # the pressing customers are escalated
    mailed = {m["ticket_id"] for m in outbox(desk)}
    assert mailed, "answers went out to customers"
    assert not mailed & set(spam_ids)


@pytest.mark.desk(configure=True)
def test_without_the_gate_the_same_mail_is_triaged_as_a_customer(
    desk: Desk, tmp_path: Path
) -> None:
    """The test above fails without the gate: its phishing mail is then an escalated ticket."""
    (phish,) = [m for m in rows("spam_tickets.jsonl") if m["id"] == "held-1"]
    (ticket_id,) = desk.create(
        [NewTicket(phish["subject"], phish["description"], sender=phish["sender"])]
    )
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES + ESCALATE_ALL, encoding="utf-8")
    env = {"TICKETBOT_SPAM_GATE": "false", "TICKETBOT_ROUTES": str(routes)}
    result = invoke("run", "--engine", "rules", env=env)
    assert result.exit_code == 0, result.output
    tags = desk.snapshot(ticket_id).tags
    assert not [t for t in tags if t in KINDS]
    assert "ai_escalated" in tags
    assert not [n for n in desk.snapshot(ticket_id).notes if "Spam gate:" in n]


@pytest.mark.desk(configure=True)
def test_a_spam_ticket_matches_no_other_route_and_escalates_by_none(
    desk: Desk, tmp_path: Path
) -> None:
    """With the gate, the same mail with a look-alike link, under a route that escalates every
    ticket: not escalated."""
    (phish,) = [m for m in rows("spam_tickets.jsonl") if m["id"] == "held-1"]
    (ticket_id,) = desk.create(
        [NewTicket(phish["subject"], phish["description"] + LOOKALIKE, sender=phish["sender"])]
    )
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES + ESCALATE_ALL, encoding="utf-8")
    result = invoke("run", "--engine", "rules", env={"TICKETBOT_ROUTES": str(routes)})
    assert result.exit_code == 0, result.output
    snap = desk.snapshot(ticket_id)
    assert "ai_phishing" in snap.tags
    assert "ai_spam_review" in snap.tags
    assert "ai_escalated" not in snap.tags
    # Its "closed after 48 hours" sets no priority (ticketbot tags a priority it sets).
    assert not [t for t in snap.tags if t.startswith("ai_priority_")]


@pytest.mark.desk(clock="desk_clock", configure=True)
def test_what_follows_a_spam_ticket_is_not_re_triaged(desk: Desk, desk_clock: FakeClock) -> None:
    """A phisher's next message, judged again and set aside again: no second note, no route.
    (A customer's message on a gated ticket is re-triaged: ``test_spam_customers``.)"""
    (phish,) = [m for m in rows("spam_tickets.jsonl") if m["id"] == "held-2"]
    (spam_id,) = desk.create(
        [NewTicket(phish["subject"], phish["description"] + LOOKALIKE, sender=phish["sender"])]
    )
    (customer_id,) = desk.create([NewTicket("Login", "I cannot sign in to my account.")])
    assert invoke("run", "--engine", "rules").exit_code == 0
    assert "ai_phishing" in desk.snapshot(spam_id).tags
    desk_clock.advance(5)
    desk.requester_says(
        spam_id,
        "Letzte Erinnerung: Ihr Konto wird heute gesperrt. Bestätigen Sie Benutzername, "
        "Passwort und Kreditkartennummer über den untenstehenden Link, um die Sperrung zu "
        "vermeiden.",
    )
    desk.requester_says(customer_id, "Urgent: the export still fails with error 500, fix it now.")
    desk_clock.now = float(int(time.time()))
    assert invoke("run", "--engine", "rules").exit_code == 0
    assert len(desk.snapshot(spam_id).notes) == 1
    assert len(desk.snapshot(customer_id).notes) == 2  # a customer's reply is re-triaged
