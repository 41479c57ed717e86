"""The examples' figures: the learned engine taught by a team's examples, and the rules' patterns
against backtracking."""

from __future__ import annotations

import csv
import json
import math
import multiprocessing
import random
import re
import resource
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import re2

from scripts import command_parser
from ticket_processor.evaluation.labelled import EvalResult, run_eval
from ticket_processor.learned.embed import Encoder
from ticket_processor.learned.examples.cache import examples_model
from ticket_processor.learned.examples.fit import drop_marks
from ticket_processor.learned.scoring import (
    POOLED,
)
from ticket_processor.run.connect import load_settings
from ticket_processor.run.engines import build_eval_chain
from ticket_processor.triage.taxonomy import load_taxonomy

# examples_figures --------------------------------------------------------------------------------

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
    parser = command_parser("examples_figures")
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


# backtracking_figures ----------------------------------------------------------------------------

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
    parser = command_parser("backtracking_figures")
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
