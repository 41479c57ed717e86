"""Anger, not every negative label, keeps a bot's answer away, on each sandbox, through the CLI,
without an LLM.

A customer who is frustrated and asks an ordinary question ("the sign-in page doesn't help, it's
frustrating. How do I reset my password?") is answered, though the keyword rules read the
ticket as negative; the same question asked with a threat to leave, a lawyer, "third time I
write" (en, de, fr, es), shouting or "?!" gets no reply.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.answers_desk import create_tickets, outbox, publish_help_centre
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import load_taxonomy

FRUSTRATED = {
    "subject": "Password reset not working",
    "description": "I forgot my password and the sign-in page doesn't help, it's frustrating. "
    "How do I reset my password?",
    "kind": "answerable",
}
ANGRY = [
    (
        "Export",
        "How do I export my contacts to a CSV file? Answer me or I will cancel my "
        "subscription and take my business elsewhere.",
    ),
    (
        "Dark mode",
        "If nobody answers today I will contact my lawyer. How do I switch the app to dark mode?",
    ),
    (
        "Third time I write",
        "This is the third time I write about this. How do I export my contacts to a CSV file?",
    ),
    (
        "Passwort",
        "Das ist jetzt das dritte Mal, dass ich schreibe. Wie setze ich mein Passwort zurück?",
    ),
    (
        "Mot de passe",
        "C'est la troisième fois que j'écris, personne ne répond. Comment "
        "réinitialiser mon mot de passe ?",
    ),
    (
        "Exportar",
        "Es inaceptable, es la tercera vez que escribo. ¿Cómo exporto mis contactos a CSV?",
    ),
    (
        "Export doesn't work",
        "Export still doesn't work?! I can't export my contacts to a CSV file.",
    ),
    ("EXPORT", "WHY CAN I NOT EXPORT MY CONTACTS TO CSV"),
]


def test_the_frustrated_question_is_one_the_rules_read_as_negative() -> None:
    analysis = RulesEngine(load_taxonomy(None)).analyse(
        FRUSTRATED["subject"], FRUSTRATED["description"]
    )
    assert analysis.sentiment == "negative"


@pytest.mark.desk(configure=True)
def test_a_frustrated_question_is_answered_and_an_angry_one_never(
    desk: Desk, tmp_path: Path
) -> None:
    articles = publish_help_centre(desk)
    angry = [{"subject": s, "description": d, "kind": "angry"} for s, d in ANGRY]
    ids = create_tickets(desk, [FRUSTRATED, *angry])
    result = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "send"})
    assert result.exit_code == 0, result.output

    mails = outbox(desk)
    assert [m["ticket_id"] for m in mails] == [ids[0]], mails
    linked = {int(x) for x in re.findall(r"/articles?/(\d+)", mails[0]["body"])}
    assert linked & articles["reset-password"]
