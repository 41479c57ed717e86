"""The trainers: the default model, the fault head, the reply model (the spam gate's head and
screen are in ``train_spam.py``)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from rich.console import Console
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

from scripts import command_parser, data_toml
from ticket_processor.commands.learn import result_table
from ticket_processor.incidents.fault import FILE_NAME as FAULT_FILE_NAME
from ticket_processor.incidents.fault import FaultHead
from ticket_processor.learned import LearnedModel, save_model
from ticket_processor.learned.embed import Encoder
from ticket_processor.learned.labelled_file import LabelledTicket, load_labelled
from ticket_processor.learned.samples import question_rows, sample_rows
from ticket_processor.learned.train import TrainingResult, TrainOptions, train
from ticket_processor.triage.confidence import (
    apply_threshold,
    expected_calibration_error,
    fit_isotonic,
)
from ticket_processor.triage.reply_kind import reply_examples, train_reply_model
from ticket_processor.triage.reply_model import (
    EXAMPLES_FILE,
    model_bytes,
    read_reply_model,
    shipped_model_path,
)
from ticket_processor.triage.taxonomy import load_taxonomy

# train_default_model -----------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
SHIPPABLE = ("banking77", "bitext", "nlbse")
DEFAULT_OUT = ROOT / "ticket_processor" / "learned" / "default-model.zip"


def shippable_rows(data: Path) -> list[LabelledTicket]:
    return (
        [row for row in load_labelled(data) if row.source in SHIPPABLE]
        + sample_rows()
        + question_rows()
    )


def uncalibrated(model: LearnedModel) -> LearnedModel:
    """The model with no field's calibration: its fields apply as they did before one."""
    fields = {
        name: replace(field, calibration=None, apply_at=None, ece={}, calibrated_on="")
        for name, field in model.fields.items()
    }
    return replace(model, fields=fields)


def compare_calibrations(result: TrainingResult) -> list[str]:
    """Per calibrated field, the pooled k-fold calibration beside the one fitted with each
    source held out: the raw probability each applies at, its calibrated value at a few raw
    probabilities, and the share of rows (and their accuracy) each would apply, per source,
    read on the held-out predictions."""
    lines = []
    for name, training in result.fields.items():
        if not training.held_probability:
            continue
        raw, right, sources = (
            training.held_probability,
            training.held_correct,
            training.held_sources,
        )
        lines.append(f"{name}: {len(raw)} rows; accuracy with each source held out:")
        for source in sorted(set(sources)):
            mine = [ok for ok, s in zip(right, sources, strict=True) if s == source]
            lines.append(f"  {source}: {sum(mine) / len(mine):.3f} of {len(mine)}")
        for how, xs, ys in (
            ("pooled k-fold", training.cv_probability, training.cv_correct),
            ("sources held out", raw, right),
        ):
            calibration = fit_isotonic(xs, ys)
            at = apply_threshold([calibration(p) for p in xs], ys)
            lowest = min((p for p in xs if calibration(p) >= at), default=None)
            steps = ", ".join(f"{p:.1f}→{calibration(p):.2f}" for p in (0.3, 0.4, 0.5, 0.7, 0.9))
            ece = expected_calibration_error([calibration(p) for p in raw], right)
            applied = [ok for p, ok in zip(raw, right, strict=True) if calibration(p) >= at]
            share = "none applied"
            if applied:
                share = f"{len(applied) / len(raw):.2f} applied, "
                share += f"{sum(applied) / len(applied):.3f} right"
            from_raw = "never" if lowest is None else f"raw >= {lowest:.3f}"
            lines.append(
                f"  {how}: apply at {at:.3f} ({from_raw}); {steps}; "
                f"on the held-out predictions: ECE {ece:.3f}, {share}"
            )
    return lines


def train_default_model(argv: list[str] | None = None) -> int:
    parser = command_parser("train_default_model")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/tickets-dev.jsonl")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--calibrated",
        action="store_true",
        help="ship the calibration fitted with each source held out (not the default)",
    )
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"{args.data}: not found (pass --data)", file=sys.stderr)
        return 2
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    rows = shippable_rows(args.data)
    console = Console(highlight=False)
    result = train(
        rows,
        load_taxonomy(None),
        options=TrainOptions(folds=args.folds, calibrate_on="sources"),
        on_step=lambda step: console.print(f"[dim]{step}[/]"),
        clock=lambda: when,
    )
    model = result.model if args.calibrated else uncalibrated(result.model)
    save_model(model, args.out)
    console.print(result_table(result))
    for field in result.fields.values():
        for warning in field.warnings:
            console.print(f"[yellow]warning:[/] {warning}")
    for line in compare_calibrations(result):
        console.print(line)
    console.print(f"{args.out}: {args.out.stat().st_size / 1e6:.1f} MB, {len(rows)} rows")
    return 0


# train_fault_head --------------------------------------------------------------------------------

