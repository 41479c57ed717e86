"""A ticket's text is folded once for its language and its help-centre query: what the two
read is what ``words`` and ``query_terms`` read of it apart, on every redacted text of the
redaction corpus (placeholders in every position), the shipped samples in their eight
languages, and texts made to test where a placeholder meets the words around it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ticket_processor.helpdesks.samples import load_samples
from ticket_processor.kb.text import query_terms, words, words_and_terms
from ticket_processor.triage.prepare import prepare_ticket

DATA = Path(__file__).parents[1] / "data"

MADE = [
    "",
    "[CARD]",
    "call me on[PHONE]now",
    "café[EMAIL]naïve [SSN] Ärger[IBAN][SECRET]",
    "é[PHONE]\u0301x",  # a combining accent right after a placeholder
    "[Card] and [card] are the customer's own words",
    "\uff3bCARD\uff3d fullwidth brackets fold to a placeholder's look-alike",
    "Straße [CARD] ß İstanbul [PHONE] ǅ",
    "[CARD" + "]" * 3 + "[[EMAIL]]",
]


def _corpus() -> list[str]:
    lines = (DATA / "redaction_golden.jsonl").read_text("utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    texts = [row["redacted"] for row in rows if isinstance(row.get("redacted"), str)]
    for sample in load_samples():
        prepared = prepare_ticket(sample.subject, sample.description)
        texts.append(f"{prepared.subject}\n{prepared.body}")
    return texts


def test_the_corpus_has_placeholders_in_it() -> None:
    assert sum("[EMAIL]" in text or "[PHONE]" in text for text in _corpus()) > 100


@pytest.mark.parametrize("text", MADE)
def test_a_made_text_reads_as_apart(text: str) -> None:
    assert words_and_terms(text) == (words(text), query_terms(text))


def test_every_text_of_the_corpus_reads_as_apart() -> None:
    for text in _corpus():
        assert words_and_terms(text) == (words(text), query_terms(text)), text
