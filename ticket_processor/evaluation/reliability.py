"""How far an engine's confidence can be trusted on a labelled file, per field.

From each row's prediction, its confidence and whether the field was applied (``eval``'s
``--predictions`` carry both): the expected calibration error (the mean gap between confidence
and accuracy over ten equal-width bins), the share of rows whose field ticketbot would apply on
its own, the accuracy on those, and the accuracy on the suggested ones. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..triage.confidence import expected_calibration_error


@dataclass(frozen=True)
class FieldReliability:
    rows: int
    calibrated: bool
    ece: float
    applied_share: float
    applied_accuracy: float | None
    suggested_share: float
    suggested_accuracy: float | None

    def as_json(self) -> dict[str, object]:
        def r(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {
            "rows": self.rows,
            "calibrated": self.calibrated,
            "ece": r(self.ece),
            "applied_share": r(self.applied_share),
            "applied_accuracy": r(self.applied_accuracy),
            "suggested_share": r(self.suggested_share),
            "suggested_accuracy": r(self.suggested_accuracy),
        }


@dataclass(frozen=True)
class FieldOutcome:
    """One row's field: right or wrong, its confidence, its decision, whether calibrated."""

    correct: bool
    confidence: float
    decision: str
    calibrated: bool


def reliability(rows: Sequence[FieldOutcome]) -> FieldReliability:
    """The figures of one field over the rows labelled for it; a row whose field the engine
    did not give at all counts as not applied and wrong."""
    n = len(rows)
    applied = [r for r in rows if r.decision == "apply"]
    suggested = [r for r in rows if r.decision == "suggest"]

    def accuracy(chosen: Sequence[FieldOutcome]) -> float | None:
        return sum(r.correct for r in chosen) / len(chosen) if chosen else None

    return FieldReliability(
        rows=n,
        calibrated=any(r.calibrated for r in rows),
        ece=expected_calibration_error([r.confidence for r in rows], [r.correct for r in rows]),
        applied_share=len(applied) / n if n else 0.0,
        applied_accuracy=accuracy(applied),
        suggested_share=len(suggested) / n if n else 0.0,
        suggested_accuracy=accuracy(suggested),
    )


def field_reliability(
    labels: Sequence[Mapping[str, str]],
    predicted: Sequence[Mapping[str, str]],
    confidence: Sequence[Mapping[str, float]],
    decisions: Sequence[Mapping[str, str]],
    calibrated: Sequence[bool],
    fields: Sequence[str],
) -> dict[str, FieldReliability]:
    """Per field with labels: the reliability of the predictions against them."""
    found: dict[str, FieldReliability] = {}
    for name in fields:
        rows = [
            FieldOutcome(
                correct=predicted[i].get(name) == labels[i][name],
                confidence=float(confidence[i].get(name, 0.0)),
                decision=decisions[i].get(name, "abstain"),
                calibrated=calibrated[i],
            )
            for i in range(len(labels))
            if name in labels[i]
        ]
        if rows:
            found[name] = reliability(rows)
    return found
