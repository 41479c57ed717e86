"""A rules run of ordinary customers' tickets spends no encoder pass on the spam gate, on each
sandbox, while mail with a lure or a machine's address is still read by the head and gated as
before. The count is the process's own (``learned.embed.texts_encoded``) and the run's
``spam_judged`` event (``head_read``, ``head_spared``), never a timing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.e2e import events

from ticket_processor.learned.embed import texts_encoded
from ticket_processor.sandbox.desks import Desk, NewTicket

# Plain customers' tickets, none of them in any file the screen or the head was fitted on.
CUSTOMERS = (
    (
        "Cannot change my delivery address",
        "Hi, I moved last week. How do I change the address "
        "on my account so the next box goes to the new flat? Thanks, Priya",
    ),
    (
        "Export to spreadsheet",
        "Is there a way to export my order history as a spreadsheet? I need it for my accountant.",
    ),
    (
        "Passwort vergessen",
        "Hallo, ich komme nicht mehr in mein Konto, der Link zum "
        "Zurücksetzen kommt nicht an. Können Sie helfen? Gruß, Jonas",
    ),
    (
        "Question sur ma commande",
        "Bonjour, ma commande n'est toujours pas arrivée, pouvez-vous "
        "me dire où elle en est ? Merci, Claire",
    ),
    (
        "App crashes on start",
        "Since this morning the app closes as soon as I open it on my "
        "phone. I already reinstalled it.",
    ),
)
PHISH = (
    "Your mailbox is full",
    "Dear user, your mailbox quota is exceeded. Verify your password at "
    "http://outlook-mail-verify.example.net within 24 hours or your account will be closed.",
)
BOUNCE = (
    "Undeliverable: your message",
    "Delivery has failed to these recipients or groups. The recipient's mailbox is full and "
    "can't accept messages now. This is an automatically generated message.",
)


def _spam_judged(log_dir: Path) -> dict[str, Any]:
    found: list[dict[str, Any]] = [e for e in events(log_dir) if e["event"] == "spam_judged"]
    (judged,) = found
    return judged


@pytest.mark.desk(configure=True)
def test_a_rules_run_of_customers_tickets_encodes_nothing(desk: Desk, tmp_path: Path) -> None:
    desk.create([NewTicket(subject, body) for subject, body in CUSTOMERS])
    before = texts_encoded()
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    assert texts_encoded() == before
    judged = _spam_judged(tmp_path / "logs")
    assert judged["head_read"] == 0, judged
    assert judged["head_spared"] == len(CUSTOMERS), judged
    # Nothing gated, nothing suggested, and said: the gate read them (a first day's check).
    assert "spam gate: 0 gated, 0 suggested" in result.output, result.output


@pytest.mark.desk(configure=True)
def test_a_lure_or_a_machine_s_address_still_reaches_the_head(desk: Desk, tmp_path: Path) -> None:
    customer_ids = desk.create([NewTicket(subject, body) for subject, body in CUSTOMERS])
    phish_id, bounce_id = desk.create(
        [
            NewTicket(PHISH[0], PHISH[1], sender="it-desk@quota.example.net"),
            NewTicket(BOUNCE[0], BOUNCE[1], sender="MAILER-DAEMON@mx.example.net"),
        ]
    )
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    assert "ai_phishing" in desk.snapshot(phish_id).tags
    assert "ai_auto_sender" in desk.snapshot(bounce_id).tags
    for ticket_id in customer_ids:
        tags = desk.snapshot(ticket_id).tags
        assert not [t for t in tags if "spam" in t or t in ("ai_phishing", "ai_auto_sender")], tags
    judged = _spam_judged(tmp_path / "logs")
    assert judged["head_read"] == 2, judged
    assert judged["head_spared"] == len(CUSTOMERS), judged
