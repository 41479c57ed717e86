"""The spam gate's lexical screen: which tickets the head need not read, from their words alone,
so that the encoder (about 100 MB and most of a run's CPU without an LLM) reads only the rest.

A logistic model on hashed words, word pairs and letter pieces of the text the head reads
(``reading``), in plain Python: no numpy, and no model to load but a small JSON file of weights
(``spam_screen.json`` beside this module, never a pickle). It predicts where the head would take
part in a verdict, not the truth: ``python -m scripts.figures train_spam_screen`` fits it on dev
texts labelled by the packaged head, with thresholds set on five-fold out-of-fold probabilities
so that it lets through nearly every text the head would act on whose label says no customer
wrote it (``recall`` in the file): a wrong suggestion it may spare. Below
its threshold the head is not asked and the ticket is a customer's. It only ever sends a ticket
to the head or not; what the gate decides is still the head's and the rules' word (``gate``).
"""

from __future__ import annotations

import itertools
import json
import math
import re
import zlib
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from ..errors import ConfigError

FILE_NAME = "spam_screen.json"
VERSION = 1
BUCKETS = 1 << 18
_WORD = re.compile(r"\w+")
# The words a screen reads of a ticket: a hostile megabyte costs no more than a long ticket.
MAX_WORDS = 600


def features(text: str) -> set[int]:
    """The hashed buckets of ``text``'s lower-cased words, adjacent word pairs and the
    four-letter pieces of each word (each once): the same function the trainer builds its rows
    with. The pieces carry a word the rows never held by its stem or its language's endings."""
    words = _WORD.findall(text.lower())[:MAX_WORDS]
    found = {_bucket(f"{a} {b}") for a, b in itertools.pairwise(words)}
    for word in set(words):
        found.update(_word_buckets(word))
    return found


def _bucket(gram: str) -> int:
    return zlib.crc32(gram.encode("utf-8")) % BUCKETS


# A word's own buckets, kept for the words met most lately: support mail repeats its words
# from ticket to ticket, and hashing every piece of every word again was most of the screen's
# CPU. A word is hashed once a text too. 2,048 words hold about 0.9 MB.
@lru_cache(maxsize=2048)
def _word_buckets(word: str) -> tuple[int, ...]:
    """The buckets of ``word`` and of its four-letter pieces, ``<`` and ``>`` marking its ends."""
    marked = f"<{word}>"
    pieces = (marked[i : i + 4] + "#" for i in range(max(len(marked) - 3, 1)))
    return (_bucket(word), *map(_bucket, pieces))


@dataclass(frozen=True)
class SpamScreen:
    """``sigmoid(bias + sum of the weights of the text's buckets)``: how likely the head is to
    take part in the verdict on the text. ``alone``: the threshold for a ticket no cheap signal
    marks (the head alone can only suggest, from its ``apply_at`` up); ``with_lures``: for one
    that shows a lure family (the head takes part from ``gate.LURE_FLOOR`` up)."""

    weights: dict[int, float]
    bias: float
    alone: float
    with_lures: float
    recall: float = 0.0  # the out-of-fold share of the head's rows at or above the thresholds
    trained_on: str = ""

    def probability(self, text: str) -> float:
        total = self.bias + sum(self.weights.get(bucket, 0.0) for bucket in features(text))
        return 1.0 / (1.0 + math.exp(-max(min(total, 60.0), -60.0)))

    def spares(self, text: str, *, lures: bool) -> bool:
        """Whether the head need not read ``text``: its verdict would be a customer's."""
        return self.probability(text) < (self.with_lures if lures else self.alone)

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": VERSION,
                "buckets": BUCKETS,
                "trained_on": self.trained_on,
                "alone": self.alone,
                "with_lures": self.with_lures,
                "recall": self.recall,
                "bias": round(self.bias, 6),
                "weights": {str(k): round(w, 5) for k, w in sorted(self.weights.items())},
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> SpamScreen:
        raw = json.loads(text)
        if not isinstance(raw, dict) or raw.get("version") != VERSION:
            raise ValueError("not a spam screen of version 1")
        if raw.get("buckets") != BUCKETS:
            raise ValueError(f"a spam screen hashes into {BUCKETS} buckets")
        alone, with_lures = float(raw["alone"]), float(raw["with_lures"])
        if not (0 <= alone < 1 and 0 <= with_lures < 1):
            raise ValueError("a spam screen's thresholds are between 0 and 1")
        weights = {int(k): float(w) for k, w in dict(raw["weights"]).items()}
        if any(not 0 <= k < BUCKETS for k in weights):
            raise ValueError("a spam screen's weights name buckets it does not have")
        return cls(
            weights,
            float(raw["bias"]),
            alone,
            with_lures,
            float(raw.get("recall", 0.0)),
            str(raw.get("trained_on", "")),
        )


@cache
def load_spam_screen() -> SpamScreen:
    """The packaged screen (read once a process)."""
    try:
        text = resources.files(__package__ or "").joinpath(FILE_NAME).read_text(encoding="utf-8")
        return SpamScreen.from_json(text)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"the spam screen {FILE_NAME} is unreadable: {exc}") from None
