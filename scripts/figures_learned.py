"""The learned engine's figures: evaluation, cross-validation, examples, calibration,
subcategories, discovery, rules tuning."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import html
import json
import math
import multiprocessing
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from importlib import resources
from itertools import product as itertools_product
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import re2
from rich.console import Console
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_mutual_info_score
from typer.testing import CliRunner

from scripts.figures_answers import SANDBOX_CENTRES, HelpCentre, _jsonl, help_centres
from ticket_processor.cli import app
from ticket_processor.commands.discover_io import TicketText, judge
from ticket_processor.commands.learn import result_table
from ticket_processor.evaluation.labelled import EvalResult, run_eval
from ticket_processor.helpdesks.freshdesk.sandbox.config import FreshdeskConfig
from ticket_processor.helpdesks.freshdesk.sandbox.serving import serve_in_thread as serve_freshdesk
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread as serve_zendesk
from ticket_processor.learned import bundled_model_path, read_model
from ticket_processor.learned.embed import Encoder, texts_encoded
from ticket_processor.learned.engine import LearnedEngine
from ticket_processor.learned.examples.cache import examples_model
from ticket_processor.learned.examples.fit import drop_marks
from ticket_processor.learned.labelled_file import LabelledTicket, allowed_values, load_labelled
from ticket_processor.learned.samples import sample_rows
from ticket_processor.learned.scoring import (
    NO_SUBCATEGORY,
    POOLED,
    evaluate,
    report_field,
    score_field,
)
from ticket_processor.learned.train import TrainOptions, train
from ticket_processor.models import Triage
from ticket_processor.run.connect import connect, load_settings
from ticket_processor.run.engines import build_eval_chain
from ticket_processor.tags import NOTE_HEADER
from ticket_processor.topics.cluster import Vectors
from ticket_processor.topics.discover import FoundTopics, TopicInput, discover
from ticket_processor.triage.confidence import applies, expected_calibration_error, field_decisions
from ticket_processor.triage.cues import is_word, tokenise
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import Taxonomy, load_taxonomy

# eval_learned ------------------------------------------------------------------------------------

EVAL_LEARNED_DOC = """\
The learned engine's figures: cross-validated macro-F1 per field, per source and pooled,
the time ``learn`` takes, and inference speed on one core.

    python -m scripts.figures eval_learned [--data ../shared/data/tickets-dev.jsonl] [--folds 5]
        [--no-embeddings] [--speed-rows 600]

Every row is predicted by a model (vocabulary included) trained on the other folds, scored with
the same code as ``ticketbot eval``; no per-source tuning. Then the model is fitted on every row
and timed on prepared tickets one at a time on one thread (as a run feeds it). Also prints the
bundled default model's held-out figures on the shipped sample tickets (from its header; rebuild
with ``python -m scripts.figures train_default_model``). Say how loaded the machine was when quoting
these.
"""


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
    parser = argparse.ArgumentParser(description=EVAL_LEARNED_DOC.splitlines()[0])
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

LEARNED_CV_FIGURES_DOC = """\
Repeated k-fold figures of the learned engine, per field, trained exactly as ``ticketbot learn``
trains it, on random folds and on folds that keep near-duplicate tickets together.

    python -m scripts.figures learned_cv_figures [--data ../shared/data/tickets-dev.jsonl]
    [--repeats 3]
        [--folds 5] [--no-embeddings] [--near 0.9] [--cache /tmp/urgency-cache/embeddings.npz]

Per repeat (seeded), the dev set is split into k folds stratified by source and labels; each fold
is predicted by a model ``train`` fitted on the other folds (one featuriser over every training
row, as the final model of ``learn``) through ``LearnedEngine.predict``, as a run uses it. Printed
per field: macro-F1 pooled over the repeat's folds, mean ± standard deviation over the repeats,
and per source.

The "grouped" folds keep tickets whose sentence embeddings have a cosine of ``--near`` or more
(and everything chained to them) in one fold. The tobi rows come with paraphrased siblings (80
pairs at 0.9, always with the same labels): on random folds a model scores on the sibling of a row
it was trained on, so those figures reward memorising; the grouped figures measure what carries
over to tickets not seen in any form. A gain should show on both.

Sentence embeddings are computed once and kept in ``--cache`` (an ``.npz`` keyed by text hash)
so repeats cost only the n-grams and the fits.
"""


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
    parser = argparse.ArgumentParser(description=LEARNED_CV_FIGURES_DOC.splitlines()[0])
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


# examples_figures --------------------------------------------------------------------------------

EXAMPLES_FIGURES_DOC = """\
How well the examples engine triages a taxonomy it learns from descriptions and examples only.

