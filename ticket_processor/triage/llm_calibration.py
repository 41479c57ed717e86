"""The LLM's confidence, calibrated per field on a labelled file (``ticketbot calibrate``).

An LLM reports one confidence ("how sure of the category"). On a labelled file, each field's
rows give pairs (that self-report, whether the field was right); ``fit`` maps the self-report
to the share right per field (``triage.confidence``) and picks each field's apply threshold.
The result is a file in the state directory, ``llm-calibration.json``, for one model and one
taxonomy: a run with that model uses it (``FieldCalibrations.apply``); another model, another
taxonomy or no file, and the LLM is uncalibrated (its fields apply as before). Plain JSON,
checked when read; a damaged file is ignored with a reason, never trusted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..common.atomic import atomic_write_bytes, read_state_bytes
from ..models import Triage
from .confidence import (
    Calibration,
    apply_threshold,
    expected_calibration_error,
    fit_isotonic,
    rows_needed,
    shortfall,
    too_few_rows,
)

FILE_NAME = "llm-calibration.json"
FORMAT = "ticketbot-llm-calibration"
MIN_ROWS = 30  # fewer answered rows for a field and its calibration is not fitted


@dataclass(frozen=True)
class FieldFit:
    calibration: Calibration
    apply_at: float
    ece_raw: float
    ece_calibrated: float
    rows: int


@dataclass(frozen=True)
class FieldCalibrations:
    """One model's calibration per field."""

    model: str
    taxonomy: tuple[str, ...]
    fields: Mapping[str, FieldFit]
    written_at: str = ""
    notes: list[str] = field(default_factory=list)
    # The fitted fields whose apply threshold came out "never" from too few rows to tell
    # (``confidence.too_few_rows``), each with the rows it would take: saving such a
    # calibration would stop runs applying that field, so ``calibrate`` refuses it.
    short: list[str] = field(default_factory=list)

    def apply(self, triage: Triage) -> Triage:
        """The LLM's triage with each calibrated field's confidence and apply threshold."""
        raw = triage.analysis.confidence
        return triage.model_copy(
            update={
                "field_confidence": {
                    n: round(f.calibration(raw), 4) for n, f in self.fields.items()
                },
                "apply_at": {n: f.apply_at for n, f in self.fields.items()},
            }
        )

    def to_json(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            "version": 1,
            "model": self.model,
            "taxonomy": list(self.taxonomy),
            "written_at": self.written_at,
            "fields": {
                name: {
                    "calibration": fit.calibration.as_json(),
                    "apply_at": fit.apply_at,
                    "ece": {
                        "raw": round(fit.ece_raw, 4),
                        "calibrated": round(fit.ece_calibrated, 4),
                    },
                    "rows": fit.rows,
                }
                for name, fit in self.fields.items()
            },
        }


def fit(
    model: str,
    taxonomy: tuple[str, ...],
    raw: Mapping[str, Sequence[float]],
    correct: Mapping[str, Sequence[bool]],
) -> FieldCalibrations:
    """Per field with ``MIN_ROWS`` answered rows or more, the calibration of the self-report."""
    fits: dict[str, FieldFit] = {}
    notes = []
    short: list[str] = []
    for name, confidence in raw.items():
        right = correct[name]
        if len(confidence) < MIN_ROWS:
            notes.append(f"{name}: {len(confidence)} labelled rows answered, fewer than {MIN_ROWS}")
            continue
        calibration = fit_isotonic(confidence, right)
        calibrated = [calibration(p) for p in confidence]
        fits[name] = FieldFit(
            calibration,
            apply_threshold(calibrated, right),
            expected_calibration_error(confidence, right),
            expected_calibration_error(calibrated, right),
            len(confidence),
        )
        if too_few_rows(fits[name].apply_at, len(confidence)):
            short.append(shortfall(name, len(confidence), rows_needed(calibrated, right)))
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    return FieldCalibrations(model, taxonomy, fits, stamp, notes, short)


def save(state_dir: Path, calibrations: FieldCalibrations) -> Path:
    path = state_dir / FILE_NAME
    state_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, json.dumps(calibrations.to_json(), indent=1).encode("utf-8"))
    return path


def reset(state_dir: Path) -> Path | None:
    """Remove the saved calibration (runs go back to the engine's default); the path removed,
    or None when there was none."""
    path = state_dir / FILE_NAME
    try:
        path.unlink()
    except FileNotFoundError:
        return None
    return path


def load(
    state_dir: Path, model: str, taxonomy: tuple[str, ...]
) -> tuple[FieldCalibrations | None, str]:
    """The calibration for ``model`` and ``taxonomy``, or None and why not ("" when no file)."""
    path = state_dir / FILE_NAME
    try:
        data = json.loads(read_state_bytes(path, limit=4 * 1024 * 1024))
    except FileNotFoundError:
        return None, ""
    except (OSError, ValueError) as exc:
        return None, f"{path}: not used: {exc}"
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None, f"{path}: not used: not a ticketbot LLM calibration"
    if data.get("model") != model or tuple(data.get("taxonomy") or ()) != taxonomy:
        return None, (
            f"{path}: not used: made for model {data.get('model')!r} and another taxonomy or "
            f"model than {model!r}: run 'ticketbot calibrate FILE' again"
        )
    fits: dict[str, FieldFit] = {}
    for name, entry in dict(data.get("fields") or {}).items():
        calibration = Calibration.from_json(
            entry.get("calibration") if isinstance(entry, dict) else None
        )
        at = entry.get("apply_at") if isinstance(entry, dict) else None
        if calibration is None or not isinstance(at, int | float) or not 0 <= at <= 1:
            return None, f"{path}: not used: damaged entry for {name!r}"
        ece = entry.get("ece") or {}
        fits[str(name)] = FieldFit(
            calibration,
            float(at),
            float(ece.get("raw", 0)),
            float(ece.get("calibrated", 0)),
            int(entry.get("rows", 0)),
        )
    return FieldCalibrations(model, taxonomy, fits, str(data.get("written_at", ""))), ""
