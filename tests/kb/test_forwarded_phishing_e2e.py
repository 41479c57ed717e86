"""A forwarded phishing mail under "Is this from you?", end to end on each sandbox.

The help centre holds five of the sandbox's seeded articles
(``tests/data/security_articles.jsonl``). The customer's own words ask whether the mail is
ours; the forwarded mail's subject and words are about a suspended account. The note suggests
the phishing article, not the one on locked accounts, says the ticket forwards a mail, and the
ticket is ``security``; a customer whose own words are about a locked account still gets the
locked-account article, and their note says nothing of a forward.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.answers_desk import publish_help_centre
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import Desk, NewTicket

FORWARD = NewTicket(
    "Fwd: Your account will be suspended",
    "Is this from you? I got this mail this morning.\n\n"
    "---------- Forwarded message ---------\n"
    "From: Security Team <security@acme-verify-login.xyz>\n"
    "Subject: Your account will be suspended\n\n"
    "Dear customer, your account will be suspended in 24 hours. Verify your password here: "
    "http://acme-verify-login.xyz/login",
)
LOCKED = NewTicket(
    "Account locked",
    "My account is locked after too many failed sign-in attempts. How long until I can sign in?",
)
PHISHING = "Phishing emails and reporting security issues"
LOCKED_ARTICLE = "Account locked or suspended"
SAYS_FORWARD = "Forwards or quotes a mail"


@pytest.mark.desk(configure=True)
def test_a_forwarded_phishing_mail_gets_the_phishing_article_and_says_it_forwards(
    desk: Desk, tmp_path: Path
) -> None:
    publish_help_centre(desk, "security_articles.jsonl")
    synced = invoke("kb", "sync")
    assert synced.exit_code == 0, synced.output
    forward, locked = desk.create([FORWARD, LOCKED])
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output

    [note] = desk.snapshot(forward).notes
    assert PHISHING in note
    assert LOCKED_ARTICLE not in note
    assert SAYS_FORWARD in note
    assert "ai_category_security" in desk.snapshot(forward).tags

    [plain] = desk.snapshot(locked).notes
    assert LOCKED_ARTICLE in plain
    assert SAYS_FORWARD not in plain

    triaged = {
        e["ticket_id"]: e for e in events(tmp_path / "logs") if e["event"] == "ticket_triaged"
    }
    assert triaged[forward]["category"] == "security"