BANKING77 (PolyAI-LDN/task-specific-datasets, CC BY 4.0; not in the repository: bring it with
the search tool's fetch and pass its ``banking_data`` folder): a taxonomy of its 77 intents, each
with a one-line description (the intent's name in words) and 5 example texts drawn (seed 0) from
the public train split, plus a fallback ``other`` with a description only; scored by ``ticketbot
eval``'s own code on the whole test split (3,080 texts), the top category of each ticket counted
whether applied or only suggested. Beside it, the keyword rules with cues from the names (each
name's words as keywords, the whole name as a phrase). BANKING77 is held out: the method (logistic
regression over nearest centroid, C=10, the description as one more example) was chosen on the
Bitext rows of tests/data (27 intents, CDLA-Sharing 1.0), whose figure is therefore in-sample for
that choice: 5 examples per intent from those rows, scored on the rest.

With ``--translated FILE`` (JSON lines: ``id``, ``lang``, ``text``, ``intent``; rows of the
BANKING77 test split with their German and Spanish translations), the same English-only taxonomy
scores each language, and the ratio to English on the same rows is printed, on each half of the
rows (the first row of each intent is the tuning half, on which cross-lingual changes are
chosen; the second is held out, for the figure) and on all; ``--translated-bitext FILE``
likewise for Bitext rows (none of them among its examples), all rows. ``--first-run`` prints
what a first run with the BANKING77 taxonomy does with each test ticket's category: how many
applied and how many only suggested (calibrated confidence against the apply threshold that
cross-validation on the examples chose), and the precision of each.

    python -m scripts.figures examples_figures /work/data/cats/banking_data \
        [--translated BANKING77_TRANSLATED.jsonl]
        [--translated-bitext tests/data/bitext_translated.jsonl] [--compare] [--first-run]
"""


DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
EXAMPLES = 5
SEED = 0
NAME_LIMIT = 40  # a category's name: at most 40 characters (``models.CATEGORY_NAME``)


def _name(intent: str) -> str:
    """The intent as a category name: lower case, letters, digits and underscores, 40 at most
    (two intents are spelt otherwise: ``Refund_not_showing_up``, ``reverted_card_payment?``)."""
    return re.sub(r"[^a-z0-9_]", "", intent.lower())[:NAME_LIMIT]


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


def taxonomy_text(examples: dict[str, list[str]], *, rules: bool) -> str:
    """A taxonomy of the intents: descriptions from the names; examples, or cues for the rules."""
    lines = ['fallback_category = "other"', ""]
    for intent, texts in sorted(examples.items()):
        words = _name(intent).replace("_", " ")
        lines.append(f"[categories.{_name(intent)}]")
        lines.append(f"description = {json.dumps('A customer asks about: ' + words + '.')}")
        if rules:
            lines.append(f"keywords = {_toml_list(sorted(set(_name(intent).split('_'))))}")
            lines.append(f"phrases = {_toml_list([words])}")
        else:
            lines.append(f"examples = {_toml_list(texts)}")
        lines.append("")
    lines += ["[categories.other]", 'description = "Anything else."', ""]
    return "\n".join(lines)


def pick(rows: list[tuple[str, str]], k: int) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """``k`` texts per intent drawn with the seed; the rest."""
    by: dict[str, list[str]] = defaultdict(list)
    for text, intent in rows:
        by[intent].append(text)
    rng = random.Random(SEED)
    chosen, rest = {}, []
    for intent in sorted(by):
        texts = by[intent][:]
        rng.shuffle(texts)
        chosen[intent] = texts[:k]
        rest += [(t, intent) for t in texts[k:]]
    return chosen, rest


def write_labelled(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """``(source, text, intent)`` rows as a labelled file ``eval`` reads."""
    with path.open("w", encoding="utf-8") as out:
        for n, (source, text, intent) in enumerate(rows):
            row = {
                "id": f"{source}-{n}",
                "source": source,
                "subject": "",
                "description": text,
                "labels": {"category": _name(intent)},
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def examples_evaluate(work: Path, taxonomy_toml: str, labelled: Path, engine: str) -> EvalResult:
    """``eval``'s own code on the labelled file, with the taxonomy and engine given."""
    tax_path = work / f"taxonomy-{engine}.toml"
    tax_path.write_text(taxonomy_toml, "utf-8")
    settings = load_settings({}, env_file=None, overrides={"state_dir": work / "state"})
    taxonomy = load_taxonomy(tax_path)
    chain = build_eval_chain(settings, taxonomy, engine)  # type: ignore[arg-type]
    return run_eval(labelled, taxonomy, chain=chain, workers=2)


def score(work: Path, taxonomy_toml: str, labelled: Path, engine: str) -> dict[str, float]:
    """Macro-F1 of the category per source (and pooled), through ``eval``'s own code."""
    report = examples_evaluate(work, taxonomy_toml, labelled, engine).fields["category"]
    return {scope: round(s.macro_f1, 4) for scope, s in report.scores.items()}


def first_run(work: Path, taxonomy_toml: str, labelled: Path) -> None:
    """What a first run with the taxonomy would do with each ticket's category, as ``eval``
    decides it (the calibrated confidence against the apply threshold that cross-validation on
    the examples chose): how many applied and how many only suggested, and how often each is
    right."""
    result = examples_evaluate(work, taxonomy_toml, labelled, "learned")
    got = result.reliability["category"]
    applied = round(got.applied_share * got.rows)
    suggested = round(got.suggested_share * got.rows)

    def right(share: float | None) -> str:
        return "-" if share is None else f"{share:.3f}"

    print(
        f"BANKING77 first run, {got.rows} tickets: {applied} categories applied "
        f"(precision {right(got.applied_accuracy)}), {suggested} only suggested "
        f"(precision {right(got.suggested_accuracy)}), {got.rows - applied - suggested} "
        f"neither; calibration error {got.ece:.3f}"
    )


def build_cost(work: Path, taxonomy_toml: str) -> None:
    """Run first, in a fresh process: seconds (wall and CPU) to load the encoder, then to fit
    (encode the descriptions and examples, cross-validate, fit), the process's peak resident
    memory before and after, and the fitted file's size."""
    tax_path = work / "taxonomy-cost.toml"
    tax_path.write_text(taxonomy_toml, "utf-8")
    taxonomy = load_taxonomy(tax_path)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    wall, cpu = time.perf_counter(), time.process_time()
    encoder = Encoder()
    encoder.encode(["warm up"])
    loaded = (time.perf_counter() - wall, time.process_time() - cpu)
    wall, cpu = time.perf_counter(), time.process_time()
    examples_model(taxonomy, work / "cost-state", encoder=encoder)
    fitted = (time.perf_counter() - wall, time.process_time() - cpu)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    [file] = (work / "cost-state").glob("examples-model-*.zip")
    rows = sum(1 + len(c.examples) for c in taxonomy.categories)
    print(
        f"build: encoder load {loaded[0]:.1f} s wall ({loaded[1]:.1f} s CPU); fit on {rows} "
        f"descriptions and examples (encode, 5-fold CV, fit) {fitted[0]:.1f} s wall "
        f"({fitted[1]:.1f} s CPU); peak RSS {peak:.0f} MB (before the encoder: {base:.0f} MB); "
        f"model file {file.stat().st_size / 1e3:.0f} kB"
    )


def compare_methods(chosen: dict[str, list[str]], rest: list[tuple[str, str]]) -> None:
    """The choice of method, on Bitext only: the nearest centroid (cosine) and logistic
    regression at three C, with and without the description (the name in words) as an example."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    encoder = Encoder()
    tests = encoder.encode([f"\n{t}" for t, _ in rest])
    gold = [i for _, i in rest]
    for with_description in (True, False):
        texts = [t for i in sorted(chosen) for t in chosen[i]]
        labels = [i for i in sorted(chosen) for _ in chosen[i]]
        if with_description:
            texts += [f"A customer asks about: {i.replace('_', ' ')}." for i in sorted(chosen)]
            labels += sorted(chosen)
        x = encoder.encode([f"\n{t}" for t in texts])
        classes = sorted(set(labels))
        means = np.stack([x[[k for k, v in enumerate(labels) if v == c]].mean(0) for c in classes])
        means /= np.linalg.norm(means, axis=1, keepdims=True)
        found = {"centroid": [classes[k] for k in (tests @ means.T).argmax(1)]}
        for c in (1.0, 10.0, 100.0):
            model = LogisticRegression(C=c, class_weight="balanced", max_iter=1000, tol=1e-3)
            found[f"logistic C={c:g}"] = list(model.fit(x, labels).predict(tests))
        scores = ", ".join(
            f"{name} {f1_score(gold, predicted, average='macro'):.3f}"
            for name, predicted in found.items()
        )
        print(
            f"Bitext, method choice ({'with' if with_description else 'without'} the "
            f"description): {scores}"
        )


def read_csv(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8") as f:
        return [(r["text"], r["category"]) for r in csv.DictReader(f)]


def examples_figures(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=EXAMPLES_FIGURES_DOC.split("\n\n")[0])
    parser.add_argument("banking", type=Path, help="BANKING77's banking_data folder")
    parser.add_argument("--translated", type=Path, help="translated test rows (JSON lines)")
    parser.add_argument(
        "--translated-bitext", type=Path, help="translated Bitext rows (JSON lines)"
    )
    parser.add_argument(
        "--translated-fresh",
        type=Path,
        help="more translated BANKING77 test rows, never tuned on (JSON lines), scored whole",
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also print the method comparison on Bitext (and, with --translated, the marks' "
        "on the tuning half)",
    )
    parser.add_argument(
        "--first-run",
        action="store_true",
        help="also print what a first run applies and suggests on BANKING77's test split",
    )
    args = parser.parse_args(argv)
    train = read_csv(args.banking / "train.csv")
    test = read_csv(args.banking / "test.csv")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        banking, _ = pick(train, EXAMPLES)
        examples_toml = taxonomy_text(banking, rules=False)
        build_cost(work, examples_toml)  # first: nothing loaded or encoded yet
        bitext = [
            (r["description"], r["labels"]["subcategory"])
            for r in map(json.loads, (DATA / "bitext.jsonl").read_text("utf-8").splitlines())
        ]
        chosen, rest = pick(bitext, EXAMPLES)
        if args.compare:
            compare_methods(chosen, rest)
        bitext_toml = taxonomy_text(chosen, rules=False)
        file = write_labelled(work / "bitext.jsonl", [("bitext", t, i) for t, i in rest])
        both_engines(
            work,
            f"Bitext (tuning set, in-sample for the choice), {len(rest)} rows",
            chosen,
            file,
            (POOLED, "bitext"),
        )

        file = write_labelled(work / "banking.jsonl", [("banking77", t, i) for t, i in test])
        both_engines(
            work,
            f"BANKING77 test split (held out), {len(test)} rows",
            banking,
            file,
            ("banking77",),
        )
        if args.first_run:
            first_run(work, examples_toml, file)
        if args.translated:
            if args.compare:
                compare_marks(banking, args.translated)
            translated(work, "BANKING77", examples_toml, args.translated, split=True)
        if args.translated_fresh:
            translated(work, "BANKING77 fresh", examples_toml, args.translated_fresh, split=False)
        if args.translated_bitext:
            translated(work, "Bitext", bitext_toml, args.translated_bitext, split=False)


def both_engines(
    work: Path, label: str, examples: dict[str, list[str]], file: Path, keys: tuple[str, ...]
) -> None:
    """Print the macro-F1 on ``file`` of the learned engine given ``examples`` and of the rules
    made from them: the first of ``keys`` the score has (pooled, else the one source)."""
    for engine, rules in (("learned", False), ("rules", True)):
        got = score(work, taxonomy_text(examples, rules=rules), file, engine)
        key = next(k for k in keys if k in got)
        print(f"{label}, {engine}: macro-F1 {got[key]:.3f}")


def halves(rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    """The translated rows split by their test row's number (``banking77-test-N-lang``, two
    rows of each intent, numbered in turn): even, the first of each intent, for tuning; odd,
    held out for the figure. Each half has every intent once, in every language."""
    by: dict[str, list[dict[str, str]]] = {"tuning half": [], "held-out half": []}
    for row in rows:
        number = int(row["id"].rsplit("-", 2)[1])
        by["tuning half" if number % 2 == 0 else "held-out half"].append(row)
    return by


def translated(work: Path, name: str, taxonomy_toml: str, path: Path, *, split: bool) -> None:
    """Each language's macro-F1 on the translated rows, and its ratio to English's; with
    ``split``, on each half (``halves``) and on all."""
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    parts = {**halves(rows), "all": rows} if split else {"all": rows}
    for part, chosen in parts.items():
        file = write_labelled(
            work / f"translated-{name}-{part.split()[0]}.jsonl",
            [(r["lang"], r["text"], r["intent"]) for r in chosen],
        )
        got = score(work, taxonomy_toml, file, "learned")
        english = got["en"]
        for lang in sorted(set(got) - {POOLED}):
            print(
                f"{name} translated rows ({part}, {len(chosen) // 3} per language), {lang}: "
                f"macro-F1 {got[lang]:.3f} ({got[lang] / english:.2f} of English)"
            )


def compare_marks(chosen: dict[str, list[str]], path: Path) -> None:
    """The examples engine's choice to drop question and exclamation marks (``drop_marks``)
    from the examples and the tickets, on each half of the translated BANKING77 rows: the
    examples model fitted and read with the marks kept and dropped, macro-F1 per language and
    its ratio to English. Chosen on the tuning half, judged on the held-out half."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    encoder = Encoder()
    parts = halves([json.loads(line) for line in path.read_text("utf-8").splitlines()])
    texts = [t for i in sorted(chosen) for t in chosen[i]]
    texts += [f"A customer asks about: {_name(i).replace('_', ' ')}." for i in sorted(chosen)]
    labels = [_name(i) for i in sorted(chosen) for _ in chosen[i]] + [
        _name(i) for i in sorted(chosen)
    ]
    for form, kept in (("kept", True), ("dropped", False)):

        def encoded(values: list[str], kept: bool = kept) -> object:
            return encoder.encode([f"\n{v}" if kept else drop_marks(f"\n{v}") for v in values])

        model = LogisticRegression(C=10.0, class_weight="balanced", max_iter=1000, tol=1e-3)
        model.fit(encoded(texts), labels)
        for part, rows in parts.items():
            got = {}
            for lang in ("en", "de", "es"):
                mine = [r for r in rows if r["lang"] == lang]
                predicted = model.predict(encoded([r["text"] for r in mine]))
                gold = [_name(r["intent"]) for r in mine]
                got[lang] = f1_score(gold, predicted, average="macro")
            print(
                f"BANKING77 translated rows ({part}), marks {form}: "
                + ", ".join(
                    f"{lang} {v:.3f} ({v / got['en']:.2f} of English)" for lang, v in got.items()
                )
            )


# calibration_figures -----------------------------------------------------------------------------

CALIBRATION_FIGURES_DOC = """\
Calibrated confidence of the learned engine on tickets it never saw (issue: trust).

Per repeat, the dev set is split 80/20 (stratified by source, seeded); a model is trained on
the 80 % (its calibration fitted on its own cross-validated predictions, as ``ticketbot learn``
does) and run on the 20 % through ``LearnedEngine.assess``, as a run uses it. Printed per field:
macro-F1, the expected calibration error of the raw probability and of the calibrated one, and
for the decision a run makes at the calibration's own thresholds, the share of rows applied and
their accuracy (a row whose field is not applied counts as not applied; accuracy is over the
applied rows only).

    python -m scripts.figures calibration_figures [--data ../shared/data/tickets-dev.jsonl]
    [--repeats 2]
"""


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


def _labelled_parser(doc: str, rounds: str, default: int) -> argparse.ArgumentParser:
    """A parser for a figure on the labelled rows: ``--data``, how many ``rounds`` (a flag)
    and ``--no-embeddings``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(rounds, type=int, default=default)
    parser.add_argument("--no-embeddings", action="store_true")
    return parser


def calibration_figures(argv: list[str] | None = None) -> None:
    args = _labelled_parser(CALIBRATION_FIGURES_DOC, "--repeats", 2).parse_args(argv)
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


# bundled_calibration_figures ---------------------------------------------------------------------

BUNDLED_CALIBRATION_FIGURES_DOC = """\
What the learned model's category calibration changes, for a model file (the bundled one
unless ``--model``): the category decisions a default run makes, and the answers guard.

    python -m scripts.figures bundled_calibration_figures [--model FILE]
        [--data ../shared/data/tickets-dev.jsonl] [--public /work/data/answers]
        [--centre heldout2 ...] [--skip-decisions]

