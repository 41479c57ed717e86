"""The spam gate never gates a customer on a guess, on each sandbox, through the CLI.

- The same phishing mail, with a link to a look-alike host (the proof a stranger's mail needs:
  ``spam/proof.py``), from a stranger is gated (``ai_phishing``); from a requester of an
  organisation, a known sender (``TICKETBOT_SPAM_KNOWN_SENDERS``) or a requester whose earlier
  ticket an agent solved, it is only suggested (``ai_suggested_spam``) and triaged as a
  customer's ticket.
- A customer who forwards a phishing mail from a German or a French mail client, or pastes one,
  and asks whether it is ours sent a report: no spam tag at all.
- A gated ticket whose requester writes again as a customer is re-triaged; a gated machine's
  automatic reply is not.
"""

from __future__ import annotations

import time

import pytest
from support.answers_desk import rows
from support.cli import invoke
from support.clock import FakeClock

from ticket_processor.sandbox.desks import Desk, NewTicket

KINDS = ("ai_spam", "ai_phishing", "ai_auto_sender")
SUGGESTED = "ai_suggested_spam"


def _phish(case: str) -> dict[str, str]:
    """A held-out phishing mail with a link to a look-alike host added (they name none)."""
    (row,) = [m for m in rows("spam_tickets.jsonl") if m["id"] == case]
    found = {key: str(value) for key, value in row.items()}
    found["description"] += "\n\nhttps://outlook-mailbox-validate.example/login"
    return found


@pytest.mark.desk(configure=True)
def test_a_known_customer_is_only_suggested_where_a_stranger_is_gated(desk: Desk) -> None:
    phish = _phish("held-1")
    stranger, member, listed = desk.create(
        [
            NewTicket(phish["subject"], phish["description"], sender="it@quota.example.net"),
            NewTicket(
                phish["subject"], phish["description"], sender="anna@acme.example", organization=7
            ),
            NewTicket(phish["subject"], phish["description"], sender="it@partner.example"),
        ]
    )
    env = {"TICKETBOT_SPAM_KNOWN_SENDERS": "billing@acme.example,@partner.example"}
    result = invoke("run", "--engine", "rules", env=env)
    assert result.exit_code == 0, result.output
    assert "ai_phishing" in desk.snapshot(stranger).tags
    for ticket_id in (member, listed):
        snap = desk.snapshot(ticket_id)
        assert SUGGESTED in snap.tags, snap.tags
        assert not [t for t in snap.tags if t in KINDS], snap.tags
        (note,) = snap.notes
        assert "suggested only" in note
        assert "a known customer" in note


# (subject, the customer's words and the forward's header, the mail forwarded): a German
# Thunderbird forward, a French Apple Mail one, a mail pasted under a question.
@pytest.mark.desk(configure=True)
def test_a_requester_whose_earlier_ticket_an_agent_solved_is_only_suggested(desk: Desk) -> None:
    phish = _phish("held-1")
    day = time.time() - 86400
    desk.import_answered(
        NewTicket("Invoice question", "Where is my March invoice?", sender="lee@client.example"),
        [("Here it is, attached.", day)],
        solved_at=day + 600,
    )
    known, stranger = desk.create(
        [
            NewTicket(phish["subject"], phish["description"], sender="lee@client.example"),
            NewTicket(phish["subject"], phish["description"], sender="x@quota.example.net"),
        ]
    )
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    assert "ai_phishing" in desk.snapshot(stranger).tags
    tags = desk.snapshot(known).tags
    assert SUGGESTED in tags, tags
    assert not [t for t in tags if t in KINDS], tags


FORWARDS = (
    (
        "WG: Dringend: Bestätigung Ihrer Zugangsdaten",
        "Hallo, ist das von Ihnen?\n\n-------- Weitergeleitete Nachricht --------\n"
        "Betreff: Dringend: Bestätigung Ihrer Zugangsdaten\nDatum: Mon, 2 Mar 2026\n"
        "Von: Sicherheit <s@kundenkonto-pruefung.example.com>\n\n",
        "held-2",
    ),
    (
        "TR: Remboursement en attente de validation",
        "Bonjour, est-ce bien de vous ?\n\nDébut du message réexpédié :\n\n"
        "De: service <s@facture-en-ligne.example.org>\nObjet: Remboursement en attente\n"
        "Date: 2 mars 2026\n\n",
        "held-3",
    ),
    ("Is this from you?", "Is this from you? I received this e-mail today:\n\n", "held-1"),
)


@pytest.mark.desk(configure=True)
def test_a_customer_who_forwards_phishing_to_ask_sent_a_report(desk: Desk) -> None:
    tickets = [NewTicket(s, own + _phish(case)["description"]) for s, own, case in FORWARDS]
    ids = desk.create(tickets)
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    for ticket_id in ids:
        snap = desk.snapshot(ticket_id)
        assert not [t for t in snap.tags if t in KINDS or t == SUGGESTED], snap.tags
        (note,) = snap.notes
        assert "Spam gate" not in note


@pytest.mark.desk(clock="desk_clock", configure=True)
def test_a_gated_requester_who_writes_again_is_re_triaged(
    desk: Desk, desk_clock: FakeClock
) -> None:
    phish = _phish("held-2")
    (gated,) = desk.create([NewTicket(phish["subject"], phish["description"])])
    (machine,) = desk.create([NewTicket(phish["subject"], phish["description"])])
    assert invoke("run", "--engine", "rules").exit_code == 0
    for ticket_id in (gated, machine):
        assert "ai_phishing" in desk.snapshot(ticket_id).tags
    desk_clock.advance(5)
    desk.requester_says(
        gated,
        "This was me, not spam: someone is using my account right now and changed my "
        "password. Please lock it, I cannot sign in any more.",
    )
    desk.requester_says(
        machine,
        "I am out of the office until Monday with no access to e-mail. For urgent matters "
        "please contact my colleague. This is an automatic reply.",
    )
    desk_clock.now = float(int(time.time()))
    assert invoke("run", "--engine", "rules").exit_code == 0
    assert len(desk.snapshot(gated).notes) == 2  # the customer's message was read
    assert len(desk.snapshot(machine).notes) == 1  # an automatic reply: nothing to do
