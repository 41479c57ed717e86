"""The language an assigned ticket's skills take: one-line tickets outside English read by
Lingua among the helpdesk's languages, short English requests kept English, the LLM's reading
kept as it is."""

from __future__ import annotations

import pytest

from ticket_processor.assignment.language import lingua_languages, routing_language
from ticket_processor.triage.cues import tokenise
from ticket_processor.triage.language import detect_language

SEVEN = lingua_languages(["de", "fr", "es", "it", "pt", "nl"])


def read(text: str, codes: frozenset[str] = SEVEN, *, by_llm: bool = False) -> str:
    tokens = tokenise(text)
    return routing_language(detect_language(tokens, text), tokens, text, codes, by_llm=by_llm)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Cobrança em duplicado na fatura", "pt"),
        ("Lieferung beschädigt angekommen", "de"),
        ("Commande jamais reçue", "fr"),
        ("Reembolso todavía pendiente", "es"),
        ("Pacco smarrito dal corriere", "it"),
        ("Bestelling nooit ontvangen", "nl"),
    ],
)
def test_one_line_tickets_outside_english_get_their_language(text: str, language: str) -> None:
    assert detect_language(tokenise(text), text) == "en"  # what the stopwords alone say
    assert read(text) == language


@pytest.mark.parametrize(
    "text",
    ["cancel order 3707955617", "refund status", "need invoice copy", "how to get my refund"],
)
def test_short_english_requests_stay_english(text: str) -> None:
    assert read(text) == "en"


def test_the_llms_language_and_other_scripts_are_kept() -> None:
    assert read("Cobrança em duplicado na fatura", by_llm=True) == "en"  # the LLM said so
    assert read("Заказ не пришёл") == detect_language(
        tokenise("Заказ не пришёл"), "Заказ не пришёл"
    )


def test_only_the_helpdesks_languages_are_named() -> None:
    assert lingua_languages([]) == frozenset({"en"})
    assert read("Cobrança em duplicado na fatura", lingua_languages([])) == "en"  # no skill: none
    assert read("Lieferung beschädigt angekommen", lingua_languages(["pt"])) in ("en", "pt")
    assert read("Cobrança em duplicado na fatura", lingua_languages(["pt"])) == "pt"