1. Per source of the labelled rows (the sample tickets and the dev set), how many rows' category
   a run applies, suggests or abstains on (``field_decisions`` with the model's own thresholds;
   an uncalibrated model applies every one) and the share right of each. The model is trained on
   the sample tickets, banking77, bitext and nlbse: those are in-sample; tobi is a source it never
   saw (CC BY-NC 4.0: measured, never shipped).
2. Per help centre of ``python -m scripts.figures answers_figures`` (not the held-out ones), the
   answerable tickets whose triage is not sure enough to be answered (``triage_sure``, the guard
   ``triage_unsure``), the pairs of first and second category they sit between, and the first
   few with the category, its probability and the runner-up. ``--centre NAME`` (repeatable) reads
   a sandbox help centre of ``answers_figures.SANDBOX_CENTRES`` instead, held-out ones too, and
   lists every such ticket; ``--skip-decisions`` leaves out part 1.
"""


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
    parser = argparse.ArgumentParser(description=BUNDLED_CALIBRATION_FIGURES_DOC.splitlines()[0])
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


# subcategory_figures -----------------------------------------------------------------------------

SUBCATEGORY_FIGURES_DOC = """\
Subcategory macro-F1 of the rules and the learned engine on rows neither was fitted to.

The learned engine is trained on the dev set minus one fold (its subcategory head learns from
the bitext and banking77 rows of the other folds) and scored on that fold's rows that carry a
subcategory, through ``LearnedEngine`` as a run uses it: the subcategory chosen within the
category the model chose. The rules read only the sample taxonomy's cues, which were written
from the subcategories' names (``python -m scripts.figures subcategory_taxonomy``), never from
these rows.

    python -m scripts.figures subcategory_figures [--data ../shared/data/tickets-dev.jsonl] \
        [--folds 3]
