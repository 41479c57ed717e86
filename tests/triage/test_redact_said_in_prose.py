"""Credentials and cards said in a sentence rather than after a colon, as an outside review
wrote them into tickets: each reached the LLM (and the customer-visible summary field) as
written. The harmless sentences beside them must stay as they are."""

from __future__ import annotations

import pytest

from ticket_processor.summary.screen import refused
from ticket_processor.triage.redact import redact

KEY = "ak_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0"


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (f"our API key is {KEY} and", "our API key is [SECRET] and"),
        (f"Our API key is {KEY}.", "Our API key is [SECRET]."),
        ("Der API-Key lautet Xk93hdkLm02kd9s", "Der API-Key lautet [SECRET]"),
        ("le token est abcDEF1234567890", "le token est [SECRET]"),
        (f"see {KEY} in the log", "see [SECRET] in the log"),
        (
            "Bitte erstatten Sie auf IBAN DE89 3704 0044 0532 0130 00, Kreditkarte "
            "5555 5555 5555 4444.",
            "Bitte erstatten Sie auf IBAN [IBAN], Kreditkarte [CARD].",
        ),
        ("IBAN DE89 3704 0044 0532 0130 00, 4111 1111 1111 1111", "IBAN [IBAN], [CARD]"),
        ("Meine IP-Adresse war 81.2.69.161.", "Meine IP-Adresse war [IP]."),
    ],
)
def test_a_secret_or_a_card_said_in_a_sentence_is_replaced(text: str, redacted: str) -> None:
    assert redact(text)[0] == redacted


@pytest.mark.parametrize(
    "text",
    [
        "our api key is not working since yesterday",
        "the token is expired",
        "the secret is in the e-mail I sent",
        "password: forgotten",
        "order 4111 1111 1111 1111 never arrived",
        "key_prod_abcdefghijklmnop",  # no digit in the tail: a name, not a key
    ],
)
def test_the_sentences_beside_them_stay(text: str) -> None:
    assert redact(text) == (text, {})


def test_the_summary_field_refuses_a_card_number_whatever_words_surround_it() -> None:
    """The field may be shown to the customer: redaction spares a card-shaped order number
    for triage's sake, the field's screen does not."""
    thread = "order 4111 1111 1111 1111 charged twice"
    assert refused("Order 4111 1111 1111 1111 was charged twice.", thread) == "personal data: card"
    assert refused("Order 12345 was charged twice.", "order 12345") is None
