"""The answers' gate: may the best article be sent, read from features that mean the same on
any help centre.

A raw score (BM25's share of the query, a cosine) has a different scale in every help centre:
a threshold fitted on one does not carry to the next. The gate reads what does carry — how far
the best article's ticket-to-passage cosine stands ahead of the next article's, read against
the help centre's own cosine spread (``kb.dense.passage_stats``: computed from the index at
sync time, no label needed) and against the spread of the ticket's own candidates, and the
share of the ticket's content words the article holds — and a logistic model turns them into
a score, mapped by a calibration (a logistic curve over the score, ``fit_smooth``, for
the shipped gate) onto the share of such tickets whose best article was the right one (out of
help centre: each centre's scores come from a model fitted without it).
``python -m scripts.figures answers_figures`` fits it on several labelled help centres and writes
``gate.json`` beside this module: weights as data, never pickle. The policy's threshold
(``answers.policy``) is read against this probability.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from ..kb.dense import HELD_WEIGHT, SHARE_WEIGHT, Candidate, Retrieved
from ..learned.logistic import fit_logistic
from ..models import Suggestion
from ..triage.confidence import Calibration, fit_isotonic

GATE_FILE = Path(__file__).with_name("gate.json")
QUOTABLE = frozenset({"everyone", "signed_in"})
# Articles whose mean passage vectors are this close are one article in two languages: on the
# project's help centre, translations 0.81-0.93, distinct articles at most 0.50.
TWIN = 0.75
FEATURES = (
    # How far the best article's passage cosine stands ahead of the next article's, in the
    # spread of the help centre's cosines (``kb.dense.passage_stats``) and in the spread of
    # this ticket's own candidates' cosines; and the share of the ticket's content words the
    # article holds. Left one help centre out, on six centres and guards on, an earlier gate
    # over nine features (the raw cosine against the centre's nearest-cosine scale, keyword
    # shares and margins, the rankings' agreement, the question mark, the length) sent 24
    # replies, 23 right; these three 62, 60 right (``python -m scripts.figures answers_figures``).
    # The cosine itself read against the centre's scale did not carry: a help centre whose
    # articles are written answers, not questions, sits 1.7 of its standard deviations lower,
    # right article or wrong. The lead in the ticket's own spread enters with a small negative
    # weight beside the lead in the centre's: together they say a lead counts for more where
    # the ticket's candidates spread wide.
    "cosine_margin_z",
    "cosine_lead",
    "terms_held",
)
# The fused ranking the gate was fitted on: its features are read on the fused first article, so
# a gate fitted under other fusion weights reads another article than the one it learnt from
# (``gate.json`` keeps it; its test holds it to the ranking's weights).
RANKING = f"cosine + {SHARE_WEIGHT} share + {HELD_WEIGHT} held"
# A ticket's own spread is read from this many rival cosines or more (else the lead is 0).
OWN_SPREAD_MIN = 2
OWN_LEAD_CAP = 8.0


@dataclass(frozen=True)
class GateInput:
    """The article the gate weighs (the fused ranking's best quotable one) and its features."""

    candidate: Candidate | None
    features: tuple[float, ...]
    considered: tuple[Candidate, ...]  # the candidates after the first, for ``explain``


def _language_of(locale: str) -> str:
    return locale.split("-")[0].lower()


def gate_input(retrieved: Retrieved, text: str, language: str | None = None) -> GateInput:
    """Features of the best quotable article the ranking of ``text`` found (one row per
    article: a translation in the ticket's language stands for its article). The ranking holds
    all they need (the ticket's words the article holds among them)."""
    del text
    quotable = [c for c in retrieved.candidates if c.hit.visibility in QUOTABLE]
    by_article: dict[int, Candidate] = {}
    for cand in quotable:
        held = by_article.get(cand.hit.article_id)
        if held is None:
            by_article[cand.hit.article_id] = cand
        elif language and _language_of(cand.hit.locale) == language != _language_of(
            held.hit.locale
        ):
            by_article[cand.hit.article_id] = Candidate(
                cand.hit,
                held.share,
                held.keyword_rank,
                held.cosine,
                held.dense_rank,
                held.fused,
                held.likeness,
                cand.held,  # the translation's own words: the ticket's language
            )
    ranked = list(by_article.values())
    if not ranked:
        return GateInput(None, (0.0,) * len(FEATURES), ())
    best = ranked[0]
    scale = retrieved.stats
    # Rivals are the articles not of the best one's meaning, in any language: a translation of
    # it (its own article in some help centres, not always with its own locale) says the same
    # thing and is no sign the index cannot tell which article answers. Rivals were once only
    # those in the best one's language: a best article in German with one German rival then
    # stood far ahead of nothing, and an English ticket got the German article of another
    # question at the gate's 0.94.
    rest = [c for c in ranked[1:] if c.likeness < TWIN]
    other_cos = max((c.cosine for c in rest), default=0.0)
    # Rivals with a cosine (none where the index has no vectors).
    rival_cos = [c.cosine for c in rest if c.cosine]
    lead = 0.0
    if len(rival_cos) >= OWN_SPREAD_MIN:
        own_spread = float(np.std(rival_cos)) + 1e-3
        lead = min((best.cosine - max(rival_cos)) / own_spread, OWN_LEAD_CAP)
    features = (
        max(min((best.cosine - other_cos) / scale.spread, 5.0), -5.0),
        lead,
        best.held,
    )
    return GateInput(best, tuple(round(f, 6) for f in features), tuple(rest[:4]))


@dataclass(frozen=True)
class Gate:
    """A logistic score over ``FEATURES``, calibrated to the share right."""

    weights: tuple[float, ...]
    bias: float
    calibration: Calibration
    source: str = "shipped"
    ranking: str = RANKING  # the fused ranking it was fitted on ("": not recorded)

    def score(self, features: Sequence[float]) -> float:
        z = self.bias + sum(w * f for w, f in zip(self.weights, features, strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def probability(self, features: Sequence[float]) -> float:
        return self.calibration(self.score(features))

    def as_json(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "weights": [round(w, 6) for w in self.weights],
            "bias": round(self.bias, 6),
            "calibration": self.calibration.as_json(),
            "source": self.source,
            "ranking": self.ranking,
        }

    @classmethod
    def from_json(cls, data: object) -> Gate | None:
        if not isinstance(data, dict) or data.get("features") != list(FEATURES):
            return None
        calibration = Calibration.from_json(data.get("calibration"))
        try:
            weights = tuple(float(w) for w in data["weights"])
            bias = float(data["bias"])
        except (KeyError, TypeError, ValueError):
            return None
        if calibration is None or len(weights) != len(FEATURES):
            return None
        return cls(
            weights,
            bias,
            calibration,
            str(data.get("source", "file")),
            str(data.get("ranking") or ""),
        )


def load_gate(path: Path = GATE_FILE) -> Gate | None:
    try:
        return Gate.from_json(orjson.loads(path.read_bytes()))
    except (OSError, orjson.JSONDecodeError):
        return None


# The smooth calibration's steps: one every hundredth of the score.
SMOOTH_STEPS = 101


def fit_smooth(scores: Sequence[float], right: Sequence[bool]) -> Calibration:
    """A logistic curve over the score's log-odds (Platt scaling), kept as steps (the value at
    each step's start: never above the curve). Isotonic steps fitted on a few hundred rows of
    other help centres jump (0.88 over most scores, then 1.0): a threshold of 0.9 then opens
    for almost nothing or almost everything, and which one changes with the centres it was
    fitted on. A curve moves by little when a centre is added or left out. Isotonic where the
    curve would fall with the score (too few rows to tell)."""
    clipped = np.clip(np.asarray(scores, np.float64), 1e-6, 1 - 1e-6)
    odds = np.log(clipped / (1 - clipped))[:, None]
    (slope,), shift = fit_logistic(odds, np.asarray(right, np.float64), l2=0.0)
    if not slope > 0:
        return fit_isotonic(scores, right)
    starts = np.linspace(0.0, 1.0, SMOOTH_STEPS)
    at = np.log(np.clip(starts, 1e-6, 1 - 1e-6) / (1 - np.clip(starts, 1e-6, 1 - 1e-6)))
    values = 1.0 / (1.0 + np.exp(-np.clip(slope * at + shift, -50.0, 50.0)))
    return Calibration(
        tuple(float(x) for x in starts), tuple(float(np.round(v, 6)) for v in values)
    )


def fit_gate(
    features: Sequence[Sequence[float]],
    right: Sequence[bool],
    *,
    calibrate_on: tuple[Sequence[float], Sequence[bool]] | None = None,
    source: str = "fitted",
    smooth: bool = False,
) -> Gate:
    """A gate fitted on rows of features and whether the best article was right; the
    calibration on ``calibrate_on`` (scores and outcomes from elsewhere) or on the same rows,
    isotonic or (``smooth``) a logistic curve (``fit_smooth``)."""
    x = np.asarray(features, np.float64)
    y = np.asarray(right, np.float64)
    weights, bias = fit_logistic(x, y)
    raw = Gate(tuple(float(w) for w in weights), bias, Calibration((), ()), source)
    if calibrate_on is None:
        calibrate_on = ([raw.score(row) for row in features], list(right))
    curve = fit_smooth(*calibrate_on) if smooth else fit_isotonic(*calibrate_on)
    return Gate(raw.weights, bias, curve, source)


def as_suggestion(candidate: Candidate, probability: float) -> Suggestion:
    hit = candidate.hit
    return Suggestion(
        article_id=hit.article_id,
        title=hit.title,
        url=hit.url,
        locale=hit.locale,
        visibility=hit.visibility,
        score=round(probability, 4),
    )
