"""Subcategory macro-F1 of the rules and the learned engine on rows neither was fitted to.

The learned engine is trained on the dev set minus one fold (its subcategory head learns from
the bitext and banking77 rows of the other folds) and scored on that fold's rows that carry a
subcategory, through ``LearnedEngine`` as a run uses it: the subcategory chosen within the
category the model chose. The rules read only the sample taxonomy's cues, which were written
from the subcategories' names (``scripts/subcategory_taxonomy.py``), never from these rows.

    python scripts/subcategory_figures.py [--data ../shared/data/tickets-dev.jsonl] [--folds 3]
"""

from __future__ import annotations

import argparse
import statistics
from importlib import resources
from pathlib import Path

from ticket_processor.learned.engine import LearnedEngine
from ticket_processor.learned.labelled_file import LabelledTicket, load_labelled
from ticket_processor.learned.scoring import NO_SUBCATEGORY, POOLED, report_field
from ticket_processor.learned.train import TrainOptions, train
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import Taxonomy, load_taxonomy

SAMPLE = resources.files("ticket_processor") / "samples" / "taxonomy_subcategories.toml"
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "tickets-dev.jsonl"


def scored(
    rows: list[LabelledTicket], analyse: object, taxonomy: Taxonomy
) -> tuple[float, float, int]:
    """(subcategory macro-F1, category accuracy, rows) over ``rows`` labelled with one."""
    triples = []
    category_hits = 0
    for row in rows:
        prepared = prepare_ticket(row.subject, row.description, max_tokens=2000)
        analysis = analyse(prepared.subject, prepared.body)  # type: ignore[operator]
        triples.append(
            (row.source, row.labels["subcategory"], analysis.subcategory or NO_SUBCATEGORY)
        )
        category_hits += analysis.category == row.labels.get("category")
    report = report_field("subcategory", triples, taxonomy.subcategory_names)
    return report.scores[POOLED].macro_f1, category_hits / len(rows), len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--no-embeddings", action="store_true")
    args = parser.parse_args()
    taxonomy = load_taxonomy(Path(str(SAMPLE)))
    rows = load_labelled(args.data)
    rules = RulesEngine(taxonomy)
    learned_f1, rules_f1, category = [], [], []
    for fold in range(args.folds):
        test = [r for i, r in enumerate(rows) if i % args.folds == fold]
        held = [r for r in test if "subcategory" in r.labels]
        fitted = [r for i, r in enumerate(rows) if i % args.folds != fold]
        options = TrainOptions(folds=0, embedding_weight=0.0 if args.no_embeddings else 1.0)
        model = train(fitted, taxonomy, options=options).model
        engine = LearnedEngine(model, taxonomy)
        f1, accuracy, count = scored(held, engine.analyse, taxonomy)
        r_f1, _, _ = scored(held, rules.analyse, taxonomy)
        learned_f1.append(f1)
        rules_f1.append(r_f1)
        category.append(accuracy)
        print(
            f"fold {fold + 1}/{args.folds}: {count} rows; subcategory macro-F1 learned "
            f"{f1:.3f}, rules {r_f1:.3f}; learned category accuracy {accuracy:.3f}"
        )

    def mean(values: list[float]) -> str:
        spread = statistics.pstdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.3f} ± {spread:.3f}"

    print(f"subcategory macro-F1, learned: {mean(learned_f1)}")
    print(f"subcategory macro-F1, rules:   {mean(rules_f1)}")
    print(f"category accuracy on those rows, learned: {mean(category)}")


if __name__ == "__main__":
    main()
