"""Subcategory and discovery figures, and the bundled model's calibration."""

from __future__ import annotations

import json
import random
import resource
import statistics
import time
import tomllib
from collections import Counter, defaultdict
from importlib import resources
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_mutual_info_score

from scripts import command_parser
from scripts.figures_answer_centres import SANDBOX_CENTRES, HelpCentre, _jsonl, help_centres
from scripts.figures_examples import DATA
from scripts.figures_learned import DEFAULT_DATA, ROOT, _labelled_parser, triage_sure
from ticket_processor.commands.discover_io import TicketText, judge
from ticket_processor.learned import bundled_model_path, read_model
from ticket_processor.learned.embed import texts_encoded
from ticket_processor.learned.engine import LearnedEngine
from ticket_processor.learned.labelled_file import LabelledTicket, load_labelled
from ticket_processor.learned.samples import sample_rows
from ticket_processor.learned.scoring import (
    NO_SUBCATEGORY,
    POOLED,
    report_field,
)
from ticket_processor.learned.train import TrainOptions, train
from ticket_processor.models import Triage
from ticket_processor.run.connect import load_settings
from ticket_processor.run.engines import build_eval_chain
from ticket_processor.topics.cluster import Vectors
from ticket_processor.topics.discover import FoundTopics, TopicInput, discover
from ticket_processor.triage.confidence import field_decisions
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import Taxonomy, load_taxonomy

# subcategory_figures -----------------------------------------------------------------------------

SAMPLE = resources.files("ticket_processor") / "samples" / "taxonomy_subcategories.toml"


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


def subcategory_figures(argv: list[str] | None = None) -> None:
    args = _labelled_parser("subcategory_figures", "--folds", 3).parse_args(argv)
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


# subcategory_taxonomy ----------------------------------------------------------------------------

OUT = ROOT / "ticket_processor" / "samples" / "taxonomy_subcategories.toml"

# category -> subcategory -> extra cues (phrases or keywords; "word*" is a prefix): a data file,
# one line a subcategory, beside this script.
CUES_FILE = Path(__file__).resolve().parent / "data" / "subcategory_cues.toml"
SUBCATEGORIES: dict[str, dict[str, tuple[str, ...]]] = {
    category: {name: tuple(cues) for name, cues in subs.items()}
    for category, subs in tomllib.loads(CUES_FILE.read_text("utf-8")).items()
}


def _description(name: str) -> str:
    return name.replace("_", " ").capitalize() + "."


def _cues(name: str, extra: tuple[str, ...]) -> tuple[list[str], list[str]]:
    phrases = [name.replace("_", " ")] + [c for c in extra if " " in c]
    keywords = [c for c in extra if " " not in c]
    return keywords, phrases


