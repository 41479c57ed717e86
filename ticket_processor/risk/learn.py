"""Learning the risk head: fitted on four fifths of the solved tickets, scored with the rules
on the held-out fifth (seeded), and written only when it beats the rules' AUC there and is not
worse than the head in use on the same tickets (the learned engine's promotion rule: refuse
worse). Its held-out AUC and ECE go in the head's file (``figures``) and the report."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..common.atomic import atomic_write_bytes
from .fit import auc, ece, fit_head
from .head import load_risk_head
from .labelled import OutcomeRow, Prepared, prepare_rows, vectors_of
from .rules import rules_risk
from .scorer import head_path

HELD_OUT_SHARE = 0.2


@dataclass(frozen=True)
class RiskLearned:
    """What ``learn_risk`` did: the held-out figures, and whether the head was written."""

    rows: int
    held_out: int
    bad: int
    head_auc: float | None
    head_ece: float | None
    rules_auc: float | None
    rules_ece: float | None
    in_use_auc: float | None
    written: Path | None
    why_not: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()}


def _split(count: int, seed: int) -> tuple[list[int], list[int]]:
    order = list(range(count))
    random.Random(seed).shuffle(order)
    cut = max(1, round(count * HELD_OUT_SHARE))
    return sorted(order[cut:]), sorted(order[:cut])


def _take(prepared: Prepared, rows: Sequence[int]) -> Prepared:
    return Prepared(
        [prepared.texts[i] for i in rows],
        [prepared.inputs[i] for i in rows],
        prepared.bad[list(rows)],
    )


def learn_risk(
    rows: Sequence[OutcomeRow],
    model: Path,
    encode: Any,
    *,
    source: str,
    seed: int = 0,
    force: bool = False,
) -> RiskLearned:
    """Fit, score and maybe write the head beside the learned model at ``model``."""
    prepared = prepare_rows(rows)
    vectors = vectors_of(prepared.texts, encode)
    fitted, held = _split(len(rows), seed)
    train, test = _take(prepared, fitted), _take(prepared, held)
    features = np.asarray([i.vector() for i in train.inputs])
    head = fit_head(vectors[fitted], features, train.bad, trained_on=source, seed=seed)
    test_features = np.asarray([i.vector() for i in test.inputs])
    p = head.probabilities(vectors[held], test_features)
    rules = [rules_risk(i)[0] for i in test.inputs]
    head_auc, head_ece = auc(p, test.bad), ece(p, test.bad)
    rules_auc, rules_ece = auc(rules, test.bad), ece(rules, test.bad)
    target = head_path(model)
    current = load_risk_head(target)
    in_use = None
    if current is not None:
        in_use = auc(current.probabilities(vectors[held], test_features), test.bad)
    why_not = None
    if head_auc is None or rules_auc is None:
        why_not = "the held-out tickets did not all end alike: no AUC to compare"
    elif head_auc <= rules_auc:
        why_not = f"its held-out AUC {head_auc:.3f} does not beat the rules' {rules_auc:.3f}"
    elif in_use is not None and head_auc < in_use:
        why_not = f"its held-out AUC {head_auc:.3f} is below the head in use's {in_use:.3f}"
    written = None
    if why_not is None or force:
        figures = {
            "auc": head_auc or 0.0,
            "ece": head_ece or 0.0,
            "rules_auc": rules_auc or 0.0,
            "held_out": float(len(held)),
        }
        final = fit_head(vectors, prepared_features(prepared), prepared.bad, trained_on=source)
        final = replace(final, figures=figures)
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, final.to_json().encode("utf-8"))
        written = target
    return RiskLearned(
        len(rows),
        len(held),
        int(prepared.bad.sum()),
        head_auc,
        head_ece,
        rules_auc,
        rules_ece,
        in_use,
        written,
        why_not,
    )


def prepared_features(prepared: Prepared) -> Any:
    return np.asarray([i.vector() for i in prepared.inputs])
