"""The learned engine's figures: cross-validated macro-F1 per field, per source and pooled,
the time ``learn`` takes, and inference speed on one core.

    python scripts/eval_learned.py [--data ../shared/data/tickets-dev.jsonl] [--folds 5]
        [--no-embeddings] [--speed-rows 600]

Every row is predicted by a model (vocabulary included) trained on the other folds, scored with
the same code as ``ticketbot eval``; no per-source tuning. Then the model is fitted on every row
and timed on prepared tickets one at a time on one thread (as a run feeds it). Also prints the
bundled default model's held-out figures on the shipped sample tickets (from its header; rebuild
with ``scripts/train_default_model.py``). Say how loaded the machine was when quoting these.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from rich.console import Console

from ticket_processor.commands.learn import result_table
from ticket_processor.learned import LearnedEngine, bundled_model_path, read_model
from ticket_processor.learned.labelled_file import load_labelled
from ticket_processor.learned.train import TrainOptions, train
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/tickets-dev.jsonl")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-embeddings", action="store_true")
    parser.add_argument("--speed-rows", type=int, default=600)
    args = parser.parse_args()
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


if __name__ == "__main__":
    raise SystemExit(main())