# Which Bitext intents are a fault and which a request (scripts/data/fault_labels.toml).
_BITEXT = data_toml("fault_labels.toml")["bitext"]
BITEXT_FAULT: set[str] = set(_BITEXT["fault"])
BITEXT_REQUEST: set[str] = set(_BITEXT["request"])
EXAMPLES = ROOT / "tests/data/fault_examples.jsonl"
SHIPPED = ROOT / "ticket_processor/incidents" / FAULT_FILE_NAME
C = 4.0  # the regularisation: the best of 1, 4, 16 by five-fold cross-validation on these rows


def training_rows(examples: Path = EXAMPLES) -> tuple[list[str], list[int]]:
    texts: list[str] = []
    labels: list[int] = []
    for line in examples.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts.append(f"\n{row['text']}")
        labels.append(int(row["label"] == "fault"))
    for line in (ROOT / "tests/data/bitext.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        intent = row["labels"].get("subcategory")
        if intent in BITEXT_FAULT or intent in BITEXT_REQUEST:
            texts.append(f"{row['subject']}\n{row['description']}")
            labels.append(int(intent in BITEXT_FAULT))
    return texts, labels


def fit(examples: Path) -> tuple[FaultHead, np.ndarray, np.ndarray]:
    """The head fitted on ``examples`` and the bitext rows, with the rows' unit vectors and
    labels."""
    texts, labels = training_rows(examples)
    vectors = np.asarray(Encoder().encode(texts), np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    y = np.asarray(labels)
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=2000).fit(vectors, y)
    head = FaultHead(
        model.coef_[0].astype(np.float32),
        float(model.intercept_[0]),
        0.5,
        trained_on="tests/data/fault_examples.jsonl (project's own writing); "
        "tests/data/bitext.jsonl fault/request intents (CDLA-Sharing 1.0)",
        examples_sha256=hashlib.sha256(examples.read_bytes()).hexdigest(),
    )
    return head, vectors, y


def train_fault_head(argv: list[str] | None = None) -> None:
    parser = command_parser("train_fault_head")
    parser.add_argument(
        "--check",
        action="store_true",
        help="cross-validate, and fail unless the shipped head is the one these rows give",
    )
    parser.add_argument("--examples", type=Path, default=EXAMPLES, help="the labelled rows")
    parser.add_argument("--out", type=Path, default=SHIPPED, help="where to write the head")
    args = parser.parse_args(argv)
    head, vectors, y = fit(args.examples)
    print(f"{len(y)} rows: {int(y.sum())} faults, {int(len(y) - y.sum())} requests")
    for c in (1.0, 4.0, 16.0):
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        f1 = cross_val_score(model, vectors, y, cv=5, scoring="f1_macro")
        print(f"C={c:g}: five-fold macro-F1 {f1.mean():.3f} (in-sample rows)")
    if args.check:
        shipped = FaultHead.from_json(args.out.read_text(encoding="utf-8"))
        # The same rows and encoder give the same weights up to the solver's tolerance
        # and the file's six decimals.
        same = shipped.examples_sha256 == head.examples_sha256 and np.allclose(
            shipped.weights, head.weights, atol=2e-3
        )
        if not same or abs(shipped.bias - head.bias) > 2e-3:
            sys.exit(f"{args.out} is not the head these rows give: run {Path(__file__).name}")
        print(f"{args.out} is the head these rows give")
        return
    args.out.write_text(head.to_json() + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


# train_reply_model -------------------------------------------------------------------------------

# Relative and absolute: far below what changes a probability, far above BLAS's rounding.
WEIGHT_TOLERANCE = 1e-9


def build() -> bytes:
    examples = shipped_model_path().with_name(EXAMPLES_FILE).read_bytes()
    model = train_reply_model(reply_examples(), hashlib.sha256(examples).hexdigest())
    return model_bytes(model)


def same_model(shipped: bytes, built: bytes) -> bool:
    """The same model up to floating-point rounding (see the module's docstring)."""
    if shipped == built:
        return True
    ours, theirs = read_reply_model(shipped), read_reply_model(built)
    return (
        ours.classes == theirs.classes
        and ours.examples_sha256 == theirs.examples_sha256
        and np.array_equal(ours.columns, theirs.columns)
        and np.allclose(ours.coef, theirs.coef, rtol=WEIGHT_TOLERANCE, atol=WEIGHT_TOLERANCE)
        and np.allclose(
            ours.intercept, theirs.intercept, rtol=WEIGHT_TOLERANCE, atol=WEIGHT_TOLERANCE
        )
    )


def run_train_reply_model(argv: list[str] | None = None) -> int:
    parser = command_parser("train_reply_model")
    parser.add_argument("--out", type=Path, default=shipped_model_path())
    parser.add_argument("--check", action="store_true", help="compare with the file, write none")
    options = parser.parse_args(argv)
    data = build()
    model = read_reply_model(data)
    summary = f"{len(model.columns)} columns, {len(data) / 1024:.0f} KiB"
    if options.check:
        same = options.out.is_file() and same_model(options.out.read_bytes(), data)
        print(
            f"{options.out}: {'up to date' if same else 'NOT what the examples give'} ({summary})"
        )
        return 0 if same else 1
    options.out.write_bytes(data)
    print(f"wrote {options.out} ({summary}, sha256 {hashlib.sha256(data).hexdigest()[:16]})")
    return 0
