"""Text to features: word and character n-grams weighted by TF-IDF, in plain numpy.

A ticket's prepared subject and body become two bags of n-grams: words (uni- and bigrams) and
characters (2 to 5, inside word boundaries, which copes with typos, inflections and languages
the word list never saw). Each bag is weighted with sublinear term frequency times smoothed
inverse document frequency and scaled to unit length on its own, so neither bag drowns the
other. The vocabulary and the IDF weights are plain arrays stored in the model file; inference
needs nothing but numpy.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

WORD = re.compile(r"(?u)\b\w\w+\b")
CHAR_SIZES = (2, 3, 4, 5)
# Text past this is not featurised: prepared tickets are already capped, this bounds the cost.
MAX_CHARS = 6000
# Words whose character grams are kept: a ticket's words are mostly the ones earlier tickets
# used (86 % of the words of 2,000 benchmark tickets and the project's test sets), and 2,048
# words' grams are about 3 MB.
WORD_CACHE = 2048

FloatArray = npt.NDArray[np.float32]
IndexArray = npt.NDArray[np.int32]


def ticket_text(subject: str, body: str) -> str:
    """The one string a ticket is featurised from (the subject counts once more, as a word bag)."""
    return f"{subject}\n{body}"[:MAX_CHARS].lower()


def word_grams(text: str) -> Counter[str]:
    words = WORD.findall(text)
    grams: Counter[str] = Counter(words)
    grams.update(f"{a} {b}" for a, b in itertools.pairwise(words))
    return grams


def char_grams(text: str) -> Counter[str]:
    # Every gram in one list, counted in one call: the same counts in the same order as a
    # ``Counter.update`` per word and size, for about 30 % less CPU. A word's grams are made
    # once and kept (``_word_char_grams``): most words of a ticket were in an earlier one.
    grams: list[str] = []
    add = grams.extend
    for word in text.split():
        add(_word_char_grams(word[:40]))
    return Counter(grams)


@functools.lru_cache(maxsize=WORD_CACHE)
def _word_char_grams(word: str) -> tuple[str, ...]:
    """``word``'s character grams, sizes 2 to 5 in turn, each left to right, inside spaces."""
    padded = f" {word} "
    length = len(padded)
    grams: list[str] = []
    for size in CHAR_SIZES:
        if size > length:
            break
        grams.extend([padded[i : i + size] for i in range(length - size + 1)])
    return tuple(grams)


@dataclass(frozen=True)
class Bag:
    """One kind of n-gram: its vocabulary (term → column) and IDF weight per column."""

    terms: dict[str, int]
    idf: FloatArray

    @classmethod
    def fit(cls, docs: Sequence[Counter[str]], *, min_df: int, max_terms: int) -> Bag:
        """Terms seen in at least ``min_df`` documents, the ``max_terms`` most frequent ones."""
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(doc.keys())
        kept = [(count, term) for term, count in df.items() if count >= min_df]
        kept.sort(key=lambda item: (-item[0], item[1]))
        kept = sorted(kept[:max_terms], key=lambda item: item[1])
        n = len(docs)
        idf = np.array([math.log((1 + n) / (1 + count)) + 1.0 for count, _ in kept], np.float32)
        return cls({term: i for i, (_, term) in enumerate(kept)}, idf)

    @classmethod
    def from_terms(cls, terms: Sequence[str], idf: FloatArray) -> Bag:
        if len(terms) != len(idf):
            raise ValueError(f"{len(terms)} terms but {len(idf)} IDF weights")
        return cls({term: i for i, term in enumerate(terms)}, idf)

    def term_list(self) -> list[str]:
        ordered = [""] * len(self.terms)
        for term, column in self.terms.items():
            ordered[column] = term
        return ordered

    def weigh(self, doc: Counter[str]) -> tuple[IndexArray, FloatArray]:
        """Column indices and unit-length TF-IDF values of one document's known terms."""
        # Each term's column (-1: not in the vocabulary) and count, in the document's order,
        # looked up and converted in C rather than a Python step per term.
        every = np.fromiter(map(self.terms.get, doc, itertools.repeat(-1)), np.int32, len(doc))
        known = every >= 0
        if not known.any():
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        columns = every[known]
        counts = np.fromiter(doc.values(), np.float32, len(doc))[known]
        values = (1.0 + np.log(counts)) * self.idf[columns]
        norm = float(np.sqrt(np.dot(values, values)))
        scaled: FloatArray = (values / norm if norm > 0 else values).astype(np.float32)
        return columns, scaled


@dataclass(frozen=True)
class Featuriser:
    """Both bags side by side: columns ``[0, words)`` are words, the rest characters."""

    words: Bag
    chars: Bag

    @property
    def width(self) -> int:
        return len(self.words.terms) + len(self.chars.terms)

    @classmethod
    def fit(
        cls,
        grams: Sequence[tuple[Counter[str], Counter[str]]],
        *,
        min_df: int = 2,
        max_words: int = 40_000,
        max_chars: int = 80_000,
    ) -> Featuriser:
        return cls(
            Bag.fit([g[0] for g in grams], min_df=min_df, max_terms=max_words),
            Bag.fit([g[1] for g in grams], min_df=min_df, max_terms=max_chars),
        )

    def row(self, grams: tuple[Counter[str], Counter[str]]) -> tuple[IndexArray, FloatArray]:
        """One document as sparse (columns, values)."""
        word_cols, word_vals = self.words.weigh(grams[0])
        char_cols, char_vals = self.chars.weigh(grams[1])
        offset = np.int32(len(self.words.terms))
        return (
            np.concatenate([word_cols, char_cols + offset]),
            np.concatenate([word_vals, char_vals]),
        )


def grams_of(text: str) -> tuple[Counter[str], Counter[str]]:
    """Word and character n-gram counts of one ``ticket_text``."""
    return word_grams(text), char_grams(text)


def all_grams(texts: Iterable[str]) -> list[tuple[Counter[str], Counter[str]]]:
    return [grams_of(text) for text in texts]
