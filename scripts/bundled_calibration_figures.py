"""What the learned model's category calibration changes, for a model file (the bundled one
unless ``--model``): the category decisions a default run makes, and the answers guard.

    python scripts/bundled_calibration_figures.py [--model FILE]
        [--data ../shared/data/tickets-dev.jsonl] [--public /work/data/answers]
        [--centre heldout2 ...] [--skip-decisions]

1. Per source of the labelled rows (the sample tickets and the dev set), how many rows' category
   a run applies, suggests or abstains on (``field_decisions`` with the model's own thresholds;
   an uncalibrated model applies every one) and the share right of each. The model is trained on
   the sample tickets, banking77, bitext and nlbse: those are in-sample; tobi is a source it never
   saw (CC BY-NC 4.0: measured, never shipped).
2. Per help centre of ``scripts/answers_figures.py`` (not the held-out ones), the answerable
   tickets whose triage is not sure enough to be answered (``triage_sure``, the guard
   ``triage_unsure``), the pairs of first and second category they sit between, and the first
   few with the category, its probability and the runner-up. ``--centre NAME`` (repeatable) reads
   a sandbox help centre of ``answers_figures.SANDBOX_CENTRES`` instead, held-out ones too, and
   lists every such ticket; ``--skip-decisions`` leaves out part 1.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from pathlib import Path

from answers_figures import DATA, SANDBOX_CENTRES, HelpCentre, _jsonl, help_centres

from ticket_processor.answers.plan import triage_sure
from ticket_processor.learned import LearnedEngine, bundled_model_path, read_model
from ticket_processor.learned.labelled_file import load_labelled
from ticket_processor.learned.samples import sample_rows
from ticket_processor.models import Triage
from ticket_processor.triage.confidence import field_decisions
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.taxonomy import load_taxonomy

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "tickets-dev.jsonl"
THRESHOLD = 0.5  # TICKETBOT_CONFIDENCE_THRESHOLD's default
SHOWN = 5


def decisions(engine: LearnedEngine, data: Path) -> None:
    rows = sample_rows() + [r for r in load_labelled(data) if r.labels.get("category")]
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    right: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        prepared = prepare_ticket(row.subject, row.description, max_tokens=2000)
        analysis, confidence, apply_at = engine.assess(prepared.subject, prepared.body)
        decided = field_decisions(confidence, apply_at).get("category", "apply")
        counts[row.source][decided] += 1
        right[row.source][decided] += analysis.category == row.labels["category"]
    for source, by in counts.items():
        told = ", ".join(
            f"{d} {n} ({right[source][d] / n:.2f} right)" for d, n in sorted(by.items())
        )
        print(f"{source}: {sum(by.values())} rows; category {told}")


def unsure(engine: LearnedEngine, centres: list[HelpCentre], shown_at_most: int = SHOWN) -> None:
    classes = engine.model.fields["category"].classes
    for name, _, rows in centres:
        answerable = [r for r in rows if r.get("answer_article")]
        pairs: Counter[tuple[str, str]] = Counter()
        shown = []
        for row in answerable:
            prepared = prepare_ticket(row.get("subject", ""), row["description"], max_tokens=2000)
            analysis, confidence, apply_at = engine.assess(prepared.subject, prepared.body)
            triage = Triage(
                analysis=analysis, engine="learned", field_confidence=confidence, apply_at=apply_at
            )
            if triage_sure(triage, THRESHOLD):
                continue
            p = engine.probabilities(prepared.subject, prepared.body)["category"]
            first, second = sorted(range(len(classes)), key=lambda i: -p[i])[:2]
            pairs[(classes[first], classes[second])] += 1
            shown.append(
                f"  {classes[first]} {p[first]:.2f} / {classes[second]} {p[second]:.2f}: "
                f"{row['description'][:70]!r}"
            )
        print(f"{name}: {len(answerable)} answerable, {len(shown)} not sure enough to answer")
        print("  between: " + ", ".join(f"{a}/{b} {n}" for (a, b), n in pairs.most_common(6)))
        print("\n".join(shown[:shown_at_most]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=bundled_model_path())
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--public", type=Path, default=None)
    parser.add_argument("--centre", action="append", choices=sorted(SANDBOX_CENTRES), default=[])
    parser.add_argument("--skip-decisions", action="store_true")
    args = parser.parse_args()
    taxonomy = load_taxonomy(None)
    engine = LearnedEngine(read_model(args.model, taxonomy.names), taxonomy)
    if not args.skip_decisions:
        decisions(engine, args.data)
    if args.centre:
        named: list[HelpCentre] = [
            (name, _jsonl(DATA / SANDBOX_CENTRES[name][0]), _jsonl(DATA / SANDBOX_CENTRES[name][1]))
            for name in args.centre
        ]
        unsure(engine, named, shown_at_most=len(max((c[2] for c in named), key=len)))
    else:
        unsure(engine, help_centres(args.public))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