"""


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
    args = _labelled_parser(SUBCATEGORY_FIGURES_DOC, "--folds", 3).parse_args(argv)
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

SUBCATEGORY_TAXONOMY_DOC = """\
Write ``ticket_processor/samples/taxonomy_subcategories.toml``: the default taxonomy plus
subcategories, the intents of the BANKING77 and Bitext rows under the category each maps to.

The cues are made from each subcategory's *name* and a short hand-written list of synonyms, never
from the labelled rows, so ``ticketbot eval --engine rules`` on those rows measures rules a support
lead could have written, not rules fitted to the test. Run it again after editing
``scripts/subcategory_cues.toml``, where they are::

    python -m scripts.figures subcategory_taxonomy
"""


OUT = ROOT / "ticket_processor" / "samples" / "taxonomy_subcategories.toml"

# category -> subcategory -> extra cues (phrases or keywords; "word*" is a prefix): a data file,
# one line a subcategory, beside this script.
CUES_FILE = Path(__file__).resolve().parent / "subcategory_cues.toml"
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
    argparse.ArgumentParser(description=SUBCATEGORY_TAXONOMY_DOC.split("\n\n")[0]).parse_args(argv)
    OUT.write_text(render(), "utf-8")
    count = sum(len(subs) for subs in SUBCATEGORIES.values())
    print(f"wrote {OUT.relative_to(ROOT)}: {count} subcategories")


# discover_figures --------------------------------------------------------------------------------

DISCOVER_FIGURES_DOC = """\
How well ``ticketbot discover`` finds known intents it is not told about, and what it costs.

For the bitext (27 intents) and banking77 (73 intents) rows in tests/data, with their labels
removed: the topics ``discover`` proposes are compared with the hidden intents by adjusted mutual
information (AMI: a split into many small topics is not rewarded), with the share of tickets in a
topic and the number of topics; beside them, the plain baseline: k-means on the same vectors,
told the true number of intents (10 restarts, seed 0). A ticket without a topic counts as one
more group in the AMI (it is not dropped). Then the cost on a synthetic 50,000-ticket input (the
same rows with words dropped at random, so no two are identical): seconds per stage and the peak
resident memory.

    python -m scripts.figures discover_figures [--scale 50000]
"""


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
    parser = argparse.ArgumentParser(description=DISCOVER_FIGURES_DOC.splitlines()[0])
    parser.add_argument(
        "--scale", type=int, default=50_000, help="tickets in the cost run (0: skip)"
    )
    args = parser.parse_args(argv)
    quality()
    if args.scale:
        scale(args.scale)


# tune_rules --------------------------------------------------------------------------------------

TUNE_RULES_DOC = """\
Tune the keyword rules with held-out discipline: score a random half, check the other.

    python -m scripts.figures tune_rules ../shared/data/tickets-dev.jsonl [--taxonomy FILE]
        [--seed 7] [--split random|even|odd] [--errors CATEGORY] [--words]

Prints category / urgency / sentiment macro-F1 per source and pooled on the *tune* half, the
*check* half and the whole file. ``--split even`` tunes on the even-numbered rows of each source
and checks on the odd ones (``odd`` the other way round): a fixed split, so a change judged on
one half can be checked on the other, and both directions reported. ``--errors bug`` lists
tune-half rows whose gold label is ``bug`` but were predicted otherwise; ``--words`` lists the
words most over-represented in each gold category of the tune half (ideas for general
vocabulary, to be judged by a person, never pasted in wholesale).
"""


def tune_rules(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", type=Path)
    parser.add_argument("--taxonomy", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--split", choices=("random", "even", "odd"), default="random")
    parser.add_argument("--errors")
    parser.add_argument("--source")
    parser.add_argument("--field", default="category")
    parser.add_argument("--words", action="store_true")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.file.read_text("utf-8").splitlines() if line]
    tune, check = tune_split(rows, args.split, args.seed)
    taxonomy = load_taxonomy(args.taxonomy)
    engine = RulesEngine(taxonomy)
    allowed = {
        "category": taxonomy.names,
        "urgency": ("critical", "high", "medium", "low"),
        "sentiment": ("positive", "neutral", "negative"),
    }
    for name, part in (("tune", tune), ("check", check), ("all", rows)):
        predictions = []
        for row in part:
            analysis = engine.analyse(row["subject"], row["description"])
            predictions.append(
                {
                    "category": analysis.category,
                    "urgency": analysis.urgency.value,
                    "sentiment": analysis.sentiment.value,
                }
            )
            row["_pred"] = predictions[-1]
        reports = evaluate(part, predictions, allowed)
        figures = []
        for field_name, report in reports.items():
            for source, score in report.scores.items():
                if field_name == "category" or source != POOLED:
                    figures.append(f"{field_name[:3]}/{source}={score.macro_f1:.3f}")
        print(f"{name:5}", " ".join(figures))
        if name == "tune" and args.field in reports:
            pooled = reports[args.field].scores.get(args.source or POOLED)
            if pooled:
                print("   labels", pooled.labels)
                for gold in pooled.labels:
                    print(f"   {gold:16}", [pooled.confusion[gold][p] for p in pooled.labels])
    if args.errors:
        for row in tune:
            gold = row["labels"].get(args.field)
            if args.source and row["source"] != args.source:
                continue
            if gold == args.errors and row["_pred"][args.field] != gold:
                text = (row["subject"] + " | " + row["description"])[:200].replace("\n", " ")
                print(f"-> {row['_pred'][args.field]:14} {row['source']:9} {text}")
    if args.words:
        print_words(tune, args.field, args.source)


def tune_split(rows: list[Any], how: str, seed: int) -> tuple[list[Any], list[Any]]:
    """The tune and check halves: a seeded shuffle, or alternate rows within each source."""
    if how == "random":
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        return shuffled[: len(rows) // 2], shuffled[len(rows) // 2 :]
    halves: tuple[list[Any], list[Any]] = ([], [])
    position: Counter[object] = Counter()
    for row in rows:
        parity = position[row["source"]] % 2
        position[row["source"]] += 1
        halves[parity].append(row)
    return halves if how == "even" else (halves[1], halves[0])


def print_words(rows: list[dict[str, object]], field: str, source: str | None) -> None:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        labels = row["labels"]
        assert isinstance(labels, dict)
        gold = labels.get(field)
        if gold is None or (source and row["source"] != source):
            continue
        text = f"{row['subject']} {row['description']}"[:3000]
        counts[gold].update({t for t in tokenise(text) if is_word(t)})
    total: Counter[str] = Counter()
    for counter in counts.values():
        total.update(counter)
    docs = Counter(str(row["labels"].get(field)) for row in rows)  # type: ignore[attr-defined]
    for gold, counter in counts.items():
        scored = []
        for word, count in counter.items():
            if count < 4:
                continue
            rest = total[word] - count
            rest_docs = sum(docs.values()) - docs[gold]
            odds = math.log((count + 1) / (docs[gold] + 2)) - math.log((rest + 1) / (rest_docs + 2))
            scored.append((odds * math.sqrt(count), word))
        print(gold, " ".join(word for _, word in sorted(scored, reverse=True)[:60]))


# learn_helpdesk_figures --------------------------------------------------------------------------

LEARN_HELPDESK_FIGURES_DOC = """\
``learn --from-helpdesk`` figures: accuracy against a model learned from the same tickets in
a file, the requests it costs per ticket, and the time, on a sandbox (Zendesk or Freshdesk).

    python -m scripts.figures learn_helpdesk_figures [--helpdesk zendesk|freshdesk] [--train 1500]
        [--open 300] [--embeddings] [--data ../shared/data/tickets-dev.jsonl]

