"""The keyword rules see an account takeover or a phishing report as security, not account.

A takeover report always speaks the account category's words (account, login, password, e-mail),
so these tests hold the default taxonomy to its takeover phrases outweighing them: the category is
``security``, its confidence reaches the default threshold (so the priority is set, not held
back) and the urgency is high, in the six languages the notes are written in. Pure, plain data.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ticket_processor.models import Urgency
from ticket_processor.settings.fields import DeclaredSettings
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import load_taxonomy

RULES = RulesEngine(load_taxonomy())
TEXTS = Path(__file__).resolve().parents[1] / "data" / "security_texts.jsonl"
THRESHOLD = DeclaredSettings.model_fields["confidence_threshold"].default


def _rows() -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in TEXTS.read_text(encoding="utf-8").splitlines()]
    return [(row["subject"], row["description"]) for row in rows]


@pytest.mark.parametrize(("subject", "body"), _rows(), ids=lambda value: value[:30])
def test_a_takeover_or_phishing_report_is_security_and_applied(subject: str, body: str) -> None:
    analysis = RULES.analyse(subject, body)
    assert analysis.category == "security"
    assert analysis.confidence >= THRESHOLD
    assert analysis.urgency == Urgency.HIGH


def test_the_hacked_phrase_fires_after_a_colon_and_beside_plurals() -> None:
    """ "account was hacked" is followed by a colon and "unauthorised transactions" is plural:
    neither may stop the phrases counting, nor the login words make it an account ticket."""
    analysis = RULES.analyse(
        "Someone is using my account",
        "My account was hacked: someone is using my account, I see logins I did not make and "
        "unauthorised transactions. Please lock it.",
    )
    assert analysis.category == "security"
    assert analysis.confidence >= THRESHOLD


@pytest.mark.parametrize(
    ("subject", "body", "category"),
    [
        ("Can't log in", "I forgot my password and the reset email never comes.", "account"),
        ("Two-factor", "I lost my phone and cannot get the two-factor code to log in.", "account"),
        (
            "Locked out",
            "My account is locked after three wrong passwords, please unlock it.",
            "account",
        ),
    ],
)
def test_an_account_question_without_a_takeover_stays_account(
    subject: str, body: str, category: str
) -> None:
    assert RULES.analyse(subject, body).category == category
