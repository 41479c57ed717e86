"""The learned features give the counts and weights the model was trained with, in the same
order: a faster path (a word's grams kept, the vocabulary looked up in C) must not change a
ticket's features by a bit, or the bundled model's probabilities move with it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from ticket_processor.learned.features import (
    CHAR_SIZES,
    Bag,
    char_grams,
    grams_of,
    ticket_text,
)

DATA = Path(__file__).resolve().parents[1] / "data"

TEXTS = [
    "",
    "a",
    "I x y",
    "the the the order order",
    "refund   for\torder\n#1234 please",
    "Ünïcödé wörds, çà et là — ß straße",
    "a" * 45 + " " + "b" * 39 + " " + "c" * 41,
    "Ich möchte kündigen! ¿Dónde está mi pedido? 注文が届きません",
]


def reference_char_grams(text: str) -> Counter[str]:
    """The grams as the model was trained on them: per word (40 characters at most) and size."""
    grams: Counter[str] = Counter()
    for word in text.split():
        padded = f" {word[:40]} "
        for size in CHAR_SIZES:
            if size > len(padded):
                break
            grams.update(padded[i : i + size] for i in range(len(padded) - size + 1))
    return grams


def reference_weigh(bag: Bag, doc: Counter[str]) -> tuple[np.ndarray, np.ndarray]:
    pairs = [(bag.terms[t], c) for t, c in doc.items() if t in bag.terms]
    if not pairs:
        return np.zeros(0, np.int32), np.zeros(0, np.float32)
    columns = np.array([p[0] for p in pairs], np.int32)
    counts = np.array([p[1] for p in pairs], np.float32)
    values = (1.0 + np.log(counts)) * bag.idf[columns]
    norm = float(np.sqrt(np.dot(values, values)))
    return columns, (values / norm if norm > 0 else values).astype(np.float32)


def project_texts() -> list[str]:
    found = list(TEXTS)
    for name in ("answers_tickets.jsonl", "replies.jsonl", "kb_tickets.jsonl"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            body = row.get("text") or row.get("description") or row.get("body") or ""
            found.append(ticket_text(str(row.get("subject") or ""), str(body)))
    return found


@pytest.mark.parametrize("text", TEXTS)
def test_char_grams_are_the_trained_counts_in_the_trained_order(text: str) -> None:
    assert list(char_grams(text).items()) == list(reference_char_grams(text).items())


def test_char_grams_agree_over_the_project_texts_twice() -> None:
    texts = project_texts()
    for _ in range(2):  # the second pass reads the kept grams of every word
        for text in texts:
            assert list(char_grams(text).items()) == list(reference_char_grams(text).items())


def test_weigh_keeps_the_document_order_and_the_exact_values() -> None:
    docs = [grams_of(text) for text in project_texts()]
    words = Bag.fit([d[0] for d in docs], min_df=2, max_terms=500)
    chars = Bag.fit([d[1] for d in docs], min_df=2, max_terms=2000)
    for word_doc, char_doc in docs:
        for bag, doc in ((words, word_doc), (chars, char_doc)):
            columns, values = bag.weigh(doc)
            want_columns, want_values = reference_weigh(bag, doc)
            assert columns.dtype == np.int32
            assert values.dtype == np.float32
            assert columns.tolist() == want_columns.tolist()
            assert values.tobytes() == want_values.tobytes()


def test_weigh_of_no_known_term_is_empty() -> None:
    bag = Bag.from_terms(["known"], np.ones(1, np.float32))
    columns, values = bag.weigh(Counter({"unknown": 3, "other": 1}))
    assert columns.shape == (0,)
    assert values.shape == (0,)
    columns, values = bag.weigh(Counter())
    assert columns.shape == (0,)
    assert values.shape == (0,)
    columns, values = bag.weigh(Counter({"unknown": 2, "known": 4}))
    assert columns.tolist() == [0]
    assert values.tolist() == [1.0]
