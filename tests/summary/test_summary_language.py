"""The summary speaks the agents' language: the six languages the note has tables for, each
with every sentence written (none left in English but the words the languages share), and the
field's labels in the language asked for."""

from __future__ import annotations

from dataclasses import fields

import pytest

from ticket_processor.summary.build import Summary, render
from ticket_processor.summary.templates import ENGLISH, TEMPLATES, words_for
from ticket_processor.writeback.wording import TEMPLATE_LANGUAGES


def test_the_summary_has_a_table_for_each_language_the_note_has() -> None:
    assert set(TEMPLATES) == set(TEMPLATE_LANGUAGES)


@pytest.mark.parametrize("code", sorted(set(TEMPLATES) - {"en"}))
def test_each_table_is_written_in_its_language(code: str) -> None:
    words = TEMPLATES[code]
    sentences = [f.name for f in fields(words) if f.name not in ("problem", "done", "state")]
    for name in sentences:
        assert getattr(words, name) != getattr(ENGLISH, name), (code, name)
    assert "{text}" in words.customer_last


def test_the_labels_follow_the_language_asked_for() -> None:
    summary = Summary("Login fails", "Reset sent", "Waiting", "Answer the customer")
    german = render(summary, "de")
    assert german.startswith("Problem: Login fails")
    assert "Erledigt: Reset sent" in german
    assert "Nächster Schritt:" in german
    assert render(summary, "pt-BR").startswith("Problema:")
    assert words_for("xx") is ENGLISH
