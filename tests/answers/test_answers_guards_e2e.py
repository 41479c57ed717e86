"""The guards stop the right tickets, on each sandbox, through the CLI, without an LLM.

Anger, not every negative label, keeps a bot's answer away.
A customer who is frustrated and asks an ordinary question ("the sign-in page doesn't help, it's
frustrating. How do I reset my password?") is answered, though the keyword rules read the
ticket as negative; the same question asked with a threat to leave, a lawyer, "third time I
write" (en, de, fr, es), shouting or "?!" gets no reply.

A plain question not in English ("Est-ce que je peux exporter les factures dans un fichier
Excel ?") is triaged by the keyword rules surely enough to be answered: their cues
were English only, so such a ticket was "other" at 0.1 and refused as ``triage_unsure``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.answers_desk import create_tickets, linked_articles, outbox, publish_help_centre
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
FRENCH = {
    "subject": "Factures en Excel",
    "description": "Est-ce que je peux exporter les factures dans un fichier Excel ?",
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


@pytest.mark.parametrize(
    ("subject", "body", "category"),
    [
        ("Passwort", "Ich habe mein Passwort vergessen. Wie kann ich es zurücksetzen?", "account"),
        ("Contraseña", "¿Cómo puedo cambiar mi contraseña?", "account"),
        ("Rückerstattung", "Ich möchte eine Rückerstattung für meine Bestellung.", "refund"),
        ("Factures", "Où sont mes factures ?", "billing"),
    ],
)
def test_the_keyword_rules_read_other_languages(subject: str, body: str, category: str) -> None:
    analysis = RulesEngine(load_taxonomy(None)).analyse(subject, body)
    assert (analysis.category, analysis.confidence >= 0.5) == (category, True)


@pytest.mark.desk(configure=True)
def test_frustrated_and_french_questions_are_answered_and_angry_ones_never(
    desk: Desk, tmp_path: Path
) -> None:
    articles = publish_help_centre(desk)
    angry = [{"subject": s, "description": d, "kind": "angry"} for s, d in ANGRY]
    ids = create_tickets(desk, [FRUSTRATED, FRENCH, *angry])
    result = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "send"})
    assert result.exit_code == 0, result.output

    mails = {m["ticket_id"]: m for m in outbox(desk)}
    assert sorted(mails) == ids[:2], mails
    for ticket_id, key in ((ids[0], "reset-password"), (ids[1], "export-csv")):
        linked = linked_articles(mails[ticket_id]["body"])
        assert linked & articles[key]
