"""The learned engine's figures: evaluation, cross-validation, calibration.

The examples' figures are in ``figures_examples.py``, the subcategories' and discovery's in
``figures_subcategories.py``, the rules' in ``figures_rules.py``, the macros' in
``figures_macros.py``."""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt
from rich.console import Console

from scripts import command_parser
from ticket_processor.commands.learn import result_table
from ticket_processor.learned import bundled_model_path, read_model
from ticket_processor.learned.embed import Encoder
from ticket_processor.learned.engine import LearnedEngine
from ticket_processor.learned.labelled_file import LabelledTicket, allowed_values, load_labelled
from ticket_processor.learned.scoring import (
    POOLED,
    report_field,
    score_field,
)
from ticket_processor.learned.train import TrainOptions, train
from ticket_processor.models import Triage
from ticket_processor.triage.confidence import applies, expected_calibration_error, field_decisions
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.taxonomy import load_taxonomy

# eval_learned ------------------------------------------------------------------------------------


def triage_sure(
    triage: Triage,
    confidence_threshold: float,
    settings_apply_at: Mapping[str, float] | None = None,
) -> bool:
    """Whether the triage's category is sure enough for its changes to apply: at the
    threshold the run applies it at (the settings' where they give one, else the engine's).
    Answers once waited on it; these figures still count the tickets it would hold."""
    confidence = triage.field_confidence.get("category")
    apply_at = {**triage.apply_at, **(settings_apply_at or {})}.get("category")
    if confidence is not None and apply_at is not None:
        return applies(confidence, apply_at)
    return triage.analysis.confidence >= confidence_threshold


ROOT = Path(__file__).resolve().parents[1]


def eval_learned(argv: list[str] | None = None) -> int:
    parser = command_parser("eval_learned")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/tickets-dev.jsonl")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-embeddings", action="store_true")
    parser.add_argument("--speed-rows", type=int, default=600)
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"{args.data}: not found (pass --data)", file=sys.stderr)
        return 2
    console = Console(highlight=False)
    taxonomy = load_taxonomy(None)
    rows = load_labelled(args.data)
    options = TrainOptions(folds=args.folds, embedding_weight=0.0 if args.no_embeddings else 1.0)
    started = time.perf_counter()
    result = train(rows, taxonomy, options=options)
    seconds = time.perf_counter() - started
    console.print(
        f"{args.data}: {len(rows)} rows, {args.folds}-fold CV + final fit in "
        f"{seconds:.1f} s (load average {os.getloadavg()[0]:.1f})"
    )
    console.print(result_table(result))

    engine = LearnedEngine(result.model, taxonomy)
    sample = rows[: args.speed_rows]
    prepared = [prepare_ticket(r.subject, r.description) for r in sample]
    engine.analyse(prepared[0].subject, prepared[0].body)  # loads the encoder's weights
    started = time.perf_counter()
    for ticket in prepared:
        engine.analyse(ticket.subject, ticket.body)
    per_minute = len(prepared) / (time.perf_counter() - started) * 60
    console.print(
        f"inference: {per_minute:,.0f} tickets a minute on one thread "
        f"({len(prepared)} prepared tickets, rules for language and summary included)"
    )

    bundled = read_model(bundled_model_path(), taxonomy.names)
    console.print(
        f"bundled default model ({bundled.trained_at}, {bundled.rows} rows from "
        f"{', '.join(bundled.sources)}), held-out macro-F1 on the shipped samples:"
    )
    for name, field in bundled.fields.items():
        console.print(f"  {name}: {field.cv_per_source.get('samples', float('nan')):.3f}")
    return 0


# learned_cv_figures ------------------------------------------------------------------------------

FIELDS = ("category", "urgency", "sentiment")
MAX_TOKENS = TrainOptions().max_input_tokens


class CachedEncoder(Encoder):
    """The real encoder, each text encoded once (in memory, and in ``path`` when given)."""

    def __init__(self, path: Path | None) -> None:
        super().__init__()
        self.path = path
        self.vectors: dict[str, npt.NDArray[np.float32]] = {}
        if path is not None and path.is_file():
            with np.load(path) as stored:
                self.vectors = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return super().encode([])
        keys = [self.key(t) for t in texts]
        wanted = {k: t for k, t in zip(keys, texts, strict=True) if k not in self.vectors}
        if wanted:
            missing = sorted(wanted)
            encoded = super().encode([wanted[k] for k in missing])
            self.vectors.update(zip(missing, encoded, strict=True))
            self.save()
        return np.vstack([self.vectors[k] for k in keys]).astype(np.float32)

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(self.vectors)
        with self.path.open("wb") as out:
            np.savez(out, keys=np.array(keys), vectors=np.vstack([self.vectors[k] for k in keys]))