Seeds the sandbox with ``--train`` solved tickets from the labelled file (labels as agent tags;
every 20th carries ticketbot's marker and an unchanged note of its own, which must be left
out) and ``--open`` open tickets, runs ``ticketbot learn --from-helpdesk`` then
``ticketbot run --engine learned``, and compares the categories written with the labels and
with what a model learned from the same tickets written to a file predicts.
"""


def subject_of(row: LabelledTicket) -> str:
    return row.subject or " ".join(row.description.split()[:8]) or "(no subject)"


def create(
    kind: str, sb: Any, row: LabelledTicket, tags: list[str], solved: bool, note: str
) -> int:
    if kind == "zendesk":
        fields: dict[str, Any] = {
            "subject": subject_of(row),
            "comment": {"body": row.description or "-"},
            "status": "solved" if solved else "open",
            "tags": tags,
        }
        ticket_id = int(sb.store.create(fields)["id"])
        if note:
            sb.store.update(ticket_id, {"comment": {"body": note, "public": False}})
        return ticket_id
    fields = {
        "subject": subject_of(row),
        "description": f"<p>{html.escape(row.description or '-')}</p>",
        "email": "customer@example.com",
        "status": 4 if solved else 2,
        "priority": 1,
        "tags": tags,
    }
    ticket_id = int(sb.store.create(fields)["id"])
    if note:
        sb.store.add_note(ticket_id, note, private=True, user_id=1)
    return ticket_id


def tags_of(kind: str, sb: Any, ticket_id: int) -> list[str]:
    ticket = sb.store.get(ticket_id) if kind == "zendesk" else sb.store.find(ticket_id)
    return list(ticket["tags"])


def learn_helpdesk_figures(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=LEARN_HELPDESK_FIGURES_DOC.splitlines()[0])
    parser.add_argument("--helpdesk", choices=("zendesk", "freshdesk"), default="zendesk")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/tickets-dev.jsonl")
    parser.add_argument("--train", type=int, default=1500)
    parser.add_argument("--open", type=int, default=300)
    parser.add_argument("--embeddings", action="store_true")
    args = parser.parse_args(argv)
    taxonomy = load_taxonomy()
    rows = load_labelled(args.data)
    random.Random(0).shuffle(rows)
    train_rows, open_rows = rows[: args.train], rows[args.train : args.train + args.open]
    serve = serve_zendesk(SandboxConfig(seed=1)) if args.helpdesk == "zendesk" else None
    desk = serve or serve_freshdesk(FreshdeskConfig(seed=1))
    runner = CliRunner()
    with desk as sb, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = sb.config
        if isinstance(config, SandboxConfig):
            env = {"ZENDESK_URL": sb.url, "ZENDESK_EMAIL": config.email}
            env["ZENDESK_API_TOKEN"] = config.token
        else:
            env = {"TICKETBOT_HELPDESK": "freshdesk", "FRESHDESK_URL": sb.url}
            env["FRESHDESK_API_KEY"] = config.api_key
        env |= {"TICKETBOT_STATE_DIR": str(root / "state"), "TICKETBOT_LOG_DIR": str(root / "l")}
        env |= {"OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""}
        kept: list[LabelledTicket] = []
        kept_ids: list[int] = []
        for n, row in enumerate(train_rows):
            tags = [f"ai_{k}_{v}" for k, v in row.labels.items()]
            if n % 20 == 0:  # ticketbot's own labels, unchanged: must not be learned
                note = "\n".join(
                    [NOTE_HEADER, *(f"{k.capitalize()}: {v}" for k, v in row.labels.items())]
                )
                create(args.helpdesk, sb, row, ["ai_processed", *tags], True, note)
            else:
                kept_ids.append(create(args.helpdesk, sb, row, tags, True, ""))
                kept.append(row)
        open_ids = [create(args.helpdesk, sb, row, [], False, "") for row in open_rows]
        fast = ["--folds", "0"] + ([] if args.embeddings else ["--no-embeddings"])
        stats = sb.stats
        before = stats()["requests_total"]
        started = time.perf_counter()
        learned = runner.invoke(app, ["learn", "--from-helpdesk", "--since", "1d", *fast], env=env)
        seconds = time.perf_counter() - started
        requests = stats()["requests_total"] - before
        print(learned.output)
        if learned.exit_code != 0:
            return 1
        # The same tickets as the helpdesk holds them (Freshdesk keeps HTML: its text differs
        # from the source file's for some tickets), written to a file: "learn FILE" on it.
        helpdesk = connect(load_settings(env, env_file=None))
        held = {t.id: t for page in helpdesk.ticket_pages(None, since=0) for t in page.tickets}
        helpdesk.close()
        data = root / "same.jsonl"
        with data.open("w", encoding="utf-8") as out:
            for ticket_id, row in zip(kept_ids, kept, strict=True):
                t = held[ticket_id]
                line = {"id": row.id, "source": args.helpdesk, "subject": t.subject,
                        "description": t.description, "labels": row.labels}  # fmt: skip
                out.write(json.dumps(line) + "\n")
        other = root / "file.zip"
        runner.invoke(app, ["learn", str(data), "--out", str(other), *fast], env=env)
        ran = runner.invoke(app, ["run", "--engine", "learned"], env=env)
        if ran.exit_code != 0:
            print(ran.output)
            return 1
        engine = LearnedEngine(read_model(other, taxonomy.names), taxonomy)
        same = right_run = right_file = scored = 0
        for ticket_id, row in zip(open_ids, open_rows, strict=True):
            written = [
                t[12:]
                for t in tags_of(args.helpdesk, sb, ticket_id)
                if t.startswith("ai_category_")
            ]
            predicted = engine.analyse(
                held[ticket_id].subject, held[ticket_id].description
            ).category
            same += written == [predicted]
            if "category" in row.labels:
                scored += 1
                right_run += written == [row.labels["category"]]
                right_file += predicted == row.labels["category"]
    print(f"helpdesk: {args.helpdesk} sandbox; {len(train_rows)} solved ({len(kept)} reviewed), "
          f"{len(open_rows)} open; embeddings {'on' if args.embeddings else 'off'}")  # fmt: skip
    print(f"learn --from-helpdesk: {seconds:.1f} s, {requests} requests = "
          f"{requests / len(train_rows):.4f} a solved ticket")  # fmt: skip
    print(f"open tickets where run --engine learned wrote the file-trained model's category: "
          f"{same}/{len(open_rows)}")  # fmt: skip
    run_acc, file_acc = right_run / max(scored, 1), right_file / max(scored, 1)
    print(f"category accuracy on {scored} labelled open tickets: helpdesk-trained run "
          f"{run_acc:.3f}, file-trained model {file_acc:.3f}")  # fmt: skip
    load = os.getloadavg()[0]
    print(f"(machine: {os.cpu_count()} cores, shared with other agents; load {load:.1f})")
    return 0


# backtracking_figures ----------------------------------------------------------------------------

BACKTRACKING_FIGURES_DOC = """\
How long a backtracking field pattern holds a matcher: Python's ``re`` against RE2.

