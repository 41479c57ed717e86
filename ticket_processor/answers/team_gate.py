"""The gate fitted on the team's own help centre, from its history, and the promotion rule that
decides whether runs use it.

``answers calibrate --from-helpdesk`` labels the team's solved tickets (``history``), reads the
gate's features of each against the synced index, and fits ``gate.fit_gate`` on them. Whether
it replaces the gate in use is decided as ``learn`` decides for a model: on the team's own
tickets, cross-validated (each fold's probabilities from a gate fitted, and calibrated, without
it), against the gate in use on the same tickets. A gate is judged by the precision of what it
would send at the policy's threshold and by how many answerable tickets it answers right
(coverage): one whose precision is below ``PRECISION_BAR`` where the one in use meets it, or
that answers fewer right at no better precision, is worse and not written unless ``--force``.

The fitted gate is kept in the state directory (``TEAM_GATE_FILE``: weights as data, with when
it was fitted, on how many tickets and its cross-validated figures), never in the package; runs,
``answers explain``, ``answers status`` and ``health`` read it through ``gate_in_use``. No ticket
text is kept: only the features and labels live in memory while it is fitted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ..common.atomic import atomic_write_bytes, read_state_bytes
from .gate import FEATURES, GATE_FILE, Gate, fit_gate, load_gate

TEAM_GATE_FILE = "answers_gate.json"
# The share of sent answers that must be right for a customer-facing answer.
PRECISION_BAR = 0.95
FOLDS = 5
ENOUGH_ROWS = 30  # fewer labelled tickets than this cannot tell one gate from another


@dataclass(frozen=True)
class Figures:
    """What a gate would send at ``threshold`` on labelled rows."""

    threshold: float
    sent: int
    sent_right: int
    answerable: int

    @property
    def precision(self) -> float | None:
        return self.sent_right / self.sent if self.sent else None

    @property
    def coverage(self) -> float | None:
        return self.sent_right / self.answerable if self.answerable else None

    def as_json(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {
            "threshold": self.threshold,
            "sent": self.sent,
            "sent_right": self.sent_right,
            "answerable": self.answerable,
            "precision": rounded(self.precision),
            "coverage": rounded(self.coverage),
        }

    def describe(self) -> str:
        precision = "-" if self.precision is None else f"{self.precision:.2f}"
        coverage = "-" if self.coverage is None else f"{self.coverage:.2f}"
        return (
            f"precision {precision} ({self.sent_right} of {self.sent} sent right), coverage "
            f"{coverage} of {self.answerable} answerable, at threshold {self.threshold}"
        )


@dataclass(frozen=True)
class HistoryRow:
    """One labelled ticket: the gate's features of its best article, whether that article is
    the one the agent linked, and whether the agent linked one at all."""

    features: tuple[float, ...]
    right: bool
    answerable: bool


def figures(
    probabilities: Sequence[float], rows: Sequence[HistoryRow], threshold: float
) -> Figures:
    sent = [p >= threshold for p in probabilities]
    return Figures(
        threshold,
        sum(sent),
        sum(s and r.right for s, r in zip(sent, rows, strict=True)),
        sum(r.answerable for r in rows),
    )


def _folds(count: int, folds: int) -> list[list[int]]:
    """HistoryRow positions dealt round-robin into ``folds`` folds (the rows come in the helpdesk's
    order, which is time: every fold spans the window)."""
    return [list(range(k, count, folds)) for k in range(folds)]


def _fit(rows: Sequence[HistoryRow], folds: int) -> Gate:
    """A gate on ``rows`` calibrated on their out-of-fold scores."""
    features = [r.features for r in rows]
    right = [r.right for r in rows]
    scores = [0.0] * len(rows)
    for held in _folds(len(rows), folds):
        chosen = set(held)
        kept = [i for i in range(len(rows)) if i not in chosen]
        raw = fit_gate([features[i] for i in kept], [right[i] for i in kept])
        for i in held:
            scores[i] = raw.score(features[i])
    return fit_gate(features, right, calibrate_on=(scores, right), source="team history")


def cross_validated(rows: Sequence[HistoryRow], threshold: float, folds: int = FOLDS) -> Figures:
    """The figures of gates fitted on the team's rows, each fold's read by a gate fitted
    (and calibrated) on the other folds."""
    probabilities = [0.0] * len(rows)
    for held in _folds(len(rows), folds):
        chosen = set(held)
        kept = [r for i, r in enumerate(rows) if i not in chosen]
        gate = _fit(kept, folds)
        for i in held:
            probabilities[i] = gate.probability(rows[i].features)
    return figures(probabilities, rows, threshold)


@dataclass(frozen=True)
class GateVerdict:
    candidate: Figures
    current: Figures
    worse: str | None  # why the candidate is worse, None when it is not


def judge(candidate: Figures, current: Figures) -> GateVerdict:
    """The promotion rule: a gate below the precision bar where the one in use meets it, or
    answering fewer tickets right without a better precision, is worse."""
    new_p, old_p = candidate.precision, current.precision
    meets_new = new_p is not None and new_p >= PRECISION_BAR
    meets_old = old_p is not None and old_p >= PRECISION_BAR
    worse = None
    if meets_old and not meets_new:
        worse = (
            f"its cross-validated precision is below {PRECISION_BAR} where the gate in use "
            f"meets it (candidate: {candidate.describe()}; in use: {current.describe()})"
        )
    elif candidate.sent_right < current.sent_right and (new_p or 0.0) <= (old_p or 0.0):
        worse = (
            f"it answers fewer of the team's tickets right without a better precision "
            f"(candidate: {candidate.describe()}; in use: {current.describe()})"
        )
    return GateVerdict(candidate, current, worse)


def fit_team_gate(rows: Sequence[HistoryRow], folds: int = FOLDS) -> Gate:
    return _fit(rows, folds)


@dataclass(frozen=True)
class GateInUse:
    """The gate runs use and what is known of it: the team's (fitted when, on how many
    tickets, its cross-validated figures) or the shipped one."""

    gate: Gate | None
    origin: str  # "team" or "shipped"
    fitted_at: float | None = None
    tickets: int | None = None
    figures: dict[str, Any] | None = None
    path: str | None = None
    # The state directory holds a team's gate over other features than this release's gate
    # reads (fitted before the gate's features changed): unused until it is fitted again.
    outdated: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "fitted_at": self.fitted_at,
            "tickets": self.tickets,
            "cv": self.figures,
            "path": self.path,
            "outdated": self.outdated,
        }

    def describe(self) -> str:
        if self.origin != "team" and self.outdated:
            return (
                f"the shipped gate ({GATE_FILE.name}): the team's gate ({self.path}) reads "
                "other features than this release's gate; run `ticketbot answers calibrate "
                "--from-helpdesk` again"
            )
        if self.origin != "team":
            return f"the shipped gate ({GATE_FILE.name})"
        cv = self.figures or {}
        return (
            f"the team's gate ({self.path}), fitted {_when(self.fitted_at)} on {self.tickets} "
            f"tickets: cross-validated precision {_pct(cv.get('precision'))}, coverage "
            f"{_pct(cv.get('coverage'))} at threshold {cv.get('threshold')}"
        )


def _pct(value: object) -> str:
    return f"{value:.0%}" if isinstance(value, float | int) else "-"


def _when(moment: float | None) -> str:
    import time

    if moment is None:
        return "at an unknown time"
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(moment))


def gate_in_use(state_dir: Path) -> GateInUse:
    """The team's gate from the state directory when there is a readable one, else the
    shipped gate."""
    path = state_dir / TEAM_GATE_FILE
    with contextlib.suppress(OSError, orjson.JSONDecodeError):
        data = orjson.loads(read_state_bytes(path))
        if isinstance(data, dict):
            gate = Gate.from_json(data.get("gate"))
            if gate is not None:
                fitted = data.get("fitted_at")
                tickets = data.get("tickets")
                cv = data.get("cv")
                return GateInUse(
                    gate,
                    "team",
                    float(fitted) if isinstance(fitted, int | float) else None,
                    int(tickets) if isinstance(tickets, int) else None,
                    cv if isinstance(cv, dict) else None,
                    str(path),
                )
            kept = data.get("gate")
            if isinstance(kept, dict) and kept.get("features") != list(FEATURES):
                return GateInUse(load_gate(), "shipped", path=str(path), outdated=True)
    return GateInUse(load_gate(), "shipped")


def save_team_gate(
    state_dir: Path, gate: Gate, *, fitted_at: float, tickets: int, cv: Figures, since: int
) -> Path:
    path = state_dir / TEAM_GATE_FILE
    record = {
        "gate": gate.as_json(),
        "fitted_at": fitted_at,
        "tickets": tickets,
        "since": since,
        "cv": cv.as_json(),
    }
    atomic_write_bytes(path, orjson.dumps(record, option=orjson.OPT_INDENT_2))
    return path
