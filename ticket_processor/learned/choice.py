"""Which learned model a run uses, named for people, and the scores its file records.

Only the model file's header is read (zipfile and json, no numpy), so ``health``, ``learn`` and
the run's summary can name the model in use, and ``learn`` can compare a new model with the one
it replaces, without loading either.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from . import MODEL_FILE_NAME, bundled_model_path

Origin = Literal["configured", "state", "bundled"]


@dataclass(frozen=True)
class ModelInUse:
    path: Path
    origin: Origin

    def describe(self) -> str:
        if self.origin == "bundled":
            return f"the bundled model ({self.path})"
        if self.origin == "state":
            return f"the state directory's model ({self.path}, written by `ticketbot learn`)"
        return f"the model TICKETBOT_LEARNED_MODEL names ({self.path})"


def model_in_use(configured: Path | None, state_dir: Path) -> ModelInUse:
    """The same choice as ``learned.model_path``, with where it came from."""
    if configured is not None:
        return ModelInUse(configured, "configured")
    learned = state_dir / MODEL_FILE_NAME
    if learned.exists():
        return ModelInUse(learned, "state")
    return ModelInUse(bundled_model_path(), "bundled")


def recorded_scores(path: Path) -> dict[str, float]:
    """Each field's cross-validated macro-F1 as the file records it; {} when it records none
    (trained with ``--folds 0``) or cannot be read (a missing or damaged file says so elsewhere)."""
    try:
        with zipfile.ZipFile(path) as zf:
            header = json.loads(zf.read("header.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return {}
    fields = header.get("fields") if isinstance(header, dict) else None
    if not isinstance(fields, dict):
        return {}
    scores: dict[str, float] = {}
    for name, field in fields.items():
        score = field.get("cv_macro_f1") if isinstance(field, dict) else None
        if isinstance(score, int | float) and not isinstance(score, bool):
            scores[str(name)] = float(score)
    return scores


def trained_at(path: Path) -> str | None:
    """When the model at ``path`` was trained, as its header says; None when unreadable."""
    try:
        with zipfile.ZipFile(path) as zf:
            header = json.loads(zf.read("header.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    value = header.get("trained_at") if isinstance(header, dict) else None
    return str(value) if isinstance(value, str) and value else None


def trained_for(path: Path) -> tuple[str, ...] | None:
    """The category names the model at ``path`` was trained for; None when unreadable."""
    try:
        with zipfile.ZipFile(path) as zf:
            header = json.loads(zf.read("header.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    names = header.get("taxonomy") if isinstance(header, dict) else None
    return tuple(str(n) for n in names) if isinstance(names, list) else None


def mean_score(scores: dict[str, float]) -> float | None:
    return sum(scores.values()) / len(scores) if scores else None


def scores_text(scores: dict[str, float]) -> str:
    """``0.650 (category 0.772, sentiment 0.644, urgency 0.536)``, or that none is recorded."""
    mean = mean_score(scores)
    if mean is None:
        return "no cross-validated score recorded"
    fields = ", ".join(f"{name} {score:.3f}" for name, score in sorted(scores.items()))
    return f"mean cross-validated macro-F1 {mean:.3f} ({fields}; pooled over its training sets)"


def record_path(target: Path) -> Path:
    """Where ``learn --promote`` keeps the comparison that put the model at ``target``."""
    return target.with_name(target.name.removesuffix(".zip") + ".promotion.json")


def promotion_text(target: Path) -> str | None:
    """``promoted 2026-11-24 on 120 held-out tickets: category 0.812, ...``, or None."""
    try:
        data = json.loads(record_path(target).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    scores = data.get("scores") if isinstance(data, dict) else None
    if not isinstance(scores, dict):
        return None
    text = ", ".join(f"{k} {float(v):.3f}" for k, v in sorted(scores.items()))
    when, rows = data.get("promoted_at", "?"), data.get("held_out_rows", "?")
    return f"promoted {when} on {rows} held-out tickets: {text}"
