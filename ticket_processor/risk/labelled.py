"""Solved tickets with their outcome, for ``learn`` (the risk head) and ``eval --risk``.

A row is a JSON object with ``subject`` and ``description`` (or ``text``) and its outcome in
``outcome``: ``satisfaction`` (``good``, ``bad``, ``offered``, ``unoffered``: Zendesk's scores;
Freshdesk's ratings mapped to them), ``reopens`` (a count) and ``escalated`` (true/false). A
ticket *ended badly* when it was rated bad, reopened or escalated. Each row is judged as a run
judges a new ticket: its prepared text analysed by the keyword rules (sentiment and urgency),
the encoder's vector of the same text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..common.json_lines import json_lines
from ..errors import ConfigError
from ..models import Triage
from ..triage.prepare import prepare_ticket
from ..triage.rules import RulesEngine
from ..triage.taxonomy import load_taxonomy
from .fit import Array, auc, ece
from .head import RiskHead
from .inputs import RiskInputs, inputs_of
from .rules import rules_risk

_CHUNK = 256


@dataclass(frozen=True)
class OutcomeRow:
    subject: str
    body: str
    satisfaction: str | None = None
    reopens: int = 0
    escalated: bool = False

    @property
    def ended_badly(self) -> bool:
        return self.satisfaction == "bad" or self.reopens > 0 or self.escalated


def outcome_row(raw: dict[str, Any]) -> OutcomeRow | None:
    """The row of a JSON object; None when it says no outcome."""
    outcome = raw.get("outcome")
    if not isinstance(outcome, dict):
        return None
    satisfaction = outcome.get("satisfaction")
    return OutcomeRow(
        str(raw.get("subject") or ""),
        str(raw.get("description", raw.get("text", "")) or ""),
        satisfaction if isinstance(satisfaction, str) else None,
        int(outcome.get("reopens") or 0),
        bool(outcome.get("escalated")),
    )


def read_outcomes(path: Path) -> list[OutcomeRow]:
    rows = []
    for _number, raw in json_lines(path):
        row = outcome_row(raw) if isinstance(raw, dict) else None
        if row is not None:
            rows.append(row)
    if not rows:
        raise ConfigError(f"{path} has no row with an outcome to score")
    return rows


@dataclass(frozen=True)
class Prepared:
    """The rows as a run sees them: prepared texts, the rules' inputs, the truth."""

    texts: list[str]
    inputs: list[RiskInputs]
    bad: Array


def prepare_rows(rows: Sequence[OutcomeRow], engine: RulesEngine | None = None) -> Prepared:
    rules = engine or RulesEngine(load_taxonomy())
    texts, inputs = [], []
    for row in rows:
        prepared = prepare_ticket(row.subject, row.body)
        analysis = rules.analyse(prepared.subject, prepared.body)
        texts.append(f"{prepared.subject}\n{prepared.body}")
        inputs.append(inputs_of(Triage(analysis=analysis, engine="rules")))
    return Prepared(texts, inputs, np.asarray([r.ended_badly for r in rows], np.float64))


def vectors_of(texts: Sequence[str], encode: Any) -> Array:
    chunks = [
        np.asarray(encode(list(texts[i : i + _CHUNK])), np.float64)
        for i in range(0, len(texts), _CHUNK)
    ]
    return np.vstack(chunks) if chunks else np.zeros((0, 512))


@dataclass(frozen=True)
class RiskScores:
    rows: int
    bad: int
    rules_auc: float | None
    rules_ece: float | None
    head_auc: float | None = None
    head_ece: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "ended_badly": self.bad,
            "rules": {"auc": self.rules_auc, "ece": self.rules_ece},
            "head": {"auc": self.head_auc, "ece": self.head_ece},
        }


def score_prepared(
    prepared: Prepared, head: RiskHead | None = None, vectors: Array | None = None
) -> RiskScores:
    """The rules' AUC and ECE on the rows, and the head's when one is given."""
    rules = [rules_risk(i)[0] for i in prepared.inputs]
    bad = prepared.bad
    head_auc = head_ece = None
    if head is not None and vectors is not None:
        features = np.asarray([i.vector() for i in prepared.inputs])
        p = head.probabilities(vectors, features)
        head_auc, head_ece = auc(p, bad), ece(p, bad)
    return RiskScores(
        len(bad), int(bad.sum()), auc(rules, bad), ece(rules, bad), head_auc, head_ece
    )
