"""Calibrated confidence per field, and what it decides: apply, suggest or abstain.

An engine's raw confidence (the learned model's class probability, the LLM's self-report) is
not the share of its answers that are right. A ``Calibration`` maps it to that share: isotonic
regression (pool adjacent violators) fitted on predictions the engine made for rows it never
saw (cross-validation for the learned model, a labelled file for the LLM: ``ticketbot
calibrate``), stored as plain numbers. ``expected_calibration_error`` says how far a confidence
is from the truth; ``apply_threshold`` chooses, from the same predictions, the lowest calibrated
confidence whose answers are right at least ``precision`` of the time.

``decide`` is the one rule of a field's fate:

- calibrated confidence >= the apply threshold: **apply** (tags, priority, routing as always),
  unless the threshold is "never" (``NEVER``, 1.0: no confidence was shown right often
  enough), which no confidence clears, not even a calibrated 1.00;
- >= the suggest threshold: **suggest** (named in the note with its confidence, tagged
  ``<prefix>suggested_<field>``, nothing else changes);
- below: **abstain** (the note says the field was left open).

A field the engine has no calibration for is decided as before calibration existed: by the
run's ``TICKETBOT_CONFIDENCE_THRESHOLD`` on the engine's own confidence, applied either way
(``triage_tags`` adds ``<prefix>low_confidence`` below it). Pure, no I/O.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Decision = Literal["apply", "suggest", "abstain"]
DEFAULT_PRECISION = 0.95
DEFAULT_SUGGEST_AT = 0.5
# Fewer applied rows than this and a threshold's precision is a guess: take a higher one.
MIN_APPLIED_ROWS = 20
# Fewer rows than this and a field no threshold reaches says more of the file's size than of the
# engine: ``calibrate`` and ``learn`` refuse to save it (it would stop runs applying the field).
# With more, "never" is the engine's own limit on that field, and is kept (it suggests instead).
ENOUGH_ROWS = 500
# The threshold "never": a field at it is never applied, whatever its confidence. ``applies``
# is the one test of it that runs, ``calibrate``, ``learn`` and ``health`` share, so that what
# they say and what runs do cannot differ.
NEVER = 1.0
# A threshold found at calibrated confidence 1.0 (the surest rows are right often enough) is
# kept just under it, so that it still applies them and is not read as "never".
SUREST = 0.9999


@dataclass(frozen=True)
class Calibration:
    """A non-decreasing step function from raw confidence to the share of right answers:
    at raw confidence ``x``, the value of the last step whose start is <= ``x``."""

    starts: tuple[float, ...]
    values: tuple[float, ...]

    def __call__(self, raw: float) -> float:
        if not self.starts:
            return raw
        at = bisect.bisect_right(self.starts, raw) - 1
        return self.values[max(at, 0)]

    def as_json(self) -> dict[str, list[float]]:
        return {
            "starts": [round(x, 6) for x in self.starts],
            "values": [round(y, 6) for y in self.values],
        }

    @classmethod
    def from_json(cls, data: object) -> Calibration | None:
        """The calibration a model file or state file holds; None when absent or malformed."""
        if not isinstance(data, dict):
            return None
        starts, values = data.get("starts"), data.get("values")
        if (
            not isinstance(starts, list)
            or not isinstance(values, list)
            or len(starts) != len(values)
        ):
            return None
        try:
            xs = tuple(float(x) for x in starts)
            ys = tuple(float(y) for y in values)
        except (TypeError, ValueError):
            return None
        if list(xs) != sorted(xs) or list(ys) != sorted(ys) or not all(0 <= y <= 1 for y in ys):
            return None
        return cls(xs, ys)


def fit_isotonic(raw: Sequence[float], correct: Sequence[bool]) -> Calibration:
    """Pool adjacent violators on (raw confidence, right or wrong), sorted by confidence."""
    pairs = sorted(zip(raw, correct, strict=True))
    blocks: list[list[float]] = []  # [start, sum of right, count]
    for x, ok in pairs:
        if blocks and blocks[-1][0] == x:
            blocks[-1][1] += float(ok)
            blocks[-1][2] += 1
        else:
            blocks.append([x, float(ok), 1.0])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            start, total, count = blocks[-2]
            _, more, extra = blocks.pop()
            blocks[-1] = [start, total + more, count + extra]
    return Calibration(tuple(b[0] for b in blocks), tuple(b[1] / b[2] for b in blocks))


def expected_calibration_error(
    confidence: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> float:
    """The mean gap between confidence and accuracy over equal-width bins, weighted by rows."""
    if not confidence:
        return 0.0
    totals = [[0.0, 0.0, 0] for _ in range(bins)]
    for p, ok in zip(confidence, correct, strict=True):
        slot = totals[min(int(p * bins), bins - 1)]
        slot[0] += p
        slot[1] += float(ok)
        slot[2] += 1
    gap = sum(abs(s[0] - s[1]) for s in totals if s[2])
    return gap / len(confidence)


def apply_threshold(
    calibrated: Sequence[float],
    correct: Sequence[bool],
    precision: float = DEFAULT_PRECISION,
    min_rows: int = MIN_APPLIED_ROWS,
) -> float:
    """The lowest calibrated confidence t such that the rows at or above t are right at least
    ``precision`` of the time (and number ``min_rows`` or more); ``NEVER`` when none (a t of
    1.0 is given as ``SUREST``)."""
    pairs = sorted(zip(calibrated, correct, strict=True), reverse=True)
    best = 1.0
    right = 0
    for count, (p, ok) in enumerate(pairs, start=1):
        right += ok
        next_p = pairs[count][0] if count < len(pairs) else None
        if next_p == p:
            continue  # a threshold takes every row of its value
        if count >= min_rows and right / count >= precision:
            best = min(p, SUREST)
    return round(best, 4)


def rows_needed(
    calibrated: Sequence[float],
    correct: Sequence[bool],
    precision: float = DEFAULT_PRECISION,
    min_rows: int = MIN_APPLIED_ROWS,
) -> int | None:
    """Where ``apply_threshold`` found none: about how many rows like these it would take.

    The largest share of the rows, taken from the surest down, that is right ``precision`` of
    the time says how many rows clear the bar; a file that many times larger gives it
    ``min_rows`` of them. None when not even the surest answers are right that often: more rows
    of the same kind would not help (a better engine, or better labels, would)."""
    pairs = sorted(zip(calibrated, correct, strict=True), reverse=True)
    right = 0
    best = 0
    for count, (p, ok) in enumerate(pairs, start=1):
        right += ok
        if count < len(pairs) and pairs[count][0] == p:
            continue
        if right / count >= precision:
            best = count
    if best == 0:
        return None
    return max(len(pairs) + 1, -(-len(pairs) * min_rows // best))


def shortfall(
    field: str, rows: int, needed: int | None, precision: float = DEFAULT_PRECISION
) -> str:
    """One line for a field whose apply threshold came out "never", with what would fix it."""
    told = (
        f"{field}: on {rows} rows no confidence is right {precision:.0%} of the time over "
        f"{MIN_APPLIED_ROWS} rows or more, so it would never be applied"
    )
    if needed is None:
        return told + (
            f"; even its surest answers here are right less than {precision:.0%} of the time: "
            f"about {ENOUGH_ROWS} labelled rows or more would be needed to tell whether any is"
        )
    return told + f"; about {needed} labelled rows would be needed"


def too_few_rows(apply_at: float | None, rows: int) -> bool:
    """A calibration that would never apply a field, from a file too small to tell."""
    return apply_at is not None and never_applied(apply_at) and rows < ENOUGH_ROWS


def never_applied(apply_at: float) -> bool:
    """Whether a field at this apply threshold is never applied (only suggested)."""
    return apply_at >= NEVER


def applies(confidence: float, apply_at: float) -> bool:
    """Whether a field at this calibrated confidence is applied at this threshold: at or above
    it, and never at "never" (``NEVER``)."""
    return not never_applied(apply_at) and confidence >= apply_at


def threshold_text(apply_at: float) -> str:
    """The threshold as ``calibrate``, ``learn`` and ``health`` show it: "never", or the number
    (with the digits that tell ``SUREST`` from "never")."""
    if never_applied(apply_at):
        return "never"
    return f"{apply_at:.2f}" if apply_at < 0.995 else f"{apply_at:.4f}"


@dataclass(frozen=True)
class FieldPolicy:
    """Per field, the calibrated confidence to apply at and to suggest at."""

    apply_at: Mapping[str, float]
    suggest_at: Mapping[str, float]

    def decide(self, field: str, confidence: float) -> Decision:
        if applies(confidence, self.apply_at.get(field, NEVER)):
            return "apply"
        if confidence >= self.suggest_at.get(field, DEFAULT_SUGGEST_AT):
            return "suggest"
        return "abstain"


def field_decisions(
    field_confidence: Mapping[str, float],
    engine_apply_at: Mapping[str, float],
    *,
    apply_at: Mapping[str, float] | None = None,
    suggest_at: Mapping[str, float] | None = None,
) -> dict[str, Decision]:
    """Each calibrated field's decision: the user's thresholds (settings) where given, else the
    engine's own (from its calibration). Uncalibrated fields are absent: they apply as before."""
    chosen_apply = {**engine_apply_at, **(apply_at or {})}
    chosen_suggest = {
        f: min(DEFAULT_SUGGEST_AT, chosen_apply.get(f, 1.0)) for f in field_confidence
    }
    chosen_suggest.update(suggest_at or {})
    policy = FieldPolicy(chosen_apply, chosen_suggest)
    return {field: policy.decide(field, p) for field, p in field_confidence.items()}
