"""The trained model in memory: per field a linear layer over the shared features.

Plain numpy arrays and plain values, nothing that runs code when read: ``model_file.py`` turns
it into a zip of ``.npy`` arrays and a JSON header and back. ``predict`` gives, per field it
covers, the class probabilities (a softmax over the linear scores, as multinomial logistic
regression defines them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ..triage.confidence import Calibration
from .features import Featuriser, grams_of, ticket_text

FORMAT = "ticketbot-learned-model"
FORMAT_VERSION = 1

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class FieldModel:
    """One field's classes, weights (classes × features) and what training measured."""

    classes: tuple[str, ...]
    coef: FloatArray
    intercept: FloatArray
    counts: dict[str, int]
    cv_macro_f1: float | None = None
    cv_per_source: dict[str, float] = field(default_factory=dict)
    # From cross-validated predictions (``triage.confidence``); None in files written before.
    calibration: Calibration | None = None
    apply_at: float | None = None
    ece: dict[str, float] = field(default_factory=dict)
    # What the calibration was fitted on: "folds" (k-fold predictions) or "sources" (each
    # source predicted by a model fitted on the others); "" in files written before.
    calibrated_on: str = ""

    def probabilities(
        self, columns: npt.NDArray[np.int32], values: FloatArray, embedding: FloatArray | None
    ) -> FloatArray:
        width = self.coef.shape[1]
        scores = self.intercept.astype(np.float64).copy()
        if len(columns):
            scores += self.coef[:, columns].astype(np.float64) @ values.astype(np.float64)
        if embedding is not None:
            scores += self.coef[:, width - len(embedding) :].astype(np.float64) @ embedding
        scores -= scores.max()
        exp = np.exp(scores)
        probabilities: FloatArray = (exp / exp.sum()).astype(np.float32)
        return probabilities


@dataclass(frozen=True)
class FieldPrediction:
    label: str
    probability: float


def best_of(
    classes: tuple[str, ...], probabilities: FloatArray, within: Collection[str] | None = None
) -> FieldPrediction:
    """The most probable class, only among ``within`` when given (the probability renormalised
    over them); ``FieldPrediction("", 0.0)`` when none of ``within`` is a class."""
    allowed = [i for i, c in enumerate(classes) if within is None or c in within]
    if not allowed:
        return FieldPrediction("", 0.0)
    best = max(allowed, key=lambda i: float(probabilities[i]))
    if within is None:
        return FieldPrediction(classes[best], float(probabilities[best]))
    share = float(sum(probabilities[i] for i in allowed)) or 1.0
    return FieldPrediction(classes[best], float(probabilities[best]) / share)


@dataclass(frozen=True)
class LearnedModel:
    """Features plus one ``FieldModel`` per field; ``embedding_weight`` 0 means no embeddings."""

    taxonomy: tuple[str, ...]
    featuriser: Featuriser
    fields: dict[str, FieldModel]
    embedding_weight: float = 0.0
    trained_at: str = ""
    rows: int = 0
    sources: dict[str, int] = field(default_factory=dict)
    encoder: str | None = None

    @property
    def uses_embeddings(self) -> bool:
        return self.embedding_weight > 0

    def probabilities(
        self, subject: str, body: str, embedding: FloatArray | None = None
    ) -> dict[str, FloatArray]:
        """Per field the model covers, the probability of each of its ``classes``."""
        columns, values = self.featuriser.row(grams_of(ticket_text(subject, body)))
        scaled = None
        if self.uses_embeddings:
            if embedding is None:
                raise ValueError("this model needs the ticket's sentence embedding")
            scaled = embedding.astype(np.float32) * np.float32(self.embedding_weight)
        return {
            name: model.probabilities(columns, values, scaled)
            for name, model in self.fields.items()
        }

    def predict(
        self, subject: str, body: str, embedding: FloatArray | None = None
    ) -> dict[str, FieldPrediction]:
        """The most probable class and its probability, per field the model covers."""
        result: dict[str, FieldPrediction] = {}
        for name, probabilities in self.probabilities(subject, body, embedding).items():
            result[name] = best_of(self.fields[name].classes, probabilities)
        return result

    def class_counts(self) -> dict[str, Counter[str]]:
        return {name: Counter(model.counts) for name, model in self.fields.items()}
