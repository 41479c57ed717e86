"""The names rules: full names and surnames whole and case-sensitively, a first name only
beside a greeting or a sign-off or alone on its line, known e-mails in any case; the ordinary
words a first name also is stay."""

from __future__ import annotations

import pytest

from ticket_processor.models import Person
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.redact_names import redact_names

WILL = Person(name="Will Smith", email="will.smith@example.com")
PEOPLE = (WILL, Person(name="Grace"), Person(name="anna van der berg"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Will Smith here.", "[NAME] here."),
        ("Mr Smith called; Smith's order", "Mr [NAME] called; [NAME]'s order"),
        ("Hi Will, will you ship it?", "Hi [NAME], will you ship it?"),
        ("Dear Grace\nthanks", "Dear [NAME]\nthanks"),
        ("Thanks, Will", "Thanks, [NAME]"),
        ("order 12\n— Will\n", "order 12\n— [NAME]\n"),
        ("mail WILL.SMITH@example.com now", "mail [EMAIL] now"),
        ("Anna van der Berg said so", "[NAME] said so"),
    ],
)
def test_known_names_go(text: str, expected: str) -> None:
    assert redact_names(text, PEOPLE)[0] == expected


@pytest.mark.parametrize(
    "text",
    [
        "I will call you. Will it ship? Where there's a will there's a way.",
        "Grace period of 30 days; by the grace of the courier",
        "the smith works iron; smithing",
        "Anna Karenina is a novel",  # a first name beside no greeting
    ],
)
def test_ordinary_words_stay(text: str) -> None:
    assert redact_names(text, PEOPLE) == (text, {})


def test_initials_and_addresses_as_names_are_not_matched_alone() -> None:
    people = (Person(name="J. R. Ng"), Person(name="bob@example.com"))
    assert redact_names("J said Ng left; bob wrote", people)[0] == "J said [NAME] left; bob wrote"


def test_prepare_counts_names_beside_the_other_redactions() -> None:
    prepared = prepare_ticket(
        "Will Smith: refund", "Hi, call +1 415 555 0132.\nThanks, Will", people=[WILL]
    )
    assert prepared.subject == "[NAME]: refund"
    assert "Will" not in prepared.body
    assert "0132" not in prepared.body
    assert prepared.redactions["name"] == 2
    assert prepared.redactions["phone"] == 1