def near_groups(vectors: npt.NDArray[np.float32], near: float) -> npt.NDArray[np.int32]:
    """Connected components of the rows whose embeddings have a cosine of ``near`` or more."""
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    similar = unit @ unit.T >= near
    _, groups = connected_components(sparse.csr_matrix(similar), directed=False)
    return np.asarray(groups, np.int32)


def splits(
    rows: list[LabelledTicket], groups: npt.NDArray[np.int32] | None, folds: int, seed: int
) -> Iterator[tuple[list[int], list[int]]]:
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    strata = [
        f"{r.source}:{r.labels.get('urgency', '')}:{r.labels.get('sentiment', '')}" for r in rows
    ]
    index = np.zeros(len(rows))
    if groups is None:
        parts = StratifiedKFold(folds, shuffle=True, random_state=seed).split(index, strata)
    else:
        splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
        parts = splitter.split(index, strata, groups)
    for train_part, test_part in parts:
        yield [int(i) for i in train_part], [int(i) for i in test_part]


def one_repeat(
    rows: list[LabelledTicket],
    prepared: list[tuple[str, str]],
    groups: npt.NDArray[np.int32] | None,
    args: argparse.Namespace,
    seed: int,
    encoder: CachedEncoder,
) -> dict[str, dict[str, float]]:
    """Per field, macro-F1 per source and pooled over this repeat's folds."""
    taxonomy = load_taxonomy(None)
    options = TrainOptions(folds=0, seed=seed, embedding_weight=0.0 if args.no_embeddings else 1.0)
    triples: dict[str, list[tuple[str, str | None, str]]] = {name: [] for name in FIELDS}
    for train_part, test_part in splits(rows, groups, args.folds, seed):
        model = train(
            [rows[i] for i in train_part], taxonomy, options=options, encoder=encoder
        ).model
        engine = LearnedEngine(model, taxonomy, encoder=encoder)
        for i in test_part:
            predicted = engine.predict(*prepared[i])
            for name in FIELDS:
                if name in rows[i].labels and name in predicted:
                    triples[name].append(
                        (rows[i].source, rows[i].labels[name], predicted[name].label)
                    )
    allowed = allowed_values(taxonomy)
    return {
        name: {
            s: v.macro_f1
            for s, v in report_field(name, triples[name], allowed[name]).scores.items()
        }
        for name in FIELDS
    }


def learned_cv_figures(argv: list[str] | None = None) -> int:
    parser = command_parser("learned_cv_figures")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/tickets-dev.jsonl")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-embeddings", action="store_true")
    parser.add_argument(
        "--near", type=float, default=0.9, help="cosine that groups near-duplicates"
    )
    parser.add_argument("--cache", type=Path, default=None, help=".npz file of sentence embeddings")
    parser.add_argument("--only", choices=("random", "grouped"), default=None)
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"{args.data}: not found (pass --data)", file=sys.stderr)
        return 2
    rows = load_labelled(args.data)
    prepared = []
    for row in rows:
        ticket = prepare_ticket(row.subject, row.description, max_tokens=MAX_TOKENS)
        prepared.append((ticket.subject, ticket.body))
    encoder = CachedEncoder(args.cache)
    vectors = encoder.encode([f"{subject}\n{body}" for subject, body in prepared])
    groups = near_groups(vectors, args.near)
    count = len(set(groups.tolist()))
    print(
        f"{args.data}: {len(rows)} rows; {count} groups at cosine >= {args.near}"
        f" ({len(rows) - count} rows fewer); {args.repeats} x {args.folds}-fold, embeddings "
        f"{'off' if args.no_embeddings else 'on'}"
    )
    schemes = [("random", None), ("grouped", groups)]
    for scheme, scheme_groups in schemes:
        if args.only and scheme != args.only:
            continue
        started = time.perf_counter()
        runs = [
            one_repeat(rows, prepared, scheme_groups, args, seed, encoder)
            for seed in range(args.repeats)
        ]
        print(f"{scheme} folds ({time.perf_counter() - started:.0f} s):")
        for name in FIELDS:
            sources = sorted({s for run in runs for s in run[name]} - {POOLED})

            def figure(
                source: str, name: str = name, runs: list[dict[str, dict[str, float]]] = runs
            ) -> str:
                values = [run[name][source] for run in runs if source in run[name]]
                spread = statistics.pstdev(values) if len(values) > 1 else 0.0
                return f"{statistics.mean(values):.3f} ± {spread:.3f}"

            per_source = ", ".join(f"{s} {figure(s)}" for s in sources)
            print(f"  {name:9} macro-F1 {figure(POOLED)}  ({per_source})")
    return 0