The README's figures for ``fields.toml`` patterns come from here. ``(a|aa)+$`` on ``n`` letters
``a`` and a ``!`` (so the match must fail) makes Python's ``re`` try every way of splitting the
``a``s: the time grows by the golden ratio per letter. RE2, which ticketbot matches field
patterns with, stays linear. Each ``re`` match runs in a child process with a time limit, so a
slow one is cut off (and reported as such) instead of holding this script.

    python -m scripts.figures backtracking_figures           # n = 20, 24, ... 36, the projection
    python -m scripts.figures backtracking_figures --upto 40  # the README's 40 letters (~15 s)
"""


PATTERN = r"(a|aa)+$"


def _time_re(n: int, result: multiprocessing.Queue[float]) -> None:
    import re

    text = "a" * n + "!"
    started = time.perf_counter()
    re.search(PATTERN, text)
    result.put(time.perf_counter() - started)


def time_re(n: int, limit: float) -> float | None:
    """Seconds Python's ``re`` takes to fail on ``n`` letters; None when over ``limit``."""
    queue: multiprocessing.Queue[float] = multiprocessing.Queue()
    child = multiprocessing.Process(target=_time_re, args=(n, queue))
    child.start()
    child.join(limit)
    if child.is_alive():
        child.kill()
        child.join()
        return None
    return queue.get()


def time_re2(n: int) -> float:
    compiled = re2.compile(PATTERN)
    text = "a" * n + "!"
    started = time.perf_counter()
    compiled.search(text)
    return time.perf_counter() - started


def backtracking_figures(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=BACKTRACKING_FIGURES_DOC.splitlines()[0])
    parser.add_argument("--upto", type=int, default=36, help="the longest run of letters timed")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds one re match may take")
    args = parser.parse_args(argv)
    print(f"pattern {PATTERN!r} on n letters 'a' and a '!'")
    print(f"{'n':>4} {'re (s)':>10} {'RE2 (ms)':>9}")
    timed: list[tuple[int, float]] = []
    for n in range(20, args.upto + 1, 4):
        spent = time_re(n, args.limit)
        shown = f"{spent:10.3f}" if spent is not None else f">{args.limit:9.0f}"
        print(f"{n:4d} {shown} {time_re2(n) * 1000:9.3f}")
        if spent is not None and spent > 0.01:
            timed.append((n, spent))
    print(f"{'19000':>5} {'-':>9} {time_re2(19_000) * 1000:9.3f}  (RE2 on a ticket's length)")
    if len(timed) >= 2:
        (n0, t0), (n1, t1) = timed[0], timed[-1]
        growth = (t1 / t0) ** (1 / (n1 - n0))
        for n in (40, 60):
            projected = t1 * growth ** (n - n1)
            days = projected / 86_400
            print(
                f"re grows x{growth:.2f} a letter: n={n} projected {projected:,.0f} s"
                + (f" ({days:.1f} days)" if days >= 1 else "")
            )
        print(f"(the golden ratio is {(1 + math.sqrt(5)) / 2:.2f})")


# examples_out_of_scope ---------------------------------------------------------------------------

EXAMPLES_OUT_OF_SCOPE_DOC = """\
The fallback for a ticket far from every category (``learned.nearest``), chosen one domain
left out on HINT3 and read on the domain left out.

    python -m scripts.figures examples_out_of_scope DIR      # DIR: HINT3's dataset/v2

HINT3 (hellohaptik/HINT3, Open Database License 1.0, contents under the Database Contents
License 1.0; not in the repository): three help bots' intents, a mattress shop
(``sofmattress``), a pharmacy (``curekart``) and a fantasy-sports app (``powerplay11``). Each
domain's intents become a taxonomy of five examples each (drawn from its train split with the
seed, as ``examples_figures`` does) and a fallback ``other``; its test split's rows are the
in-scope texts, and its ``NO_NODES_DETECTED`` rows the out-of-scope ones, real users' messages
the bot had no intent for. The examples engine is fitted on the five examples. A text is far
when its nearest cosine to the taxonomy's examples and descriptions is under a quantile of the
taxonomy's own nearest cosines (``learned.nearest``). For each domain left out, the quantile (a
grid of 0.01 steps to 0.5) is the one that sends the most out-of-scope texts of the two other
domains to the fallback while neither's in-scope macro-F1 falls by more than ``F1_BUDGET``; it
is read on the one left out: the out-of-scope texts sent to the fallback (recall), the share of
the fallback's texts that were out of scope (precision), and the macro-F1 over the in-scope
categories on the in-scope texts, before and after.
"""

# The in-scope macro-F1 a threshold may cost on the domains it is chosen on (the bar allows 0.03
# on the domain left out: a margin for the move from one domain to the next).
F1_BUDGET = 0.02
HINT3_DOMAINS = ("sofmattress", "curekart", "powerplay11")
HINT3_NONE = "NO_NODES_DETECTED"


@dataclasses.dataclass(frozen=True)
class ScopeRows:
    """One domain's test rows as the examples engine reads them."""

    truth: list[str]  # the category, or "other" for an out-of-scope row
    predicted: list[str]  # the model's category, the nearest check aside
    closeness: list[float]  # the nearest cosine to the taxonomy's examples and descriptions
    own: list[float]  # the taxonomy's texts' nearest cosines to each other (``own_closeness``)
    in_scope: list[str]  # the taxonomy's categories but the fallback


def _hint3(path: Path) -> list[tuple[str, str]]:
    """(text, intent) rows; an intent named from a digit (``100_NIGHT_TRIAL_OFFER``) gets a
    letter first, as a category's name needs."""
    with path.open(encoding="utf-8") as handle:
        return [
            (row["sentence"], row["label"] if row["label"][:1].isalpha() else f"n{row['label']}")
            for row in csv.DictReader(handle)
        ]


def scope_rows(work: Path, root: Path, domain: str, encoder: Encoder) -> ScopeRows:
    from ticket_processor.learned.examples.fit import fit_examples
    from ticket_processor.learned.nearest import nearest_of, own_closeness

    chosen, _rest = pick(_hint3(root / "train" / f"{domain}_train.csv"), EXAMPLES)
    path = work / f"{domain}.toml"
    path.write_text(taxonomy_text(chosen, rules=False), "utf-8")
    taxonomy = load_taxonomy(path)
    model = fit_examples(taxonomy, encoder=encoder).model
    nearest = nearest_of(taxonomy, encoder, drop_marks)
    assert nearest is not None
    engine = LearnedEngine(model, taxonomy, encoder=encoder, encoded_form=drop_marks)
    known = {_name(intent) for intent in chosen}
    rows = []
    for text, label in _hint3(root / "test" / f"{domain}_test.csv"):
        if label == HINT3_NONE:
            rows.append((text, "other"))
        elif _name(label) in known:
            rows.append((text, _name(label)))
    truth, predicted, closeness = [], [], []
    vectors = encoder.encode([drop_marks(f"\n{text}") for text, _ in rows])
    for (text, label), vector in zip(rows, vectors, strict=True):
        found = engine.predict("", text, vector)
        truth.append(label)
        predicted.append(found["category"].label)
        closeness.append(nearest.closeness(vector))
    own = own_closeness(nearest.vectors).tolist()
    return ScopeRows(truth, predicted, closeness, own, sorted(known))


