"""A stand-in for the sentence encoder in fast tests: a text's distinct words (common ones left
out) hashed into 512
numbers (the encoder's shape). Texts sharing their words come out close, as the real encoder's
do for paraphrases; it knows no other language, which the slow tests leave to the real one."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import numpy.typing as npt

_WORD = re.compile(r"[a-z0-9]+")
_COMMON = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "at",
        "be",
        "but",
        "by",
        "can",
        "do",
        "for",
        "from",
        "have",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "this",
        "to",
        "was",
        "we",
        "when",
        "with",
        "you",
        "your",
    ]
)


def encode(texts: list[str]) -> npt.NDArray[np.float32]:
    out = np.zeros((len(texts), 512), np.float32)
    for row, text in enumerate(texts):
        for token in sorted({w for w in _WORD.findall(text.lower()) if w not in _COMMON}):
            digest = hashlib.blake2b(token.encode(), digest_size=4).digest()
            out[row, int.from_bytes(digest, "little") % 512] += 1.0
    return out
