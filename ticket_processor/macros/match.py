"""Which macros fit a ticket: a vote of its nearest neighbours by meaning, pure numpy.

The neighbours are the team's solved tickets (each labelled with the macro its agent's reply
used, or with none) and each macro's own title and text (so a macro no solved ticket used yet
is still found). Tickets whose agents answered in their own words are neighbours too: a new
ticket among them is of a kind no macro answers, and gets none. A neighbour less alike than
``floor`` votes "none" whatever its macro, and a last, virtual neighbour "none" stands at
``floor``: a ticket unlike anything the team knows gets none, however many of its far
neighbours one macro answered.

The ``NEIGHBOURS`` nearest vote, each weighted ``exp((cosine - best) / SPREAD)``; a macro's
share of the vote is its raw score, and ``calibrated`` maps it to the chance that the macro is
the one the agent used (a logistic curve fitted on a history the reported figures were not
measured on; ``docs/explanation/measurements/macros.md``). A macro is suggested when that
chance reaches ``SUGGEST_AT``; at most three, best first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

# Chosen on the Bitext retail history, never on the histories the documented figures come
# from: the neighbours and spread by ``python -m scripts.figures macros_eval --tune``; the
# floor (a neighbour less alike votes "none") and the show floor ``SUGGEST_AT`` by ``python -m
# scripts.figures macro_floor`` (at least 0.8 of the macros shown right and 0.9 of the tags, on
# tickets of kinds the history knows and of kinds it never saw; then the best hit@3).
NEIGHBOURS = 5
SPREAD = 0.15
FLOOR = 0.55
SUGGEST_AT = 0.2
# The logistic curve from a macro's vote share to the chance it is the agent's macro
# (slope, offset), fitted on the same Bitext history with that floor.
CALIBRATION = (11.4, -4.3)
MOST = 3
NONE = 0  # the label of a solved ticket whose reply used no macro


@dataclass(frozen=True)
class MacroChoice:
    """A suggested macro: its id and the chance, from 0 to 1, that it is the one to use."""

    macro_id: int
    confidence: float


@dataclass(frozen=True)
class Tuning:
    neighbours: int = NEIGHBOURS
    spread: float = SPREAD
    floor: float = FLOOR
    suggest_at: float = SUGGEST_AT
    calibration: tuple[float, float] = CALIBRATION


DEFAULT_TUNING = Tuning()


def calibrated(share: float, curve: tuple[float, float]) -> float:
    slope, offset = curve
    return 1.0 / (1.0 + math.exp(-(slope * share + offset)))


def _unit(rows: FloatArray) -> FloatArray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    unit: FloatArray = (rows / np.maximum(norms, 1e-9)).astype(np.float32)
    return unit


class MacroMatcher:
    """The neighbours' vectors and labels, ready to vote on a ticket's vector."""

    def __init__(
        self,
        history: FloatArray,
        labels: npt.NDArray[np.int64],
        macro_vectors: FloatArray,
        macro_ids: list[int],
        tuning: Tuning = DEFAULT_TUNING,
    ) -> None:
        rows = [r for r in (history, macro_vectors) if len(r)]
        self._vectors = _unit(np.vstack(rows)) if rows else np.zeros((0, 1), np.float32)
        self._labels = np.concatenate([labels.astype(np.int64), np.asarray(macro_ids, np.int64)])
        self._known = set(macro_ids)
        self.tuning = tuning

    @property
    def empty(self) -> bool:
        return not self._known

    def shares(self, vector: FloatArray) -> dict[int, float]:
        """Each macro's share of the nearest neighbours' vote (the virtual "none" and the
        tickets answered without a macro hold the rest)."""
        if self.empty:
            return {}
        unit = vector / max(float(np.linalg.norm(vector)), 1e-9)
        cosines = self._vectors @ unit.astype(np.float32)
        tuning = self.tuning
        take = min(tuning.neighbours, len(cosines))
        nearest = np.argpartition(-cosines, take - 1)[:take]
        near = cosines[nearest]
        # A neighbour below the floor is too far to speak for its macro: it votes "none".
        # Without this, five far neighbours of one macro outvoted the one virtual "none" and a
        # ticket of a kind the team never saw got that macro at 0.95 ("Refund issued" on a
        # declined card payment, whose nearest solved tickets were all refunds at 0.4-0.5).
        speaking = np.where(near >= tuning.floor, self._labels[nearest], NONE)
        sims = np.append(near, tuning.floor)
        labels = np.append(speaking, NONE)
        weights = np.exp((sims - sims.max()) / tuning.spread)
        total = float(weights.sum())
        votes: dict[int, float] = {}
        for label, weight in zip(labels.tolist(), weights.tolist(), strict=True):
            if label != NONE and label in self._known:
                votes[label] = votes.get(label, 0.0) + weight / total
        return votes

    def suggest(self, vector: FloatArray) -> list[MacroChoice]:
        """Up to three macros whose calibrated chance reaches ``suggest_at``, best first."""
        tuning = self.tuning
        ranked = sorted(self.shares(vector).items(), key=lambda item: (-item[1], item[0]))
        chosen = [
            MacroChoice(macro_id, round(calibrated(share, tuning.calibration), 3))
            for macro_id, share in ranked
        ]
        return [c for c in chosen if c.confidence >= tuning.suggest_at][:MOST]

    def ranked(self, vector: FloatArray) -> list[MacroChoice]:
        """Every macro with a share of the vote, best first, no threshold: what the
        evaluation reads for hit@k and the calibration curve."""
        ranked = sorted(self.shares(vector).items(), key=lambda item: (-item[1], item[0]))
        curve = self.tuning.calibration
        return [MacroChoice(m, calibrated(share, curve)) for m, share in ranked]