def scope_at(rows: ScopeRows, quantile: float | None) -> dict[str, float]:
    """In-scope macro-F1, out-of-scope recall and precision with the check at ``quantile`` of
    the taxonomy's own nearest cosines (None: no check)."""
    from sklearn.metrics import f1_score

    far = -2.0 if quantile is None else float(np.quantile(rows.own, quantile))
    said = [
        "other" if near < far else label
        for label, near in zip(rows.predicted, rows.closeness, strict=True)
    ]
    outside = [t == "other" for t in rows.truth]
    fallback = [s == "other" for s in said]
    both = sum(o and f for o, f in zip(outside, fallback, strict=True))
    # On the in-scope texts alone, as an intent set's in-scope score is read: an out-of-scope
    # text the model names a category does not count against it here.
    inside = [n for n, o in enumerate(outside) if not o]
    return {
        "in-scope macro-F1": float(
            f1_score(
                [rows.truth[n] for n in inside],
                [said[n] for n in inside],
                labels=rows.in_scope,
                average="macro",
                zero_division=0,
            )
        ),
        "out-of-scope recall": both / max(sum(outside), 1),
        "out-of-scope precision": both / max(sum(fallback), 1),
    }


def examples_out_of_scope(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=EXAMPLES_OUT_OF_SCOPE_DOC.split("\n\n")[0])
    parser.add_argument("hint3", type=Path, help="HINT3's dataset/v2 folder")
    args = parser.parse_args(argv)
    from ticket_processor.learned.nearest import FAR_QUANTILE

    encoder = Encoder()
    quantiles = [round(0.01 * n, 2) for n in range(51)]
    with tempfile.TemporaryDirectory() as tmp:
        found = {d: scope_rows(Path(tmp), args.hint3, d, encoder) for d in HINT3_DOMAINS}

    def picked(domains: list[ScopeRows]) -> float:
        """The quantile that sends the most out-of-scope texts to the fallback (mean recall)
        while no domain's in-scope macro-F1 falls by more than ``F1_BUDGET``."""
        before = [scope_at(rows, None)["in-scope macro-F1"] for rows in domains]
        best: tuple[float, float] = (-1.0, 0.0)
        for quantile in quantiles:
            read = [scope_at(rows, quantile) for rows in domains]
            kept = [
                b - r["in-scope macro-F1"] <= F1_BUDGET for r, b in zip(read, before, strict=True)
            ]
            recall = sum(r["out-of-scope recall"] for r in read) / len(read)
            if all(kept) and recall > best[0]:
                best = (recall, quantile)
        return best[1]

    table: dict[str, Any] = {"picked on every domain": picked(list(found.values()))}
    for left_out in HINT3_DOMAINS:
        threshold = picked([found[d] for d in HINT3_DOMAINS if d != left_out])
        rows = found[left_out]
        table[left_out] = {
            "rows (in scope, out of scope)": [
                sum(t != "other" for t in rows.truth),
                sum(t == "other" for t in rows.truth),
            ],
            "threshold picked on the others": threshold,
            "before": scope_at(rows, None),
            "after": scope_at(rows, threshold),
            f"at the shipped {FAR_QUANTILE}": scope_at(rows, FAR_QUANTILE),
            "its cosine there": round(float(np.quantile(rows.own, FAR_QUANTILE)), 3),
        }
    print(json.dumps(table, indent=2))


# macros_eval -------------------------------------------------------------------------------------

MACROS_EVAL_DOC = """\
Suggested macros on a solved history held out by time: hit@1, hit@3, and the share of tickets
whose kind has no macro that get no suggestion (``ticket_processor.macros.evaluate``).

Two public labelled sets, each made a history: every ticket answered with its intent's macro in
an agent's greeting and sign-off (15 % in the agent's own words instead), the intents without a
macro in the agent's own words; the latest quarter held out, judged by its intent.

- Bitext (``tests/data/macros_bitext*``, CDLA-Sharing 1.0; macros for 18 of 27 intents): the
  history the matching's constants (``macros/match.py``) were tuned on; ``--tune`` prints the
  grid and the fitted calibration curve they were read from.
- BANKING77 (``tests/data/macros_banking77*``, CC BY 4.0; 30 intents of the test split, macros
  for 20): never tuned on; the documented figures.

``--desk zendesk`` (or ``freshdesk``) measures the held-out history end to end on that
sandbox instead: the macros made through the helpdesk's API, the tickets imported solved with
their replies, ``ticketbot macros sync`` reading them back through the adapter, then the same
evaluation on the synced book.

    python -m scripts.figures macros_eval
    python -m scripts.figures macros_eval --tune
    python -m scripts.figures macros_eval --desk zendesk
    python -m scripts.figures macros_eval --curve

``--curve`` measures the tag on short histories: windows of the past of 8 to 256 tickets (and
the whole), each judged on the same held-out quarter; how often the tag (the best suggestion at
0.9 or more) named the ticket's macro, against how many of the window's tickets were answered
with a macro; and the best suggestion's mean stated confidence beside how often it was right.
``macros/step.py``'s ``APPLY_AFTER`` was read on Bitext's curve.
"""

MACRO_SETS = ("bitext", "banking77")
ROOT_DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def _macro_set(name: str) -> tuple[Any, dict[int, int | None], dict[str, Any]]:
    from ticket_processor.learned.embed import embed_texts
    from ticket_processor.macros.evaluate import LabelledRow, labelled_book

    data = ROOT_DATA / f"macros_{name}.json"
    meta = json.loads(data.read_text())
    rows = [
        LabelledRow(**json.loads(line))
        for line in (ROOT_DATA / f"macros_{name}_tickets.jsonl").open()
    ]
    texts = {m["intent"]: (m["title"], m["text"]) for m in meta["macros"]}
    book, kinds = labelled_book(rows, texts, embed_texts)
    return book, kinds, meta


def _fit_calibration(book: Any, kinds: dict[int, int | None], tuning: Any) -> tuple[float, float]:
    """A logistic curve from a macro's vote share to whether it is the ticket's macro, fitted
    on every (held-out ticket, macro with a share) pair by gradient descent."""
    from ticket_processor.macros.evaluate import split_by_time

    past, judged = split_by_time(book)
    matcher = book.matcher(tuning, rows=past)
    shares, right = [], []
    for row in judged:
        truth = kinds[book.history[row].ticket_id]
        for macro_id, share in matcher.shares(book.history_vectors[row]).items():
            shares.append(share)
            right.append(int(macro_id == truth))
    x, y = np.asarray(shares), np.asarray(right)
    slope, offset = 1.0, 0.0
    for _ in range(3000):
        p = 1 / (1 + np.exp(-(slope * x + offset)))
        slope -= 2 * float(((p - y) * x).mean())
        offset -= 2 * float((p - y).mean())
    return round(slope, 1), round(offset, 1)


# History sizes (solved tickets before the held-out quarter) of the tag's learning curve, and
# how many windows of each size, ending at different points of the past, are measured.
CURVE_SIZES = (8, 16, 24, 32, 48, 64, 96, 128, 192, 256)
CURVE_WINDOWS = 3