# calibration_figures -----------------------------------------------------------------------------

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "tickets-dev.jsonl"


def split(
    rows: list[LabelledTicket], seed: int
) -> tuple[list[LabelledTicket], list[LabelledTicket]]:
    rng = random.Random(seed)
    by_source: dict[str, list[LabelledTicket]] = {}
    for row in rows:
        by_source.setdefault(row.source, []).append(row)
    train_rows, test_rows = [], []
    for group in by_source.values():
        rng.shuffle(group)
        cut = len(group) // 5
        test_rows += group[:cut]
        train_rows += group[cut:]
    return train_rows, test_rows


def calibration_repeat(
    rows: list[LabelledTicket], seed: int, embeddings: bool
) -> dict[str, dict[str, float]]:
    taxonomy = load_taxonomy()
    fitted, held = split(rows, seed)
    options = TrainOptions(seed=seed, embedding_weight=1.0 if embeddings else 0.0)
    model = train(fitted, taxonomy, options=options).model
    engine = LearnedEngine(model, taxonomy)
    out: dict[str, dict[str, float]] = {}
    results = []
    for row in held:
        prepared = prepare_ticket(row.subject, row.description, max_tokens=2000)
        analysis, confidence, apply_at = engine.assess(prepared.subject, prepared.body)
        raw = engine.predict(prepared.subject, prepared.body)
        results.append((row, analysis, confidence, field_decisions(confidence, apply_at), raw))
    for name in FIELDS:
        gold, predicted, raw_p, cal_p, correct, applied = [], [], [], [], [], []
        for row, analysis, confidence, decided, raw in results:
            if name not in row.labels:
                continue
            value = {
                "category": analysis.category,
                "urgency": analysis.urgency.value,
                "sentiment": analysis.sentiment.value,
            }[name]
            gold.append(row.labels[name])
            predicted.append(value)
            ok = value == row.labels[name] or (
                name == "urgency" and value == "critical" and row.labels[name] == "high"
            )
            correct.append(ok)
            raw_p.append(raw[name].probability)
            cal_p.append(confidence.get(name, raw[name].probability))
            applied.append(decided.get(name) == "apply")
        folded = (
            ["high" if p == "critical" else p for p in predicted]
            if name == "urgency"
            else predicted
        )
        chosen = [c for c, a in zip(correct, applied, strict=True) if a]
        out[name] = {
            "macro_f1": score_field(gold, folded).macro_f1,
            "ece_raw": expected_calibration_error(raw_p, correct),
            "ece_calibrated": expected_calibration_error(cal_p, correct),
            "applied_share": len(chosen) / len(gold),
            "applied_accuracy": sum(chosen) / len(chosen) if chosen else float("nan"),
            "apply_at": model.fields[name].apply_at or 1.0,
        }
    return out


def _labelled_parser(name: str, rounds: str, default: int) -> argparse.ArgumentParser:
    """A parser for a figure on the labelled rows: ``--data``, how many ``rounds`` (a flag)
    and ``--no-embeddings``."""
    parser = command_parser(name)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(rounds, type=int, default=default)
    parser.add_argument("--no-embeddings", action="store_true")
    return parser


def calibration_figures(argv: list[str] | None = None) -> None:
    args = _labelled_parser("calibration_figures", "--repeats", 2).parse_args(argv)
    rows = load_labelled(args.data)
    runs = [calibration_repeat(rows, seed, not args.no_embeddings) for seed in range(args.repeats)]

    def mean(name: str, key: str) -> str:
        values = [r[name][key] for r in runs if r[name][key] == r[name][key]]  # nan: none
        if not values:
            return "—"
        spread = statistics.pstdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.3f}±{spread:.3f}"

    for name in FIELDS:
        print(
            f"{name:9} macro-F1 {mean(name, 'macro_f1')}  ECE raw {mean(name, 'ece_raw')}"
            f" -> calibrated {mean(name, 'ece_calibrated')}  applied "
            f"{mean(name, 'applied_share')} at accuracy {mean(name, 'applied_accuracy')}"
            f" (apply at {mean(name, 'apply_at')})"
        )