def _quoted(items: list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def render() -> str:
    base = (ROOT / "ticket_processor" / "default_taxonomy.toml").read_text("utf-8")
    parts = [
        base.rstrip(),
        "",
        "# Subcategories (python -m scripts.figures subcategory_taxonomy wrote them): the",
        "# intents of the BANKING77 and Bitext rows under the category each maps to. Each is a",
        "# table [categories.CATEGORY.sub.NAME] with a description and cues, as a category has.",
    ]
    for category, subs in SUBCATEGORIES.items():
        for name, extra in subs.items():
            keywords, phrases = _cues(name, extra)
            parts += ["", f"[categories.{category}.sub.{name}]"]
            parts.append(f'description = "{_description(name)}"')
            if keywords:
                parts.append(f"keywords = {_quoted(keywords)}")
            parts.append(f"phrases = {_quoted(phrases)}")
    return "\n".join(parts) + "\n"


def subcategory_taxonomy(argv: list[str] | None = None) -> None:
    command_parser("subcategory_taxonomy").parse_args(argv)
    OUT.write_text(render(), "utf-8")
    count = sum(len(subs) for subs in SUBCATEGORIES.values())
    print(f"wrote {OUT.relative_to(ROOT)}: {count} subcategories")


# discover_figures --------------------------------------------------------------------------------


def _rows(source: str) -> tuple[list[TicketText], list[str]]:
    tickets, intents = [], []
    for line in (DATA / f"{source}.jsonl").read_text().splitlines():
        row = json.loads(line)
        tickets.append(TicketText(row["id"], row.get("subject") or "", row["description"]))
        intents.append(row["labels"]["subcategory"])
    return tickets, intents


def _discover(tickets: list[TicketText]) -> tuple[FoundTopics, Vectors, dict[str, float]]:
    settings = load_settings({})
    taxonomy = load_taxonomy(None)
    chain = build_eval_chain(settings, taxonomy, "learned")
    times: dict[str, float] = {}
    started = time.perf_counter()
    encoded_before = texts_encoded()
    judged, texts, vectors = judge(
        tickets, chain, workers=1, max_input_tokens=2000, confidence_threshold=0.5
    )
    # One encoding per ticket: the learned engine judges with the vectors the topics get.
    times["judge and encode"] = time.perf_counter() - started
    times["texts encoded"] = float(texts_encoded() - encoded_before)
    started = time.perf_counter()
    found = discover(
        TopicInput([t.id for t in tickets], texts, [t.subject for t in tickets], judged, vectors),
        fallback=taxonomy.fallback_category,
    )
    times["cluster"] = time.perf_counter() - started
    return found, vectors, times


def quality() -> None:
    print(
        f"{'rows':<10} {'intents':>7} {'topics':>7} {'in a topic':>10} {'AMI':>6} "
        f"{'k-means(k)':>11}"
    )
    for source in ("bitext", "banking77"):
        tickets, intents = _rows(source)
        found, vectors, _ = _discover(tickets)
        assigned = [-1 if a is None else a for a in found.assignments]
        ami = adjusted_mutual_info_score(intents, assigned)
        k = len(set(intents))
        units = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        kmeans = KMeans(k, n_init=10, random_state=0).fit_predict(units)
        base = adjusted_mutual_info_score(intents, kmeans)
        covered = sum(a >= 0 for a in assigned) / len(assigned)
        topics = len(found.topics)
        print(f"{source:<10} {k:>7} {topics:>7} {covered:>10.1%} {ami:>6.3f} {base:>11.3f}")


def scale(n: int) -> None:
    rng = random.Random(0)
    pool = [t for source in ("bitext", "banking77") for t in _rows(source)[0]]
    tickets = []
    for i in range(n):
        base = rng.choice(pool)
        words = base.description.split()
        kept = [w for w in words if rng.random() > 0.15] or words
        tickets.append(TicketText(str(i), "", " ".join(kept)))
    started = time.perf_counter()
    found, _, times = _discover(tickets)
    total = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    encoded = int(times.pop("texts encoded"))
    stages = ", ".join(f"{k} {v:.0f} s" for k, v in times.items())
    print(
        f"{n} tickets: {total:.0f} s ({stages}), {encoded} texts encoded, "
        f"{len(found.topics)} topics, peak RSS {peak:.0f} MB"
    )


def discover_figures(argv: list[str] | None = None) -> None:
    parser = command_parser("discover_figures")
    parser.add_argument(
        "--scale", type=int, default=50_000, help="tickets in the cost run (0: skip)"
    )
    args = parser.parse_args(argv)
    quality()
    if args.scale:
        scale(args.scale)


# bundled_calibration_figures ---------------------------------------------------------------------

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


def bundled_calibration_figures(argv: list[str] | None = None) -> int:
    parser = command_parser("bundled_calibration_figures")
    parser.add_argument("--model", type=Path, default=bundled_model_path())
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--public", type=Path, default=None)
    parser.add_argument("--centre", action="append", choices=sorted(SANDBOX_CENTRES), default=[])
    parser.add_argument("--skip-decisions", action="store_true")
    args = parser.parse_args(argv)
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