def _macros_curve(name: str) -> dict[str, Any]:
    """How often the tag (the best suggestion at ``APPLY_AT`` or more) names the ticket's
    macro when the matching learned from a short history: windows of the past of each size,
    judged on the same held-out quarter. ``apply_after``: the fewest tickets answered with a
    macro from which every window's tags were right at least nine times in ten."""
    from ticket_processor.macros.evaluate import split_by_time
    from ticket_processor.macros.step import APPLY_AT

    book, kinds, meta = _macro_set(name)
    past, judged = split_by_time(book)
    windows = [(len(past), 0)] + [
        (size, n)
        for size in CURVE_SIZES
        for n in range(CURVE_WINDOWS)
        if size * (n + 1) <= len(past)
    ]
    rows: list[dict[str, Any]] = []
    for size, n in windows:
        end = len(past) - n * size
        learned = past[end - size : end]
        matcher = book.matcher(rows=learned)
        tagged = right = 0
        stated: list[float] = []  # the best suggestion's confidence, and whether it was right
        held: list[int] = []
        for row in judged:
            shown = matcher.suggest(book.history_vectors[row])
            if not shown:
                continue
            hit = int(shown[0].macro_id == kinds[book.history[row].ticket_id])
            stated.append(shown[0].confidence)
            held.append(hit)
            if shown[0].confidence >= APPLY_AT:
                tagged += 1
                right += hit
        matched = sum(book.history[r].macro_id is not None for r in learned)
        rows.append(
            {
                "history": size,
                "answered_with_a_macro": matched,
                "tags": tagged,
                "right": round(right / tagged, 3) if tagged else None,
                "best_stated": round(float(np.mean(stated)), 3) if stated else None,
                "best_right": round(float(np.mean(held)), 3) if held else None,
            }
        )
    rows.sort(key=lambda r: r["answered_with_a_macro"])
    apply_after = None
    for at, window in enumerate(rows):
        if all(r["right"] is None or r["right"] >= 0.9 for r in rows[at:]):
            apply_after = window["answered_with_a_macro"]
            break
    return {
        "source": meta["source"],
        "licence": meta["licence"],
        "apply_after": apply_after,
        "windows": rows,
    }


def macros_eval(argv: list[str] | None = None) -> int:
    from ticket_processor.macros.evaluate import evaluate
    from ticket_processor.macros.match import Tuning

    parser = argparse.ArgumentParser(
        prog="figures.py macros_eval",
        description=MACROS_EVAL_DOC,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--tune", action="store_true", help="the grid on the tuning history")
    parser.add_argument("--desk", choices=("zendesk", "freshdesk"), help="end to end on a sandbox")
    parser.add_argument(
        "--curve", action="store_true", help="the tag's precision against the history's length"
    )
    args = parser.parse_args(argv)
    if args.curve:
        print(json.dumps({name: _macros_curve(name) for name in MACRO_SETS}, indent=2))
        return 0
    if args.desk:
        print(json.dumps(_macros_on_desk(args.desk, "banking77"), indent=2))
        return 0
    if args.tune:
        book, kinds, _ = _macro_set("bitext")
        for neighbours, spread, floor in itertools_product(
            (5, 10), (0.05, 0.1, 0.15, 0.2), (0.4, 0.5, 0.6)
        ):
            base = Tuning(neighbours, spread, floor, 0.0)
            curve = _fit_calibration(book, kinds, base)
            for suggest_at in (0.1, 0.15, 0.2, 0.25, 0.3):
                tuning = dataclasses.replace(base, suggest_at=suggest_at, calibration=curve)
                found = evaluate(book, tuning, kinds=kinds).as_dict()
                print(
                    json.dumps(
                        {
                            "neighbours": neighbours,
                            "spread": spread,
                            "floor": floor,
                            "calibration": curve,
                            "suggest_at": suggest_at,
                            "hit_at_3": found["hit_at_3"],
                            "no_macro_none": found["no_macro_none"],
                        }
                    )
                )
        return 0
    table: dict[str, Any] = {}
    for name in MACRO_SETS:
        book, kinds, meta = _macro_set(name)
        role = "tuned on" if name == "bitext" else "held out: never tuned on"
        table[name] = {
            "source": meta["source"],
            "licence": meta["licence"],
            "role": role,
            "tickets": len(book.history),
            "macros": len(book.macros),
            **evaluate(book, kinds=kinds).as_dict(),
        }
    print(json.dumps(table, indent=2))
    return 0


def _post_macro(kind: str, desk: Any, title: str, text: str) -> int:
    """One shared, public macro through the helpdesk's own API."""
    import requests

    env = desk.env()
    if kind == "zendesk":
        answer = requests.post(
            f"{desk.url}/api/v2/macros.json",
            json={
                "macro": {"title": title, "actions": [{"field": "comment_value", "value": text}]}
            },
            auth=(f"{env['ZENDESK_EMAIL']}/token", env["ZENDESK_API_TOKEN"]),
            timeout=(5, 30),
        )
        answer.raise_for_status()
        return int(answer.json()["macro"]["id"])
    auth = (env["FRESHDESK_API_KEY"], "X")
    folders = requests.get(f"{desk.url}/api/v2/canned_response_folders", auth=auth, timeout=30)
    general = next(f["id"] for f in folders.json() if f["name"] == "General")
    answer = requests.post(
        f"{desk.url}/api/v2/canned_responses",
        json={"title": title, "content_html": f"<p>{html.escape(text)}</p>", "folder_id": general},
        auth=auth,
        timeout=(5, 30),
    )
    answer.raise_for_status()
    return int(answer.json()["id"])


def _macros_on_desk(kind: str, name: str) -> dict[str, Any]:
    """The made history of ``name`` on a ``kind`` sandbox, synced and evaluated end to end."""
    from ticket_processor.helpdesks.registry import KINDS
    from ticket_processor.learned.embed import embed_texts
    from ticket_processor.macros.book import load as load_book
    from ticket_processor.macros.evaluate import LabelledRow, evaluate, labelled_history
    from ticket_processor.macros.sync import sync_macros
    from ticket_processor.sandbox.desks import NewTicket, serve_desk

    meta = json.loads((ROOT_DATA / f"macros_{name}.json").read_text())
    rows = [
        LabelledRow(**json.loads(line))
        for line in (ROOT_DATA / f"macros_{name}_tickets.jsonl").open()
    ]
    texts = {m["intent"]: (m["title"], m["text"]) for m in meta["macros"]}
    made, history, intents = labelled_history(rows, texts)
    start = time.time() - 86400 - 3600 * len(history)
    with (
        tempfile.TemporaryDirectory() as state,
        serve_desk(KINDS[kind], seed=None, unlimited=True) as desk,
    ):
        ids = {m.id: _post_macro(kind, desk, m.title, m.text) for m in made}
        kinds: dict[int, int | None] = {}
        for n, solved in enumerate(history):
            moment = start + 3600 * n
            reply = solved.replies[0].body
            ticket_id = desk.import_answered(
                NewTicket("", solved.ticket.description), [(reply, moment + 600)], moment + 1200
            )
            macro = intents[solved.ticket.id]
            kinds[ticket_id] = ids[macro] if macro is not None else None
        helpdesk = connect(load_settings({**os.environ, **desk.env()}))
        try:
            report = sync_macros(helpdesk, Path(state), embed_texts)
        finally:
            helpdesk.close()
        scores = evaluate(load_book(Path(state)), kinds=kinds).as_dict()
    return {
        "desk": kind,
        "history": meta["source"],
        "licence": meta["licence"],
        "synced": report.as_event(),
        **scores,
    }
