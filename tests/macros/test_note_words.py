"""The suggested macros' section of the note in each language, from the words in the feature's
own folder (``macros/words/<code>.toml``): every table has English's keys with the same
placeholders, and the section reads word for word as the note's own tables wrote it before
the words moved there."""

from __future__ import annotations

import string
import tomllib
from importlib import resources

import numpy as np
import pytest

from ticket_processor.macros.book import MacroBook
from ticket_processor.macros.match import MacroChoice
from ticket_processor.macros.step import note_lines
from ticket_processor.models.ready_reply import ReadyReply
from ticket_processor.writeback.wording import TEMPLATE_LANGUAGES

BOOK = MacroBook(
    [ReadyReply(1, "Refund on its way", "x", True), ReadyReply(2, "Escalate", "y", False)],
    [],
    np.zeros((0, 3), np.float32),
    np.zeros((2, 3), np.float32),
)
CHOICES = [MacroChoice(1, 0.93), MacroChoice(2, 0.4)]
# (title, the public macro's line, the internal one's) as each language's note said them.
SAID = {
    "en": (
        "Suggested macros:",
        "- Refund on its way (macro 1, confidence 0.93)",
        "- Escalate (macro 2, internal note, confidence 0.40)",
    ),
    "de": (
        "Vorgeschlagene Makros:",
        "- Refund on its way (Makro 1, Konfidenz 0.93)",
        "- Escalate (Makro 2, interne Notiz, Konfidenz 0.40)",
    ),
    "fr": (
        "Macros suggérées :",
        "- Refund on its way (macro 1, confiance 0.93)",
        "- Escalate (macro 2, note interne, confiance 0.40)",
    ),
    "es": (
        "Macros sugeridas:",
        "- Refund on its way (macro 1, confianza 0.93)",
        "- Escalate (macro 2, nota interna, confianza 0.40)",
    ),
    "nl": (
        "Voorgestelde macro's:",
        "- Refund on its way (macro 1, betrouwbaarheid 0.93)",
        "- Escalate (macro 2, interne notitie, betrouwbaarheid 0.40)",
    ),
    "pt": (
        "Macros sugeridas:",
        "- Refund on its way (macro 1, confiança 0.93)",
        "- Escalate (macro 2, nota interna, confiança 0.40)",
    ),
}


def _table(code: str) -> dict[str, object]:
    folder = resources.files("ticket_processor.macros").joinpath("words")
    return tomllib.loads(folder.joinpath(f"{code}.toml").read_text("utf-8"))


def _placeholders(sentence: object) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(str(sentence)) if name}


@pytest.mark.parametrize("code", TEMPLATE_LANGUAGES)
def test_every_table_has_englishs_keys_with_the_same_placeholders(code: str) -> None:
    english, table = _table("en"), _table(code)
    assert table.keys() == english.keys()
    for key, sentence in english.items():
        assert _placeholders(table[key]) == _placeholders(sentence), key


@pytest.mark.parametrize("code", sorted(SAID))
def test_the_section_reads_as_the_notes_tables_wrote_it(code: str) -> None:
    assert note_lines(BOOK, CHOICES, code) == ["", *SAID[code]]


def test_a_language_without_a_table_gets_the_english_section() -> None:
    assert note_lines(BOOK, CHOICES, "it") == ["", *SAID["en"]]
