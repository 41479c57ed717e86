"""Calibrated confidence of the learned engine on tickets it never saw (issue: trust).

Per repeat, the dev set is split 80/20 (stratified by source, seeded); a model is trained on
the 80 % (its calibration fitted on its own cross-validated predictions, as ``ticketbot learn``
does) and run on the 20 % through ``LearnedEngine.assess``, as a run uses it. Printed per field:
macro-F1, the expected calibration error of the raw probability and of the calibrated one, and
for the decision a run makes at the calibration's own thresholds, the share of rows applied and
their accuracy (a row whose field is not applied counts as not applied; accuracy is over the
applied rows only).

    python scripts/calibration_figures.py [--data ../shared/data/tickets-dev.jsonl] [--repeats 2]
"""

from __future__ import annotations

import argparse
import random
import statistics
from pathlib import Path

from ticket_processor.learned.engine import LearnedEngine
from ticket_processor.learned.labelled_file import LabelledTicket, load_labelled
from ticket_processor.learned.scoring import score_field
from ticket_processor.learned.train import TrainOptions, train
from ticket_processor.triage.confidence import expected_calibration_error, field_decisions
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.taxonomy import load_taxonomy

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "tickets-dev.jsonl"
FIELDS = ("category", "urgency", "sentiment")


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


def one_repeat(
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-embeddings", action="store_true")
    args = parser.parse_args()
    rows = load_labelled(args.data)
    runs = [one_repeat(rows, seed, not args.no_embeddings) for seed in range(args.repeats)]

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


if __name__ == "__main__":
    main()
