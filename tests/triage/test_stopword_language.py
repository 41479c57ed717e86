"""The stopword count that names a Latin-script text's language: each stopword is looked up
once for all its languages (a word such as ``la`` is French, Spanish and Italian), and the
count must be the one a per-language scan gives, on every text of the project's sets."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pytest

from ticket_processor.kb.text import words
from ticket_processor.triage.language import DEFAULT_LANGUAGE, STOPWORDS, detect_language

DATA = Path(__file__).resolve().parents[1] / "data"


def scanned(tokens: Iterable[str]) -> str:
    """The language by the scan over every language's stopwords, as the rules counted first."""
    counts = dict.fromkeys(STOPWORDS, 0)
    for token in tokens:
        for code, stopwords in STOPWORDS.items():
            if token in stopwords:
                counts[code] += 1
    best = max(counts, key=lambda code: (counts[code], code == DEFAULT_LANGUAGE))
    if counts[best] < 2 or counts[best] <= counts[DEFAULT_LANGUAGE]:
        return DEFAULT_LANGUAGE
    return best


def project_texts() -> list[str]:
    found: list[str] = []
    for path in sorted(DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else None
            if not isinstance(row, dict):
                continue
            found.extend(
                str(row[key]) for key in ("subject", "text", "description", "body") if row.get(key)
            )
    return found


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("la la la", "fr"),  # shared by fr, es and it: a tie, the first of them in the table
        ("le la les et", "fr"),
        ("il la della questo", "it"),
        ("the cat is on the mat", "en"),
        ("", "en"),
    ],
)
def test_shared_stopwords_count_for_each_of_their_languages(text: str, language: str) -> None:
    assert detect_language(text.split()) == scanned(text.split()) == language


def test_the_project_texts_get_the_language_the_scan_gives() -> None:
    texts = project_texts()
    assert len(texts) > 1000
    for text in texts:
        assert detect_language(words(text)) == scanned(words(text)), text[:80]
