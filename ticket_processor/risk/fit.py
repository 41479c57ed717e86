"""Fitting the risk head and scoring a risk: AUC and expected calibration error. Pure numpy.

``fit_head`` fits the logistic head (L2-penalised, Newton's method) on the encoder's vectors
and the structured inputs of tickets whose outcome is known, then Platt's calibration on
out-of-fold scores (``FOLDS``-fold cross-validation: no ticket's calibrated score comes from a
fit that saw it); ``medium_at`` and ``high_at`` stay the rules' (``rules.MEDIUM_AT``,
``HIGH_AT``): a calibrated probability means the same whichever decided it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ..learned.logistic import fit_logistic
from .head import DIMENSIONS, RiskHead
from .inputs import FEATURES

FOLDS = 5
L2 = 1.0
ECE_BINS = 10

Array = npt.NDArray[np.float64]


def _design(vectors: Array, inputs: Array) -> Array:
    unit = np.asarray(vectors, np.float64).reshape(-1, DIMENSIONS)
    unit = unit / np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-9)
    return np.hstack([unit, np.asarray(inputs, np.float64).reshape(-1, len(FEATURES))])


def _raw_head(x: Array, y: Array) -> tuple[Array, float]:
    return fit_logistic(x, y, L2)


def out_of_fold(vectors: Array, inputs: Array, bad: Array, seed: int = 0) -> Array:
    """Each row's raw score from a head fitted on the other folds."""
    x, y = _design(vectors, inputs), np.asarray(bad, np.float64)
    order = np.random.default_rng(seed).permutation(len(y))
    scores = np.zeros(len(y))
    for fold in range(FOLDS):
        held = order[fold::FOLDS]
        kept = np.setdiff1d(order, held)
        w, b = _raw_head(x[kept], y[kept])
        scores[held] = x[held] @ w + b
    return scores


def fit_head(
    vectors: Array, inputs: Array, bad: Array, *, trained_on: str = "", seed: int = 0
) -> RiskHead:
    """The head on every row, calibrated on the out-of-fold scores (``bad``: 1 ended badly)."""
    y = np.asarray(bad, np.float64)
    if len(y) < 2 * FOLDS or y.min() == y.max():
        raise ValueError("a risk head needs tickets that ended well and badly, ten at least")
    raw = out_of_fold(vectors, inputs, y, seed)
    a, b = fit_logistic(raw.reshape(-1, 1), y, 1e-6)
    w, bias = _raw_head(_design(vectors, inputs), y)
    return RiskHead(
        text=w[:DIMENSIONS],
        features=w[DIMENSIONS:],
        bias=bias,
        platt=(float(a[0]), b),
        trained_on=trained_on,
    )


def auc(scores: Sequence[float] | Array, bad: Sequence[bool] | Array) -> float | None:
    """The area under the ROC curve (ties counted half); None without both outcomes."""
    s, y = np.asarray(scores, np.float64), np.asarray(bad, bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if not positives or not negatives:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    ranks[order] = np.arange(1, len(s) + 1)
    for value in np.unique(s):  # ties share their mean rank
        tied = s == value
        ranks[tied] = ranks[tied].mean()
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def ece(probabilities: Sequence[float] | Array, bad: Sequence[bool] | Array) -> float | None:
    """Expected calibration error: over ``ECE_BINS`` equal-width bins of the probability, the
    rows' share times the gap between the mean probability and the share that ended badly."""
    p, y = np.asarray(probabilities, np.float64), np.asarray(bad, np.float64)
    if not len(p):
        return None
    bins = np.minimum((p * ECE_BINS).astype(int), ECE_BINS - 1)
    total = 0.0
    for b in range(ECE_BINS):
        inside = bins == b
        if inside.any():
            total += inside.mean() * abs(p[inside].mean() - y[inside].mean())
    return float(total)
