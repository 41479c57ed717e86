"""The answers' figures: the gate, its walls and signals, own cases, the knowledge base's fusion."""

from __future__ import annotations

import csv
import glob
import json
import math
import random
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from scripts import data_toml
from ticket_processor.answers.calibration import SHIPPED
from ticket_processor.answers.compose import excerpt
from ticket_processor.answers.evaluate import _CHOSEN, AnswersReport, _right, evaluate
from ticket_processor.answers.gate import GATE_FILE, TWIN, Gate, fit_gate, load_gate
from ticket_processor.answers.own_case import CUES, own_case
from ticket_processor.answers.plan import Circumstances, cues, decide
from ticket_processor.answers.policy import DEFAULT_THRESHOLD as POLICY_THRESHOLD
from ticket_processor.answers.policy import AnswersPolicy
from ticket_processor.kb.dense import (
    HELD_WEIGHT,
    SHARE_WEIGHT,
    STATS_KEY,
    Candidate,
    PassageStats,
    blend,
    encode_missing,
    retrieve,
)
from ticket_processor.kb.index import ArticleIndex
from ticket_processor.kb.retrieve import ticket_text
from ticket_processor.kb.search import DEFAULT_THRESHOLD, MIN_SHARED_TERMS, lookup, rank
from ticket_processor.kb.text import query_terms, words
from ticket_processor.learned.embed import embed_texts
from ticket_processor.learned.logistic import fit_logistic
from ticket_processor.models import Analysis, Article, Ticket, Triage
from ticket_processor.triage.confidence import Calibration
from ticket_processor.triage.language import detect_language
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import load_taxonomy

# answers_figures ---------------------------------------------------------------------------------

ANSWERS_FIGURES_DOC = """\
The answers' gate fitted and measured leave-one-help-centre-out (the README quotes this
script's output).

    python -m scripts.figures answers_figures --public /work/data/answers          # the LOHO table
    python -m scripts.figures answers_figures --public /work/data/answers --write  # and gate.json
    python -m scripts.figures answers_figures --public /work/data/answers --skip-heldout --pick
        # not the held-out centre; and the threshold picked on the other centres for each
    python -m scripts.figures answers_figures --run zendesk   # a real send-mode run on the sandbox
    python -m scripts.figures answers_figures --run freshdesk --chooser gate  # gate chooses
    python -m scripts.figures answers_figures --run zendesk --centre heldout
        # a real send-mode run on the held-out help centre
    python -m scripts.figures answers_figures --guards [--public DIR]  # refusals per guard
    python -m scripts.figures answers_figures --guards --centre heldout2
        # refusals per guard and engine on one held-out centre
    python -m scripts.figures answers_figures --public DIR --skip-heldout --pick --without-own-case
        # the same without the own-case guard (what it changes: run both)
    python -m scripts.figures answers_figures --public DIR --skip-heldout --pick --dev-heldout
        # with the first two held-out centres among the centres (dev centres since)
    python -m scripts.figures answers_figures --public DIR --skip-heldout --own-case-feature
        # the own-case cue as a fourth gate feature instead (guards off), beside the three

Help centres (each one an index of its own; tickets answered by an article or by none):

- ``answers``: ``tests/data/answers_articles.jsonl`` and ``answers_tickets.jsonl``, and ``kb``:
  ``tests/data/kb_articles.jsonl`` and ``kb_tickets.jsonl`` (the project's own writing);
- ``bitext``: ``tests/data/bitext.jsonl`` (Bitext customer-support dataset, CDLA-Sharing 1.0);
- ``banking77``: BANKING77 train and test (PolyAI-LDN/task-specific-datasets, CC BY 4.0),
  ``--public DIR`` holding ``banking_data/{train,test}.csv``;
- ``hotels``: NLU++ hotels domain (same repository and licence), ``DIR/nlupp/hotels/fold*.json``;
- ``bitext_answers``: the Bitext customer-support dataset's training sample with its agents'
  ``response`` column (bitext/customer-support-llm-chatbot-training-dataset, CDLA-Sharing 1.0),
  ``DIR/bitext_full/Bitext_Sample_Customer_Support_Training_Dataset.csv``: 12 intents get an
  article whose body is the dataset's own answer (as a help centre writes it, not questions),
  96 other questions of theirs are answerable, 48 of the other intents' questions are not.

For the public sets, an intent becomes an article: its title the intent's name, its body three
of the intent's own questions (the dataset's text, not ours); a third of the intents get no
article, and their questions are the tickets no article answers. The other questions of the
intents with an article are the answerable tickets. Nothing fetched is committed.

Each help centre's figure is read with the gate fitted on the others (weights and calibration),
at the policy's default threshold: the shipped threshold is that one, and what it gives on a
help centre nobody fitted on is what the table shows. Beside it, the gate alone (``guards
off``: every row reaches the gate, whatever the guards would say), and with ``--pick`` the
threshold picked on the other centres (the lowest at which their replies were 95 % right, each
read with a gate fitted without it) with what it gives on the one left out; and the same picked
on the other centres' rows that passed every guard, read on the one left out with the guards
on (what a run sends at that threshold). ``--write`` fits
on all of them (its calibration on the out-of-centre scores) and writes
``ticket_processor/answers/gate.json``.
"""


DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
HelpCentre = tuple[str, list[dict[str, Any]], list[dict[str, Any]]]


# The help centres a sandbox run can publish, (articles, tickets) in tests/data, and which
# were held out (scripts/data/help_centres.toml).
SANDBOX_CENTRES: dict[str, tuple[str, str]] = {
    name: (files["articles"], files["tickets"])
    for name, files in data_toml("help_centres.toml").items()
}


def sandbox_run(
    kind: str, chooser: str = "calibration", centre: str = "answers", engine: str = "rules"
) -> dict[str, object]:
    """One ``ticketbot run`` (``--engine``: rules unless told, ``TICKETBOT_ANSWER_MODE=send``,
    no LLM configured: ``llm`` is then the best engine available) over a help centre's
    tickets on a fresh sandbox of ``kind``: replies mailed per kind of ticket, right and wrong
    articles."""
    import os
    import re
    import resource
    import subprocess
    from collections import Counter

    from support.answers_desk import create_tickets, outbox, publish_help_centre

    from ticket_processor.helpdesks.registry import KINDS
    from ticket_processor.sandbox.desks import serve_desk

    articles_file, tickets_file = SANDBOX_CENTRES[centre]
    cases = _jsonl(DATA / tickets_file)
    with (
        serve_desk(KINDS[kind], seed=None, unlimited=True) as desk,
        tempfile.TemporaryDirectory() as tmp,
    ):
        articles = publish_help_centre(desk, articles_file)
        ids = create_tickets(desk, cases)
        prefixes = ("ZENDESK_", "FRESHDESK_", "TICKETBOT_", "OPENAI_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
        env.update(desk.env())
        env.update(
            {
                "TICKETBOT_STATE_DIR": f"{tmp}/state",
                "TICKETBOT_LOG_DIR": f"{tmp}/logs",
                "TICKETBOT_ANSWER_MODE": "send",
                "PYTHONPATH": str(DATA.parents[1]),
            }
        )
        if chooser != "calibration":
            policy = Path(tmp) / "answers.toml"
            policy.write_text(f'chooser = "{chooser}"\n', "utf-8")
            env["TICKETBOT_ANSWERS"] = str(policy)
        command = [sys.executable, "-m", "ticket_processor", "run", "--engine", engine]
        subprocess.run(command, env=env, cwd=tmp, check=True, capture_output=True)
        # ru_maxrss of the (only) finished child: the run's peak RSS, in KiB on Linux.
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        mailed: Counter[str] = Counter()
        right = wrong = 0
        for mail in outbox(desk):
            case = cases[ids.index(mail["ticket_id"])]
            mailed[case["kind"]] += 1
            linked = {int(x) for x in re.findall(r"/articles?/(\d+)", mail["body"])}
            key = case["answer_article"]
            if case["kind"] == "answerable":
                right += bool(key and linked & articles[key])
                wrong += not (key and linked & articles[key])
    return {
        "helpdesk": kind,
        "centre": centre,
        "chooser": chooser,
        "engine": engine,
        "answerable": sum(c["kind"] == "answerable" for c in cases),
        "answered_right": right,
        "answered_wrong": wrong,
        "replies_to_person_angry_assigned": sum(n for k, n in mailed.items() if k != "answerable"),
        "run_peak_rss_mb": round(peak_mb, 1),
    }


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]


def _from_intents(name: str, by_intent: dict[str, list[str]], seed: int = 7) -> HelpCentre:
    """Articles from two thirds of the intents (three of their questions each), tickets from
    the rest of their questions (answerable) and from the other third's (no article)."""
    rng = random.Random(seed)
    intents = sorted(i for i, qs in by_intent.items() if len(qs) >= 5)
    rng.shuffle(intents)
    kept = set(intents[: len(intents) * 2 // 3])
    articles, rows = [], []
    for intent in intents:
        questions = list(by_intent[intent])
        rng.shuffle(questions)
        if intent in kept:
            body = "".join(f"<p>{q.strip()}</p>" for q in questions[:3])
            title = intent.replace("_", " ").capitalize()
            articles.append({"key": intent, "title": title, "body": body, "locale": "en-us"})
            tickets = questions[3:9]
        else:
            tickets = questions[:3]
        for q in tickets:
            key = intent if intent in kept else None
            rows.append({"subject": "", "description": q, "answer_article": key})
    return name, articles, rows


def _from_responses(path: Path, seed: int = 11) -> HelpCentre:
    """Twelve intents' own answers as articles; 8 questions of each (answerable) and 48 of the
    other intents' (no article answers them), none of them a row whose answer was used."""
    rng = random.Random(seed)
    questions: dict[str, list[str]] = defaultdict(list)
    answers: dict[str, str] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            questions[row["intent"]].append(row["instruction"])
            answers.setdefault(row["intent"], row["response"])
    intents = sorted(questions)
    rng.shuffle(intents)
    kept, others = intents[:12], intents[12:]
    articles = [
        {
            "key": intent,
            "title": intent.replace("_", " ").capitalize(),
            "body": f"<p>{answers[intent]}</p>",
            "locale": "en-us",
        }
        for intent in kept
    ]
    rows: list[dict[str, Any]] = []
    for intent in kept:
        for q in rng.sample(questions[intent][1:], 8):
            rows.append({"subject": "", "description": q, "answer_article": intent})
    pool = [(i, q) for i in others for q in questions[i]]
    for _, q in rng.sample(pool, 48):
        rows.append({"subject": "", "description": q, "answer_article": None})
    return "bitext_answers", articles, rows


def help_centres(public: Path | None) -> list[HelpCentre]:
    centres: list[HelpCentre] = [
        (
            "answers",
            _jsonl(DATA / "answers_articles.jsonl"),
            _jsonl(DATA / "answers_tickets.jsonl"),
        ),
        (
            "kb",
            _jsonl(DATA / "kb_articles.jsonl"),
            [
                {**r, "answer_article": r["labels"]["article"]}
                for r in _jsonl(DATA / "kb_tickets.jsonl")
            ],
        ),
    ]
    bitext: dict[str, list[str]] = defaultdict(list)
    for row in _jsonl(DATA / "bitext.jsonl"):
        bitext[row["labels"]["subcategory"]].append(row["description"])
    centres.append(_from_intents("bitext", bitext))
    if public is None:
        return centres
    banking: dict[str, list[str]] = defaultdict(list)
    for split in ("train", "test"):
        with (public / "banking_data" / f"{split}.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                banking[row["category"]].append(row["text"])
    for intent in banking:
        banking[intent] = banking[intent][:12]
    centres.append(_from_intents("banking77", banking))
    hotels: dict[str, list[str]] = defaultdict(list)
    for path in sorted(glob.glob(str(public / "nlupp" / "hotels" / "fold*.json"))):
        for row in json.loads(Path(path).read_text("utf-8")):
            intents = row.get("intents") or []
            if intents:
                hotels["_".join(sorted(intents))].append(row["text"])
    centres.append(_from_intents("hotels", hotels))
    responses = public / "bitext_full" / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
    if responses.exists():
        centres.append(_from_responses(responses))
    return centres


def index_centre(
    tmp: Path, name: str, articles: list[dict[str, Any]]
) -> tuple[ArticleIndex, dict[str, frozenset[int]]]:
    index = ArticleIndex(tmp / f"{name}.sqlite")
    ids: dict[str, set[int]] = {}
    with index.transaction():
        # A translation is its own article, as the sandboxes publish it.
        for n, a in enumerate(articles, start=1):
            index.upsert(
                Article(
                    n,
                    a["title"],
                    a["body"],
                    f"https://help.example.com/articles/{n}",
                    a["locale"],
                    "2026-01-01T00:00:00Z",
                    visibility=a.get("visibility", "everyone"),
                )
            )
            ids.setdefault(a["key"], set()).add(n)
        encode_missing(index, embed_texts)
    return index, {k: frozenset(v) for k, v in ids.items()}


def _run(
    centre: HelpCentre,
    tmp: Path,
    gate: Gate | None,
    analyse: Any,
    calibration: Any = None,
    own_case: bool = True,
) -> AnswersReport:
    name, articles, rows = centre
    index, ids = index_centre(tmp, f"{name}-{id(gate)}-{id(calibration)}-{own_case}", articles)
    try:
        return evaluate(
            rows,
            index,
            analyse,
            AnswersPolicy(mode="send"),
            calibration=calibration,
            article_ids=ids,
            gate=gate,
            embed=embed_texts,
            own_case=own_case,
        )
    finally:
        index.close()


def _out_of_centre_gate(
    rows: dict[str, list[tuple[tuple[float, ...], bool]]], left_out: set[str]
) -> Gate:
    """The gate fitted on every centre but ``left_out``, calibrated on scores each of those
    centres got from a gate fitted without it (nor ``left_out``): a probability read on
    centres the weights never saw."""
    names = [n for n in rows if n not in left_out]
    scores: list[float] = []
    right: list[bool] = []
    for name in names:
        rest = [r for n in names if n != name for r in rows[n]]
        inner = fit_gate([f for f, _ in rest], [ok for _, ok in rest])
        scores += [inner.score(f) for f, _ in rows[name]]
        right += [ok for _, ok in rows[name]]
    every = [r for n in names for r in rows[n]]
    return fit_gate(
        [f for f, _ in every],
        [ok for _, ok in every],
        calibrate_on=(scores, right),
        source="+".join(names),
        smooth=True,
    )


# The precision a shipped threshold must reach on help centres it was not fitted on.
def _sending(
    threshold: float,
    gate: Gate | None,
    calibration: Calibration | None = None,
    confirm: Gate | None = None,
) -> Circumstances:
    """A fresh ticket in send mode: not escalated, no agent asking, nothing answered before
    (``confirm``: the gate beside the calibration, as a default run reads it)."""
    return Circumstances(
        mode="send",
        threshold=threshold,
        escalated=False,
        requester_is_agent=False,
        requester_answered_at=None,
        answered_here=False,
        now=0.0,
        prefix="ai_",
        calibration=calibration,
        gate=gate,
        confirm=confirm,
    )


PRECISION_BAR = 0.95


def _gate_alone(
    gate: Gate, rows: list[tuple[tuple[float, ...], bool]], answerable: list[bool], at: float
) -> dict[str, Any]:
    """The gate's own figures with the guards off: every row reaches it, and is sent when its
    probability is ``at`` or more (a row no article answers counts as a false send)."""
    sent = [
        (ok, a) for (f, ok), a in zip(rows, answerable, strict=True) if gate.probability(f) >= at
    ]
    return _sent_figures(sent, sum(answerable))


def _sent_figures(sent: list[tuple[bool, bool]], answerable: int) -> dict[str, Any]:
    """The figures of the replies ``sent`` (each: the article was right, the ticket answerable;
    one no article answers is a false send), against ``answerable`` tickets."""
    right = sum(ok and a for ok, a in sent)
    false = sum(not a for _, a in sent)
    return {
        "sent": len(sent),
        "sent_right": right,
        "sent_wrong": len(sent) - right - false,
        "false_sends": false,
        "precision": round(right / len(sent), 4) if sent else None,
        "coverage": round(right / max(answerable, 1), 4),
    }


def _picked_threshold(
    rows: dict[str, list[tuple[tuple[float, ...], bool]]],
    left_out: str,
    passed: dict[str, list[bool]] | None = None,
) -> float | None:
    """The lowest threshold whose replies (guards off) were ``PRECISION_BAR`` right on the
    centres other than ``left_out``, each of them read with the gate fitted without it (nor
    ``left_out``): a threshold picked on the others, to be read on the one left out. With
    ``passed``, only the rows that passed every guard are read (the gate is still fitted on
    every row): what the threshold sees in a run with the guards on."""
    names = [n for n in rows if n != left_out]
    scored: list[tuple[float, bool]] = []
    for name in names:
        gate = _out_of_centre_gate(rows, {name, left_out})
        kept = passed[name] if passed is not None else [True] * len(rows[name])
        pairs = zip(rows[name], kept, strict=True)
        scored += [(gate.probability(f), ok) for (f, ok), k in pairs if k]
    scored.sort(key=lambda pair: -pair[0])
    picked = None
    right = 0
    for n, (p, ok) in enumerate(scored, start=1):
        right += ok
        if right / n >= PRECISION_BAR and (n == len(scored) or scored[n][0] < p):
            picked = p
    return None if picked is None else round(picked, 4)


def _guarded_at(
    reached: list[tuple[float, bool, bool]], answerable: int, at: float
) -> dict[str, Any]:
    """What a run with every guard on sends at threshold ``at`` (the rows that reached the
    gate, with its probability)."""
    return _sent_figures([(ok, a) for p, ok, a in reached if p >= at], answerable)


def _at_coverage(reached: list[tuple[float, bool, bool]], right: int) -> dict[str, Any]:
    """The gate's precision (guards on) where it first answers ``right`` rows right, reading
    its probabilities down from the highest: the gate at another chooser's coverage."""
    sent = hits = 0
    for p, ok, answerable in sorted(reached, key=lambda r: -r[0]):
        sent += 1
        hits += ok and answerable
        if hits >= right:
            return {"threshold": round(p, 4), "sent": sent, "precision": round(hits / sent, 4)}
    return {"threshold": None, "sent": sent, "precision": None}


def _centre_figures(
    centre: HelpCentre,
    rows: dict[str, list[tuple[tuple[float, ...], bool]]],
    tmp: Path,
    analyse: Any,
    *,
    pick: bool,
    passed: dict[str, list[bool]] | None = None,
    own_case: bool = True,
) -> dict[str, Any]:
    """One centre's figures, read with the gate fitted on the others; the shipped calibration
    (fitted on ``answers`` alone) beside it. ``passed``: each centre's rows that passed the
    guards, for the threshold picked on the others' guarded rows."""
    name = centre[0]
    gate = _out_of_centre_gate(rows, {name})
    gated = _run(centre, tmp, gate, analyse, own_case=own_case)
    report = gated.as_dict()
    answerable = [r["answer_article"] is not None for r in centre[2]]
    out: dict[str, Any] = {
        f"{name} (gate alone, guards off)": _gate_alone(
            gate, rows[name], answerable, AnswersPolicy().threshold
        )
    }
    if pick:
        picked = _picked_threshold(rows, name)
        at = 1.01 if picked is None else picked
        out[f"{name} (gate alone, threshold picked on the others)"] = {
            "threshold": picked
        } | _gate_alone(gate, rows[name], answerable, at)
    if pick and passed is not None:
        picked = _picked_threshold(rows, name, passed)
        at = 1.01 if picked is None else picked
        out[f"{name} (gate, guards on, threshold picked on the others' guarded rows)"] = {
            "threshold": picked
        } | _guarded_at(gated.reached, sum(answerable), at)
    before = _run(centre, tmp, None, analyse, SHIPPED, own_case=own_case).as_dict()
    out[f"{name} (calibration)"] = {
        k: before[k]
        for k in ("sent", "sent_right", "sent_wrong", "false_sends", "precision", "coverage")
    }
    if before["sent_right"]:
        out[f"{name} (gate at the calibration's coverage)"] = _at_coverage(
            gated.reached, before["sent_right"]
        )
    out[name] = {
        k: report[k]
        for k in ("rows", "answerable", "sent", "sent_right", "sent_wrong", "precision")
    } | {k: report[k] for k in ("coverage", "false_sends", "refused", "fused hit@1")}
    return out


def own_case_feature(
    centres: list[HelpCentre], rows: dict[str, list[tuple[tuple[float, ...], bool]]]
) -> dict[str, Any]:
    """The gate with one more feature, whether ``own_case`` found a cue in the ticket, measured
    as the gate alone is (guards off, each centre read with a gate fitted on the others) at
    the default threshold and at the threshold picked on the others, beside the same without
    it: the cue as a gate feature rather than a guard (measured, not shipped)."""

    def cue(row: dict[str, Any]) -> float:
        return float(bool(own_case(f"{row.get('subject', '')}\n{row['description']}")))

    with_cue = {
        name: [
            ((*features, cue(row)), ok)
            for (features, ok), row in zip(rows[name], tickets, strict=True)
        ]
        for name, _, tickets in centres
    }
    table: dict[str, Any] = {}
    for name, _, tickets in centres:
        answerable = [r["answer_article"] is not None for r in tickets]
        for label, table_rows in (("", rows), (", own-case feature", with_cue)):
            gate = _out_of_centre_gate(table_rows, {name})
            picked = _picked_threshold(table_rows, name)
            table[f"{name} (gate alone{label})"] = _gate_alone(
                gate, table_rows[name], answerable, AnswersPolicy().threshold
            )
            table[f"{name} (gate alone{label}, threshold picked on the others)"] = {
                "threshold": picked
            } | _gate_alone(gate, table_rows[name], answerable, 1.01 if picked is None else picked)
    return table


def bundled_assess() -> Callable[[str, str], Triage]:
    """A default run's triage with no LLM: the bundled learned model, with its calibrated
    confidence and apply thresholds, as the answers' guards read it."""
    from ticket_processor.learned import LearnedEngine, bundled_model_path, load_model

    taxonomy = load_taxonomy(None)
    model, why = load_model(bundled_model_path(), taxonomy.names)
    if model is None:
        raise SystemExit(f"no bundled model: {why}")
    learned = LearnedEngine(model, taxonomy)

    def assess(subject: str, body: str) -> Triage:
        analysis, confidence, apply_at = learned.assess(subject, body)
        return Triage(
            analysis=analysis, engine="learned", field_confidence=confidence, apply_at=apply_at
        )

    return assess


def guard_counts(public: Path | None, centres: list[HelpCentre] | None = None) -> dict[str, Any]:
    """Which guard stopped how many rows of each help centre, answerable and not (``[answerable,
    no article]``), with the keyword rules and with a default run's engine when no LLM is
    configured (``llm``: the bundled learned model, its calibrated confidence and thresholds);
    the shipped calibration chooses, and the shipped gate beside it. The held-out centres are
    read only when named (``centres``: ``--guards --centre heldout2``)."""
    rules = RulesEngine(load_taxonomy(None))
    assess = bundled_assess()
    table: dict[str, Any] = {}
    gate = load_gate() if centres is not None else None
    choosers = [("", None, SHIPPED)] + ([(", gate", gate, None)] if gate is not None else [])
    with tempfile.TemporaryDirectory() as tmp_name:
        for centre, (engine, judge), (chooser, with_gate, calibration) in (
            (c, e, k)
            for c in (centres if centres is not None else help_centres(public))
            for e in (("rules", rules.analyse), ("llm", assess))
            for k in choosers
        ):
            report = _run(centre, Path(tmp_name), with_gate, judge, calibration)
            table[f"{centre[0]} ({engine}{chooser})"] = {
                "answerable": report.answerable,
                "sent_right": report.sent_right,
                "sent_wrong": report.sent_wrong,
                "false_sends": report.false_sends,
                "refused [answerable, no article]": dict(sorted(report.refused_by_kind.items())),
                "fused hit@1": report.as_dict()["fused hit@1"],
            }
    return table


def answers_figures(argv: list[str]) -> int:
    if "--help" in argv or "-h" in argv:  # the module's text lists every form
        print(ANSWERS_FIGURES_DOC)
        return 0
    if "--guards" in argv:
        data = Path(argv[argv.index("--public") + 1]) if "--public" in argv else None
        named = None
        if "--centre" in argv:
            articles, tickets = SANDBOX_CENTRES[argv[argv.index("--centre") + 1]]
            name = argv[argv.index("--centre") + 1]
            named = [(name, _jsonl(DATA / articles), _jsonl(DATA / tickets))]
        print(json.dumps(guard_counts(data, named), indent=2))
        return 0
    if "--run" in argv:
        how = argv[argv.index("--chooser") + 1] if "--chooser" in argv else "calibration"
        where = argv[argv.index("--centre") + 1] if "--centre" in argv else "answers"
        judge = argv[argv.index("--engine") + 1] if "--engine" in argv else "rules"
        kind = argv[argv.index("--run") + 1]
        print(json.dumps(sandbox_run(kind, how, where, judge), indent=2))
        return 0
    public = Path(argv[argv.index("--public") + 1]) if "--public" in argv else None
    engine = RulesEngine(load_taxonomy(None))

    def analyse(subject: str, body: str) -> Analysis:
        return engine.analyse(subject, body)

    centres = help_centres(public)
    if "--dev-heldout" in argv:
        # the first two held-out centres, looked at since: dev centres now (never 3 and 4)
        centres += [
            (name, _jsonl(DATA / SANDBOX_CENTRES[name][0]), _jsonl(DATA / SANDBOX_CENTRES[name][1]))
            for name in ("heldout", "heldout2")
        ]
    own_case = "--without-own-case" not in argv
    table: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        reports = {c[0]: _run(c, tmp, None, analyse, own_case=own_case) for c in centres}
        rows = {name: report.gate_rows for name, report in reports.items()}
        passed = {name: report.passed for name, report in reports.items()}
        if "--own-case-feature" in argv:
            print(json.dumps(own_case_feature(centres, rows), indent=2))
            return 0
        for centre in centres:
            table |= _centre_figures(
                centre, rows, tmp, analyse, pick="--pick" in argv, passed=passed, own_case=own_case
            )
        held = DATA / SANDBOX_CENTRES["heldout"][0], DATA / SANDBOX_CENTRES["heldout"][1]
        shipped_gate = load_gate()
        measure_held = "--write" not in argv and "--skip-heldout" not in argv
        if all(p.exists() for p in held) and shipped_gate is not None and measure_held:
            # Never fitted on: the shipped gate (fitted on every centre above) and calibration.
            blind: HelpCentre = ("heldout", _jsonl(held[0]), _jsonl(held[1]))
            for label, chooser, calibration in (
                ("heldout", shipped_gate, None),
                ("heldout (calibration)", None, SHIPPED),
            ):
                report = _run(blind, tmp, chooser, analyse, calibration).as_dict()
                table[label] = {
                    k: report[k]
                    for k in (
                        "rows",
                        "answerable",
                        "sent",
                        "sent_right",
                        "sent_wrong",
                        "false_sends",
                        "precision",
                        "coverage",
                        "refused",
                        "fused hit@1",
                    )
                }
        if "--write" in argv:
            shipped = _out_of_centre_gate(rows, set())
            GATE_FILE.write_bytes(orjson.dumps(shipped.as_json(), option=orjson.OPT_INDENT_2))
            table["written"] = str(GATE_FILE)
    print(json.dumps(table, indent=2))
    return 0


# answers_signals ---------------------------------------------------------------------------------

ANSWERS_SIGNALS_DOC = """\
Right-vs-wrong first-article signals, measured leave-one-help-centre-out on the dev centres.

    python -m scripts.figures answers_signals --public /work/data/answers

The gate (``answers.gate``) weighs the fused ranking's first article; on the help centres it
was not fitted on, its probability stops nearly every answerable ticket. This script measures
candidate signals beside its three features, each read as the gate is (``answers_figures
--pick``): for each centre left out, the gate fitted and calibrated on the other centres' rows,
the threshold picked on the other centres' rows that passed every guard (the lowest at which
they were 95 % right), and read on the one left out, guards on (rules engine, no LLM). The
centres: the six of ``answers_figures`` (``answers``, ``kb``, ``bitext``; ``banking77``,
``hotels``, ``bitext_answers`` from ``--public DIR``) and the two dev sandbox-shaped ones,
``heldout`` and ``heldout2`` — never the held-out centres the lead scores.

Candidates (each a principle, not a fit to these centres):

- ``agree``: both retrievers put the article first (a fourth feature), and ``agree only``:
  a reply is sent only where they do (the gate's probability unchanged);
- ``keyword place``: the article's place in the keyword ranking (1 / place, 0 when absent);
- ``passage cover``: the share of the ticket's content words the article's best passage holds
  (what the customer reads), in place of the whole article's share;
- ``title self-retrieval``: a self-calibration read from the help centre alone, no label: the
  share of its articles whose title, as a query, finds its own article's other passages ahead
  of every other article's (by passage cosine). On a help centre of distinct prose articles it
  is high; on one of look-alike intents, low (a fourth feature, one value per centre);
- ``own margin percentile``: the ticket's cosine margin read against the margins the centre's
  own passages get when each is a query for its article (its percentile), beside the three.

Prints, per candidate, the totals and each centre's figures at the default threshold (0.9) and
at the threshold picked on the others: sent, right, wrong article, sent to a ticket no article
answers, precision. Nothing fetched is committed; ``--public`` names where it is.
"""


DEV_SANDBOX = ("heldout", "heldout2")


@dataclass(frozen=True)
class Row:
    features: tuple[float, ...]  # the gate's three
    right: bool  # the fused first article is the right one
    answerable: bool
    passed: bool  # every guard let it through (the article's choice and threshold aside)
    agree: bool  # first in both the keyword and the vector ranking
    keyword_place: int  # its place in the keyword ranking (0: not found by keywords)
    passage_cover: float


@dataclass(frozen=True)
class SelfRead:
    """What a help centre says of itself, no label: titles and passages as queries."""

    title_top1: float
    own_margins: np.ndarray[Any, np.dtype[np.float64]]  # sorted, in the centre's spread


def self_read(index: ArticleIndex) -> SelfRead:
    """Each passage as a query for its own article, leaving that passage out: whether its
    article comes first (for the titles, each article's first passage) and by what margin
    over the best other article (translations of it aside), in the centre's cosine spread."""
    owners, matrix = index.vectors()
    stats = PassageStats.from_json(index.meta(STATS_KEY))
    ids = owners.tolist()
    arts = sorted(set(ids))
    means = {a: matrix[owners == a].mean(axis=0) for a in arts}
    means = {a: v / (np.linalg.norm(v) or 1.0) for a, v in means.items()}
    firsts = {a: ids.index(a) for a in arts}
    sims = matrix @ matrix.T
    titles, margins = [], []
    for i, own in enumerate(ids):
        best: dict[int, float] = {}
        for j, other in enumerate(ids):
            if j != i and sims[i, j] > best.get(other, -2.0):
                best[other] = float(sims[i, j])
        rivals = [v for a, v in best.items() if a != own and float(means[a] @ means[own]) < TWIN]
        if own not in best or not rivals:
            continue  # an article of one passage: nothing of its own left to find
        margin = (best[own] - max(rivals)) / stats.spread
        margins.append(margin)
        if firsts[own] == i:
            titles.append(margin > 0)
    return SelfRead(float(np.mean(titles)) if titles else 0.0, np.sort(np.asarray(margins)))


def centre_rows(centre: HelpCentre, tmp: Path, analyse: Any) -> tuple[list[Row], SelfRead]:
    """Every row of the centre as a run with the gate weighs it (rules engine, guards on)."""
    name, articles, tickets = centre
    index, ids = index_centre(tmp, name, articles)
    shipped = load_gate()  # what a run weighs; only whether the guards let a row through is kept
    rows = []
    try:
        for n, row in enumerate(tickets):
            subject, body = str(row.get("subject", "")), str(row["description"])
            right = _right(row.get("answer_article"), ids)
            prepared = prepare_ticket(subject, body, max_tokens=2000)
            text = ticket_text(prepared)
            found = lookup(index, text, detect_language(words(text), text), 3)
            triage = Triage(
                analysis=analyse(prepared.subject, prepared.body),
                engine="rules",
                suggestions=tuple(found),
            )
            ranked = retrieve(index, text, embed_texts)
            seen = cues(subject, body, lambda _t, r=ranked: r)  # type: ignore[misc]
            assert seen.gate is not None
            where = _sending(0.9, gate=shipped)
            ticket = Ticket(id=n + 1, subject=subject, description=body, status="new")
            plan, reason = decide(ticket, triage, seen, where, index.body)
            first = seen.gate.candidate
            terms = set(query_terms(text))
            cover = 0.0
            if first is not None and terms:
                passage = excerpt(index.body(first.hit.article_id, first.hit.locale), text)
                cover = len(terms & set(words(passage))) / len(terms)
            rows.append(
                Row(
                    features=seen.gate.features,
                    right=first is not None and first.hit.article_id in right,
                    answerable=row.get("answer_article") is not None,
                    passed=first is not None and (plan is not None or reason in _CHOSEN),
                    agree=first is not None and first.keyword_rank == 1 == first.dense_rank,
                    keyword_place=first.keyword_rank if first is not None else 0,
                    passage_cover=cover,
                )
            )
        return rows, self_read(index)
    finally:
        index.close()


SignalCandidate = tuple[Callable[[Row, SelfRead], tuple[float, ...]], Callable[[Row], bool]]


def _percentile(value: float, own: np.ndarray[Any, np.dtype[np.float64]]) -> float:
    return float(np.searchsorted(own, value) / len(own)) if len(own) else 0.5


CANDIDATES: dict[str, SignalCandidate] = {
    "the gate today (three features)": (lambda r, s: r.features, lambda r: True),
    "agree (a fourth feature)": (lambda r, s: (*r.features, float(r.agree)), lambda r: True),
    "agree only (sent only where both put it first)": (lambda r, s: r.features, lambda r: r.agree),
    "keyword place (1 / place)": (
        lambda r, s: (*r.features, 1.0 / r.keyword_place if r.keyword_place else 0.0),
        lambda r: True,
    ),
    "passage cover (for the article's)": (
        lambda r, s: (r.features[0], r.features[1], r.passage_cover),
        lambda r: True,
    ),
    "title self-retrieval (a fourth feature)": (
        lambda r, s: (*r.features, s.title_top1),
        lambda r: True,
    ),
    "own margin percentile (a fourth feature)": (
        lambda r, s: (*r.features, _percentile(r.features[0], s.own_margins)),
        lambda r: True,
    ),
}


def measure(
    rows: dict[str, list[Row]], selves: dict[str, SelfRead], candidate: SignalCandidate
) -> dict[str, Any]:
    """One candidate, each centre read left out (as ``answers_figures --pick``)."""
    featured, keep = candidate
    table = {n: [(featured(r, selves[n]), r.right) for r in rs] for n, rs in rows.items()}
    kept = {n: [r.passed and keep(r) for r in rs] for n, rs in rows.items()}
    gates: dict[frozenset[str], Gate] = {}

    def gate(left_out: set[str]) -> Gate:
        key = frozenset(left_out)
        if key not in gates:
            gates[key] = _out_of_centre_gate(table, set(left_out))
        return gates[key]

    out: dict[str, Any] = {}
    for name in rows:
        scored: list[tuple[float, bool]] = []
        for other in rows:
            if other != name:
                inner = gate({other, name})
                pairs = zip(table[other], kept[other], strict=True)
                scored += [(inner.probability(f), ok) for (f, ok), k in pairs if k]
        scored.sort(key=lambda pair: -pair[0])
        picked, right = None, 0
        for n, (p, ok) in enumerate(scored, start=1):
            right += ok
            if right / n >= PRECISION_BAR and (n == len(scored) or scored[n][0] < p):
                picked = p
        answerable = sum(r.answerable for r in rows[name])
        left = gate({name})
        for label, at in (("0.9", 0.9), ("picked", 1.01 if picked is None else picked)):
            sent = [
                (ok, r.answerable)
                for (f, ok), r, k in zip(table[name], rows[name], kept[name], strict=True)
                if k and left.probability(f) >= at
            ]
            out[f"{name} at {label}"] = {"threshold": round(at, 4)} | _sent_figures(
                sent, answerable
            )
    return out


def answers_signals(argv: list[str]) -> int:
    if "--help" in argv or "-h" in argv or "--public" not in argv:
        print(ANSWERS_SIGNALS_DOC)
        return 0
    public = Path(argv[argv.index("--public") + 1])
    centres = help_centres(public) + [
        (n, _jsonl(DATA / SANDBOX_CENTRES[n][0]), _jsonl(DATA / SANDBOX_CENTRES[n][1]))
        for n in DEV_SANDBOX
    ]
    engine = RulesEngine(load_taxonomy(None))
    rows: dict[str, list[Row]] = {}
    selves: dict[str, SelfRead] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for centre in centres:
            rows[centre[0]], selves[centre[0]] = centre_rows(centre, Path(tmp), engine.analyse)
    print("title self-retrieval:", {n: round(s.title_top1, 2) for n, s in selves.items()})
    for label, candidate in CANDIDATES.items():
        figures = measure(rows, selves, candidate)
        print(f"\n== {label}")
        for at in ("0.9", "picked"):
            total = [0, 0, 0, 0]
            for name in rows:
                f = figures[f"{name} at {at}"]
                for i, key in enumerate(("sent", "sent_right", "sent_wrong", "false_sends")):
                    total[i] += f[key]
            print(f"  at {at}: sent, right, wrong article, unwanted over all = {total}")
        for name in rows:
            cells = []
            for at in ("0.9", "picked"):
                f = figures[f"{name} at {at}"]
                cells.append(
                    f"@{f['threshold']}: {f['sent']} {f['sent_right']} {f['sent_wrong']} "
                    f"{f['false_sends']} p={f['precision']}"
                )
            print(f"  {name:15s} " + " | ".join(cells))
    return 0


# answers_walls -----------------------------------------------------------------------------------

ANSWERS_WALLS_DOC = """\
Per answerable ticket of a dev help centre, which refusal stops its answer, and why.

    python -m scripts.figures answers_walls --centre heldout [--engine llm|rules] [--all]
    python -m scripts.figures answers_walls --centre heldout5 --counts   # aggregates only
    python -m scripts.figures answers_walls --centre heldout5 --counts --all   # the gate's ceiling
    python -m scripts.figures answers_walls --person-text
        # the words alone: answerable or a person's

For each answerable ticket of the centre (``--all``: every ticket) it prints, with a default
run's engine when no LLM is configured (``llm``: the bundled learned model; ``rules``: the
keyword rules): the triage's category and its confidence against the threshold ``triage_unsure``
reads (the category's apply threshold for a calibrated engine, else
``TICKETBOT_CONFIDENCE_THRESHOLD``'s default, 0.5); the keyword lookup's suggestions (what the
calibration chooses from: none is ``no_article``) with the best one's share and the content
words it shares; where the right article stands in the keyword, vector and fused rankings;
the shipped gate's and the shipped calibration's probabilities; and the refusal each chooser
gives: ``default`` as a default run decides (the calibration's article confirmed by the gate,
or else the gate's own where it is sure: ``unconfirmed`` and ``below_threshold`` are then what
neither allowed), ``calibration`` alone, ``gate`` alone. Then the counts by refusal. Ticket by
ticket only on the dev centres (``answers``, ``heldout``, ``heldout2``); ``--counts`` prints
only the counts (by refusal, and how many of those stopped had the right article first, were
not in English, were triaged ``how_to``): what a held-out centre, scored by aggregates only,
may be read with. ``--counts --all`` reads every
ticket of the centre and prints, counted, what the gate could send at best: over the tickets
past the triage and the guards, how many right, wrong-article and unwanted replies each gate
probability lets through, the threshold chosen on the centre itself (an oracle, no figure to
ship) that sends the most right replies with at most one wrong article and none where none
belongs, and the same had no ticket needing a person got past the guards. ``--person-text``
measures whether the ticket's words alone tell the two apart (the encoder's vectors, a logistic
regression fitted on two dev centres and read on the third as the area under the ROC curve).
"""


DEV = ("answers", "heldout", "heldout2")


def _engine(name: str) -> Any:
    if name == "rules":
        rules = RulesEngine(load_taxonomy(None))
        return lambda s, b: Triage(analysis=rules.analyse(s, b), engine="rules")
    return bundled_assess()


def _place(order: list[int], right: frozenset[int]) -> int:
    return next((n for n, a in enumerate(order, start=1) if a in right), 0)


def walls(centre: str, engine: str, every: bool) -> dict[str, Any]:
    articles_file, tickets_file = SANDBOX_CENTRES[centre]
    articles, rows = _jsonl(DATA / articles_file), _jsonl(DATA / tickets_file)
    judge = _engine(engine)
    gate = load_gate()
    policy = AnswersPolicy(mode="send")
    out: list[dict[str, Any]] = []
    counts: dict[str, Counter[str]] = {c: Counter() for c in ("default", "calibration", "gate")}
    with tempfile.TemporaryDirectory() as tmp:
        index, ids = index_centre(Path(tmp), centre, articles)
        for n, row in enumerate(rows, start=1):
            if not every and row.get("kind") != "answerable":
                continue
            subject, body = row.get("subject", ""), row["description"]
            right = _right(row.get("answer_article"), ids)
            prepared = prepare_ticket(subject, body, max_tokens=2000)
            text = ticket_text(prepared)
            found = lookup(index, text, detect_language(words(text), text), 3)
            triage = judge(prepared.subject, prepared.body).model_copy(
                update={"suggestions": tuple(found)}
            )
            ranked = retrieve(index, text, embed_texts)
            found_cues = cues(subject, body, lambda _t, r=ranked: r)  # type: ignore[misc]
            terms = set(query_terms(text))
            kw = rank(index, text)
            refusals = {}
            for chooser, with_gate, calibration, confirm in (
                ("default", None, SHIPPED, gate),
                ("calibration", None, SHIPPED, None),
                ("gate", gate, None, None),
            ):
                where = _sending(
                    policy.threshold_for(triage.analysis.category),
                    gate=with_gate,
                    calibration=calibration,
                    confirm=confirm,
                )
                ticket = Ticket(id=n, subject=subject, description=body, status="new")
                plan, reason = decide(ticket, triage, found_cues, where, index.body)
                if plan is not None:
                    reason = "sent right" if plan.article_id in right else "sent WRONG"
                refusals[chooser] = reason
                counts[chooser][str(reason)] += 1
            weighed = found_cues.gate
            out.append(
                {
                    "n": n,
                    "kind": row.get("kind"),
                    "language": row.get("language"),
                    "text": f"{subject} | {body}"[:110],
                    "category": triage.analysis.category,
                    "confidence": triage.analysis.confidence,
                    "field_confidence": triage.field_confidence.get("category"),
                    "apply_at": triage.apply_at.get("category"),
                    "terms": len(terms),
                    "keyword_top": [
                        (
                            s.hit.article_id in right,
                            round(s.share, 4),
                            len(terms & index.words(s.hit.rowid)),
                        )
                        for s in kw[:2]
                    ],
                    "suggestions": [(s.article_id in right, s.score) for s in found],
                    "place keyword/dense/fused": [
                        _place([c.hit.article_id for c in ranked.order(by)], right)
                        for by in ("keyword", "dense", "fused")
                    ],
                    "gate_p": round(gate.probability(weighed.features), 3)
                    if gate and weighed
                    else None,
                    "gate_features": weighed.features if weighed else None,
                    "calibration_p": round(SHIPPED(max(s.score for s in found)), 3)
                    if found
                    else None,
                    "refusal": refusals,
                }
            )
        index.close()
    return {"tickets": out, "counts": {k: dict(v.most_common()) for k, v in counts.items()}}


def aggregates(tickets: list[dict[str, Any]]) -> dict[str, int]:
    """What the walls hold, counted (no ticket shown): a held-out centre's figures."""

    def first_right(row: dict[str, Any]) -> bool:
        return bool(row["place keyword/dense/fused"][2] == 1)

    def stopped(reason: str, chooser: str = "calibration") -> list[dict[str, Any]]:
        return [r for r in tickets if r["refusal"][chooser] == reason]

    return {
        "tickets": len(tickets),
        "fused first article right": sum(map(first_right, tickets)),
        "no_article, not in English": sum(r["language"] != "en" for r in stopped("no_article")),
        "no_article, right article first by keywords under the share cut": sum(
            bool(r["keyword_top"] and r["keyword_top"][0][0] and r["keyword_top"][0][2] >= 2)
            for r in stopped("no_article")
        ),
        "below_threshold, right article first": sum(map(first_right, stopped("below_threshold"))),
        "gate below_threshold, right article first": sum(
            map(first_right, stopped("below_threshold", "gate"))
        ),
        # What a perfect threshold on the gate could answer: the tickets past the triage and
        # the guards whose first article is the right one.
        "past the triage and the guards, right article first": sum(
            r["refusal"]["gate"] == "sent right"
            or (r["refusal"]["gate"] in ("below_threshold", "sent WRONG") and first_right(r))
            for r in tickets
        ),
        "triage_unsure, top category how_to": sum(
            r["category"] == "how_to" for r in stopped("triage_unsure")
        ),
    }


def _spread(values: list[float]) -> list[float] | None:
    return [min(values), max(values)] if values else None


def waits(tickets: list[dict[str, Any]]) -> dict[str, Any]:
    """What a default run's answerable tickets wait on, counted (no ticket shown): why the
    keyword lookup gave the calibration nothing (``no_article``), whether the gate's own
    article was there all the same and right, and the gate's probabilities of the right first
    articles it held back. A held-out centre may be read so."""

    def first_right(row: dict[str, Any]) -> bool:
        return bool(row["place keyword/dense/fused"][2] == 1)

    def why_none(row: dict[str, Any]) -> str:
        top = row["keyword_top"]
        if not top:
            return "no keyword hit"
        if top[0][1] < DEFAULT_THRESHOLD:
            return f"best keyword share under {DEFAULT_THRESHOLD}"
        if top[0][2] < MIN_SHARED_TERMS:
            return f"fewer than {MIN_SHARED_TERMS} words shared"
        return "none passed the lookup's checks"

    answerable = [r for r in tickets if r["kind"] == "answerable"]
    none = [r for r in answerable if r["refusal"]["default"] == "no_article"]
    below = [r for r in answerable if r["refusal"]["default"] == "below_threshold"]
    held = [r for r in none + below if first_right(r) and r["gate_p"] is not None]
    return {
        "no_article": len(none),
        "no_article, why the keyword lookup suggested nothing": dict(
            Counter(map(why_none, none)).most_common()
        ),
        "no_article, the gate's article there": sum(r["gate_p"] is not None for r in none),
        "no_article, the gate's article right": sum(map(first_right, none)),
        "no_article, the gate's probability of the right ones": _spread(
            [r["gate_p"] for r in none if first_right(r) and r["gate_p"] is not None]
        ),
        "below_threshold": len(below),
        "below_threshold, the gate's article right": sum(map(first_right, below)),
        "below_threshold, the gate's probability of the right ones": _spread(
            [r["gate_p"] for r in below if first_right(r) and r["gate_p"] is not None]
        ),
        "held back with the right article first, by the gate's probability": {
            f"{lo:.1f}-{lo + 0.1:.1f}": sum(lo <= r["gate_p"] < lo + 0.1 for r in held)
            for lo in (0.1 * n for n in range(10))
        },
    }


def ceiling(tickets: list[dict[str, Any]]) -> dict[str, Any]:
    """What the best gate threshold for this centre alone could send (an oracle: chosen on the
    centre itself, so no figure to ship): over every ticket past the triage and the guards (and
    not assigned to an agent, which a run leaves alone), the
    most right replies with at most one wrong article and no reply where none belongs, and how
    the past-the-guards tickets stand above the shipped gate's probabilities."""
    passed = [
        r
        for r in tickets
        if r["refusal"]["gate"] in ("sent right", "sent WRONG", "below_threshold")
        and r["gate_p"] is not None
        # A run never answers a ticket assigned to an agent; these rows carry no assignee.
        and r["kind"] != "assigned"
    ]

    def kind(row: dict[str, Any]) -> str:
        if row["kind"] != "answerable":
            return "unwanted"
        return "right" if row["place keyword/dense/fused"][2] == 1 else "wrong"

    rows = sorted(((r["gate_p"], kind(r)) for r in passed), reverse=True)

    def best_of(rows: list[tuple[float, str]]) -> dict[str, Any]:
        best: dict[str, Any] = {"threshold": None, "right": 0, "wrong": 0, "unwanted": 0}
        tally: Counter[str] = Counter()
        for n, (p, k) in enumerate(rows):
            tally[k] += 1
            if n + 1 < len(rows) and rows[n + 1][0] == p:
                continue  # a threshold takes every row at its probability
            if tally["wrong"] <= 1 and tally["unwanted"] == 0 and tally["right"] > best["right"]:
                best = {"threshold": p} | {k2: tally[k2] for k2 in ("right", "wrong", "unwanted")}
        return best

    above = {str(t): dict(Counter(k for p, k in rows if p >= t)) for t in (0.9, 0.8, 0.7, 0.6, 0.5)}
    return {
        "past the triage and the guards": dict(Counter(k for _p, k in rows)),
        "sent at the gate probability (right, wrong article, unwanted)": above,
        "best threshold for this centre alone (oracle)": best_of(rows),
        # The same had every ticket needing a person been stopped before the gate: what the
        # ranking and the gate allow at best, whatever stopped those.
        "the same with no ticket needing a person past the guards": best_of(
            [row for row in rows if row[1] != "unwanted"]
        ),
    }


def person_text() -> dict[str, float]:
    """How well the ticket's words alone tell an answerable ticket from one needing a person:
    for each dev centre left out, a logistic regression on the bundled encoder's vectors of the
    other two dev centres' answerable (1) and person (0) tickets, read as the area under the
    ROC curve on the left-out centre's. Dev centres only: nothing held out is read."""
    import numpy as np

    from ticket_processor.learned.logistic import fit_logistic

    data: dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = {}
    for centre in DEV:
        rows = [
            r
            for r in _jsonl(DATA / SANDBOX_CENTRES[centre][1])
            if r.get("kind") in ("answerable", "person")
        ]
        vectors = embed_texts([f"{r.get('subject', '')}\n{r['description']}" for r in rows])
        labels = np.asarray([r["kind"] == "answerable" for r in rows], dtype=np.float64)
        data[centre] = (vectors.astype(np.float64), labels)
    found: dict[str, float] = {}
    for left in DEV:
        x = np.vstack([data[c][0] for c in DEV if c != left])
        y = np.concatenate([data[c][1] for c in DEV if c != left])
        weights, bias = fit_logistic(x, y, l2=1.0)
        scores = data[left][0] @ weights + bias
        labels = data[left][1]
        answerable, person = scores[labels == 1], scores[labels == 0]
        pairs = (answerable[:, None] > person[None, :]).mean()
        found[left] = round(float(pairs), 3)
    return found


def answers_walls(argv: list[str]) -> int:
    if "--help" in argv or "-h" in argv or not ({"--centre", "--person-text"} & set(argv)):
        print(ANSWERS_WALLS_DOC)
        return 0
    if "--person-text" in argv:
        print(json.dumps({"left out: AUC, answerable vs person": person_text()}, indent=2))
        return 0
    centre = argv[argv.index("--centre") + 1]
    counted = "--counts" in argv
    if centre not in DEV and not (counted and centre in SANDBOX_CENTRES):
        raise SystemExit(
            f"{centre}: only the dev centres ({', '.join(DEV)}) are shown ticket by ticket; "
            "a held-out centre is read with --counts (aggregates only)"
        )
    engine = argv[argv.index("--engine") + 1] if "--engine" in argv else "llm"
    result = walls(centre, engine, "--all" in argv)
    if counted and "--all" in argv:
        print(json.dumps(result["counts"] | {"ceiling": ceiling(result["tickets"])}, indent=2))
        return 0
    if counted:
        found = {"walls": aggregates(result["tickets"]), "waits": waits(result["tickets"])}
        print(json.dumps(result["counts"] | found, indent=2))
        return 0
    for row in result["tickets"]:
        print(json.dumps(row, ensure_ascii=False))
    print(json.dumps(result["counts"], indent=2))
    return 0


# own_case_figures --------------------------------------------------------------------------------

OWN_CASE_FIGURES_DOC = """\
How often each "own case" cue (``answers.own_case``) fires on answerable tickets and on
tickets that need a person, per help centre.

    python -m scripts.figures own_case_figures [--public DIR] [--show CENTRE]

Centres: the sandbox dev centres (``answers``, ``heldout``, ``heldout2``: ``answerable`` rows
against ``person`` rows; the angry and assigned ones left out), ``kb`` and ``bitext`` from
tests/data, and with ``--public DIR`` the public ones of ``answers_figures.help_centres``
(banking77, hotels, bitext_answers: questions an article answers against questions of the
intents without one). The blind centres (``heldout3``, ``heldout4``) are never read.
``--show CENTRE`` also prints the rows each cue fired on (to read them, on dev centres only).
A cue that fires on more than ``LIMIT`` of a centre's answerable tickets is too broad.
"""


LIMIT = 0.10


def _groups(public: Path | None) -> dict[str, tuple[list[str], list[str]]]:
    """Each centre's (answerable texts, needing-a-person texts)."""
    found: dict[str, tuple[list[str], list[str]]] = {}
    for name in DEV:
        rows = _jsonl(DATA / SANDBOX_CENTRES[name][1])
        text = [(f"{r['subject']}\n{r['description']}", r["kind"]) for r in rows]
        found[name] = (
            [t for t, kind in text if kind == "answerable"],
            [t for t, kind in text if kind == "person"],
        )
    for name, _, rows in help_centres(public):
        if name == "answers":
            continue
        text = [(f"{r.get('subject', '')}\n{r['description']}", r["answer_article"]) for r in rows]
        found[name] = (
            [t for t, label in text if label is not None],
            [t for t, label in text if label is None],
        )
    return found


def figures(public: Path | None, show: str | None = None) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for name, (answerable, person) in _groups(public).items():
        fired_a = [own_case(t) for t in answerable]
        fired_p = [own_case(t) for t in person]
        row: dict[str, Any] = {"answerable": len(answerable), "person": len(person)}
        for cue in (*CUES, "any"):
            a = sum((cue in f) if cue != "any" else bool(f) for f in fired_a)
            p = sum((cue in f) if cue != "any" else bool(f) for f in fired_p)
            row[cue] = {
                "answerable": round(a / max(len(answerable), 1), 3),
                "person": round(p / max(len(person), 1), 3),
                "too broad": a / max(len(answerable), 1) > LIMIT,
            }
        table[name] = row
        if show == name:
            table[f"{name} (fired)"] = {
                "answerable": [[t, f] for t, f in zip(answerable, fired_a, strict=True) if f],
                "person": [[t, f] for t, f in zip(person, fired_p, strict=True) if f],
                "person, none fired": [t for t, f in zip(person, fired_p, strict=True) if not f],
            }
    return table


def own_case_figures(argv: list[str]) -> int:
    if "--help" in argv or "-h" in argv:
        print(OWN_CASE_FIGURES_DOC)
        return 0
    public = Path(argv[argv.index("--public") + 1]) if "--public" in argv else None
    show = argv[argv.index("--show") + 1] if "--show" in argv else None
    print(json.dumps(figures(public, show), indent=1, ensure_ascii=False))
    return 0


# kb_fusion_figures -------------------------------------------------------------------------------

KB_FUSION_FIGURES_DOC = """\
How the two rankings are fused, measured on the labelled help centres leave-one-out.

    python -m scripts.figures kb_fusion_figures [--public DIR]

For each help centre of ``answers_figures.help_centres`` (``--public DIR``: the public ones too,
as that script reads them), over its answerable tickets: hit@1 and hit@3 of the keyword ranking,
of the vectors', of reciprocal rank fusion (1 / (60 + rank) from each: the fusion used before)
and of ``kb.dense.blend`` at the shipped weights; then, for each centre left out, the weights
``blend`` would get from the other centres (the pair of ``GRID`` with the best mean hit@1 over
them) and the hit@1 they give on the one left out: the figure the README quotes.
"""


GRID = tuple(product((0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0), (0.0, 0.05, 0.1, 0.2, 0.3)))
# One answerable ticket: the ids its label accepts, and its candidates as ``retrieve`` found
# them (the candidates do not depend on the weights: only their order does).
FusionRow = tuple[frozenset[int], tuple[Candidate, ...]]
Score = Callable[[Candidate], float]


def _rrf(c: Candidate) -> float:
    return sum(1.0 / (60 + place) for place in (c.keyword_rank, c.dense_rank) if place)


def _hits(rows: list[FusionRow], score: Score) -> tuple[float, float]:
    first = top3 = 0
    for right, candidates in rows:
        order = sorted(candidates, key=lambda c: (-score(c), -c.share))
        first += bool(order and order[0].hit.article_id in right)
        top3 += bool(right & {c.hit.article_id for c in order[:3]})
    return round(first / max(len(rows), 1), 4), round(top3 / max(len(rows), 1), 4)


def _keyword(c: Candidate) -> float:
    return 1.0 / c.keyword_rank if c.keyword_rank else 0.0


def _scorer(weights: tuple[float, float]) -> Score:
    return lambda c: blend(c.cosine, c.share, c.held, weights)


def kb_fusion_figures(argv: list[str]) -> int:
    if "--help" in argv or "-h" in argv:
        print(KB_FUSION_FIGURES_DOC)
        return 0
    public = Path(argv[argv.index("--public") + 1]) if "--public" in argv else None
    rows: dict[str, list[FusionRow]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, articles, tickets in help_centres(public):
            index, ids = index_centre(Path(tmp), name, articles)
            rows[name] = []
            for ticket in tickets:
                if ticket["answer_article"] is None:
                    continue
                prepared = prepare_ticket(
                    str(ticket.get("subject", "")), ticket["description"], max_tokens=2000
                )
                found = retrieve(index, ticket_text(prepared), embed_texts)
                rows[name].append((ids[ticket["answer_article"]], found.candidates))
            index.close()
    shipped = (SHARE_WEIGHT, HELD_WEIGHT)
    table: dict[str, object] = {}
    grid = {w: {n: _hits(r, _scorer(w))[0] for n, r in rows.items()} for w in GRID}
    for name, centre in rows.items():
        others = [n for n in rows if n != name]
        picked = max(GRID, key=lambda w: sum(grid[w][n] for n in others))
        table[name] = {
            "answerable": len(centre),
            "keyword hit@1, @3": _hits(centre, _keyword),
            "dense hit@1, @3": _hits(centre, lambda c: c.cosine),
            "rrf hit@1, @3": _hits(centre, _rrf),
            f"blend {shipped} hit@1, @3": _hits(centre, _scorer(shipped)),
            "blend weights picked on the others": picked,
            "their hit@1 here": grid[picked][name],
        }
    table["blend weights picked on all"] = max(GRID, key=lambda w: sum(grid[w].values()))
    print(json.dumps(table, indent=2))
    return 0


# answers_thresholds ------------------------------------------------------------------------------

ANSWERS_THRESHOLDS_DOC = """\
The answers' threshold chosen leave-one-help-centre-out, with each chooser, as a default run
decides (the bundled learned model's triage, no LLM, send mode, every guard on, the triage's
confidence in the category not asked).

    python -m scripts.figures answers_thresholds            # every centre left out in turn
    python -m scripts.figures answers_thresholds --engine rules

Centres (each a product of its own, in tests/data): ``answers`` (a project-management app),
``kb`` (a SaaS account help centre), ``bitext`` (Bitext's intents, CDLA-Sharing 1.0), and the
sandbox-shaped ``heldout`` to ``heldout6`` (a thermostat, an e-bike rental, a meal kit, a
parking app, a podcast host, a scheduling tool). Four ways to choose: the calibration alone,
the gate alone, ``confirmed`` (the calibration's article, sent only when the gate's first
article is the same one at the gate's own threshold), and ``confirmed_or_gate``, what a
default run does: that, or else the gate's first article where the gate alone reaches a third
threshold (``GATE_ALONE_AT``; a grid from 0.8 to 0.99, and never). Each pick is printed as its
thresholds: the chooser's, the confirming gate's, the gate's alone (1.01: never). For each
centre left out, the thresholds
(a grid of 0.05 steps and 0.96 to 0.99) are the ones that send the most right replies on the
other centres, pooled, while precise first there: no reply where none belongs and at most one
wrong article in 30 replies. They are then read on the centre left out: right, wrong article,
unwanted replies (to a ticket no article answers, one needing a person, an angry one). The
held-out centres are read as counts only.

    python -m scripts.figures answers_thresholds --dev

``--dev`` chooses on the dev centres alone (``answers``, ``kb``, ``bitext``, ``heldout``,
``heldout2``), each left out in turn and picked on the other four, as a threshold must be
chosen; the held-out ``heldout3`` to ``heldout6`` are then read, counts only, with the rule
picked on all five.

A fifth way, ``asked`` (what ships): ``confirmed_or_gate``, or the gate's first article from a
fourth threshold where the ticket asks a question (``QUESTION_AT``). It keeps the other
thresholds of the ``confirmed_or_gate`` pick on the same centres, the calibration's raised to
the policy's default (0.9: a user's setting, not chosen here; every reply must reach it), and
chooses the question's.
"""

THRESHOLD_DEV = ("answers", "kb", "bitext", "heldout", "heldout2")


def _threshold_centres() -> list[HelpCentre]:
    centres = help_centres(None)
    centres += [
        (name, _jsonl(DATA / SANDBOX_CENTRES[name][0]), _jsonl(DATA / SANDBOX_CENTRES[name][1]))
        for name in SANDBOX_CENTRES
        if name != "answers"
    ]
    return centres


@dataclass(frozen=True)
class Weighed:
    """One ticket as each chooser weighs it at threshold 0 (None: refused whatever the
    threshold): the probability and the article it would send, and what that reply would be."""

    calibration: tuple[float, int] | None
    gate: tuple[float, int] | None
    right: frozenset[int]
    answerable: bool
    asks: bool = False  # the ticket asks a question (``decide.asks_question``)
    # The gate's features of its first article and that article's ``idf_held``: what the
    # answerability reading (``answers_answerable``) is fitted on; empty: no article.
    reading: tuple[float, ...] = ()

    def outcome(self, article: int) -> str:
        """``right``, ``wrong`` (another article) or ``unwanted`` (none belongs)."""
        if not self.answerable or not self.right:
            return "unwanted"
        return "right" if article in self.right else "wrong"


def _weighed(centre: HelpCentre, engine: str, tmp: Path) -> list[Weighed]:
    """Each ticket of the centre as a default run weighs it, guards on, threshold 0."""
    name, articles, rows = centre
    judge = _engine(engine)
    gate = load_gate()
    out: list[Weighed] = []
    index, ids = index_centre(tmp, name, articles)
    try:
        for n, row in enumerate(rows, start=1):
            subject, body = row.get("subject", ""), row["description"]
            kind = row.get("kind", "answerable" if row.get("answer_article") else "none")
            prepared = prepare_ticket(subject, body, max_tokens=2000)
            text = ticket_text(prepared)
            found = lookup(index, text, detect_language(words(text), text), 3)
            triage = judge(prepared.subject, prepared.body).model_copy(
                update={"suggestions": tuple(found)}
            )
            ranked = retrieve(index, text, embed_texts)
            found_cues = cues(subject, body, lambda _t, r=ranked: r)  # type: ignore[misc]
            ticket = Ticket(
                id=n,
                subject=subject,
                description=body,
                status="new",
                assignee_id=7 if kind == "assigned" else None,
            )
            chosen: dict[str, tuple[float, int] | None] = {}
            for chooser, with_gate, calibration in (
                ("calibration", None, SHIPPED),
                ("gate", gate, None),
            ):
                where = _sending(0.0, gate=with_gate, calibration=calibration)
                plan, _reason = decide(ticket, triage, found_cues, where, index.body)
                chosen[chooser] = None if plan is None else (plan.probability, plan.article_id)
            weighed = found_cues.gate
            best = weighed.candidate if weighed is not None else None
            reading = (
                (*weighed.features, idf_held(index, text, best.hit.rowid))
                if weighed is not None and best is not None
                else ()
            )
            out.append(
                Weighed(
                    chosen["calibration"],
                    chosen["gate"],
                    _right(row.get("answer_article"), ids),
                    kind == "answerable",
                    found_cues.asks,
                    reading,
                )
            )
    finally:
        index.close()
    return out


# The chooser, its threshold, the confirming gate's (or 0), the gate's alone (above 1: never),
# and the gate's for a ticket that asks a question (``asked``; above 1: never).
Rule = tuple[str, float, float, float, float]
NEVER = 1.01


def sent_by(row: Weighed, rule: Rule) -> int | None:
    """The article ``rule`` sends for the ticket, or None. ``confirmed``: the calibration's
    article at its threshold, and the gate's first article the same at the gate's;
    ``confirmed_or_gate`` (what a default run does): that, or else the gate's first article
    where the gate's probability reaches the fourth threshold; ``asked``: that, or the gate's
    first article at the fifth where the ticket asks a question."""
    chooser, threshold, confirm_at, alone_at, question_at = rule
    cal, gate = row.calibration, row.gate
    if chooser == "gate":
        return gate[1] if gate and gate[0] >= threshold else None
    if chooser in ("confirmed_or_gate", "asked"):
        if cal and cal[0] >= threshold and gate and gate[1] == cal[1] and gate[0] >= confirm_at:
            return cal[1]
        # The run's threshold holds for every reply, the gate's article's too.
        at = max(min(alone_at, question_at) if row.asks else alone_at, threshold)
        return gate[1] if gate and gate[0] >= at else None
    if not cal or cal[0] < threshold:
        return None
    if chooser == "confirmed" and not (gate and gate[1] == cal[1] and gate[0] >= confirm_at):
        return None
    return cal[1]


def tally(rows: list[Weighed], rule: Rule) -> Counter[str]:
    found: Counter[str] = Counter()
    for row in rows:
        article = sent_by(row, rule)
        if article is not None:
            found[row.outcome(article)] += 1
    return found


def precise(found: Counter[str]) -> bool:
    """No reply where none belongs, at most one wrong article in 30 replies."""
    return found["unwanted"] == 0 and 30 * found["wrong"] <= sum(found.values())


THRESHOLD_GRID = (*(round(0.05 * n, 2) for n in range(20)), 0.96, 0.97, 0.98, 0.99)
# The gate alone is tried only where it is sure (below 0.8 it sends to tickets no article
# answers on most centres), the surer first: of two as good on the other centres, the surer.
ALONE_GRID = (NEVER, 0.99, 0.98, 0.97, 0.96, 0.95, 0.9, 0.85, 0.8)
# The gate for a ticket that asks a question, the surer first.
QUESTION_GRID = (NEVER, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6)


def rules(chooser: str, under: Rule | None = None) -> list[Rule]:
    """The rules ``pick`` tries; ``asked`` tries its question threshold alone, the others
    fixed at ``under`` (the ``confirmed_or_gate`` rule picked on the same centres)."""
    if chooser == "confirmed":
        return [(chooser, t, g, NEVER, NEVER) for t in THRESHOLD_GRID for g in THRESHOLD_GRID]
    if chooser == "confirmed_or_gate":
        return [
            (chooser, t, g, a, NEVER)
            for t in THRESHOLD_GRID
            for g in THRESHOLD_GRID
            for a in ALONE_GRID
        ]
    if chooser == "asked":
        if under is None:
            return []
        # The run's threshold is the policy's (a user's setting, 0.9 by default), not chosen
        # here: on the calibration's steps 0.85 and 0.9 send the same, on the gate's not.
        threshold = max(under[1], POLICY_THRESHOLD)
        return [(chooser, threshold, under[2], under[3], q) for q in QUESTION_GRID]
    return [(chooser, t, 0.0, NEVER, NEVER) for t in THRESHOLD_GRID]


def pick(rows: list[Weighed], chooser: str) -> Rule | None:
    """The rule of ``chooser`` that sends the most right replies on ``rows`` while ``precise``
    (the lower thresholds first on a tie), or None: none is."""
    under = pick(rows, "confirmed_or_gate") if chooser == "asked" else None
    best: tuple[int, Rule] | None = None
    for rule in rules(chooser, under):
        found = tally(rows, rule)
        if precise(found) and (best is None or found["right"] > best[0]):
            best = (found["right"], rule)
    return None if best is None else best[1]


def answers_thresholds(argv: list[str]) -> int:
    if "--help" in argv or "-h" in argv:
        print(ANSWERS_THRESHOLDS_DOC)
        return 0
    engine = argv[argv.index("--engine") + 1] if "--engine" in argv else "llm"
    with tempfile.TemporaryDirectory() as tmp:
        weighed = {c[0]: _weighed(c, engine, Path(tmp)) for c in _threshold_centres()}
    dev = "--dev" in argv
    chosen_on = {n: w for n, w in weighed.items() if not dev or n in THRESHOLD_DEV}
    table: dict[str, Any] = {}
    for chooser in ("calibration", "gate", "confirmed", "confirmed_or_gate", "asked"):
        rows: dict[str, Any] = {}
        for left_out in chosen_on:
            others = [r for name, w in chosen_on.items() if name != left_out for r in w]
            rule = pick(others, chooser)
            found = tally(weighed[left_out], rule) if rule else Counter()
            rows[left_out] = {"picked on the others": rule and list(rule[1:])} | {
                k: found[k] for k in ("right", "wrong", "unwanted")
            }
        every = pick([r for w in chosen_on.values() for r in w], chooser)
        rows["picked on every centre"] = every and list(every[1:])
        for name in (n for n in weighed if n not in chosen_on):
            found = tally(weighed[name], every) if every else Counter()
            rows[f"{name}, held out"] = {k: found[k] for k in ("right", "wrong", "unwanted")}
        table[chooser] = rows
    print(json.dumps(table, indent=2))
    return 0


# answers_answerable -----------------------------------------------------------------------------

ANSWERS_ANSWERABLE_DOC = """\
An answerability reading tried beside what a default run sends: a logistic model over the
gate's three features of its first article and that article's ``idf_held`` (the share of the
ticket's words the help centre knows, each weighed by its inverse document frequency, that the
article holds), fitted on whether that article is the right one for an answerable ticket. Its
first article is sent where what ships sends nothing and the model's probability reaches a
threshold. As ``answers_thresholds --dev`` decides (the bundled learned model, no LLM, send mode,
every guard on, the policy's 0.9).

    python -m scripts.figures answers_answerable           # the five dev centres, each left out
    python -m scripts.figures answers_answerable --heldout # and heldout3..6, counts only

Each dev centre left out in turn: the model fitted on the other four and its threshold picked
on them (each of the four scored by a model fitted on the other three; the most right replies
while precise: no reply where none belongs, at most one wrong article in 30), then read on the
one left out. Then the model fitted and its threshold picked the same way on all five, and
read back on each of them (what shipping it would send there); ``--heldout`` also reads it on
``heldout3`` to ``heldout6``, counts only. Right, wrong article, unwanted: *before* is what
ships, *after* what ships or else the reading.
"""

# What ships: the calibration at the policy's 0.9 confirmed by the gate at ``CONFIRM_AT``, or
# else the gate's first article from ``GATE_ALONE_AT``, or from ``QUESTION_AT`` for a question.
SHIPPED_RULE: Rule = ("asked", POLICY_THRESHOLD, 0.55, 0.96, 0.9)
READING_GRID = (NEVER, *(round(0.99 - 0.01 * n, 2) for n in range(50)))


def idf_held(index: ArticleIndex, text: str, rowid: int) -> float:
    """The share of the ticket's content words the index holds, each weighed by its inverse
    document frequency (BM25's, as the keyword ranking weighs them), that the article in
    ``rowid`` holds (0: no word weighs: all are in more than half the articles, or none is
    known)."""
    _total, freqs = index.doc_freqs()
    weights = index.idf([t for t in query_terms(text) if freqs.get(t)])
    whole = sum(weights.values())
    if whole <= 1e-3:
        return 0.0
    held = index.words(rowid)
    return sum(w for t, w in weights.items() if t in held) / whole


Reading = tuple[tuple[float, ...], float]  # the logistic model's weights and bias


def _fit_reading(rows: list[Weighed]) -> Reading:
    """The reading fitted on the rows past the guards with a first article: was it right."""
    usable = [(r, r.gate) for r in rows if r.reading and r.gate]
    x = np.asarray([r.reading for r, _ in usable], np.float64)
    y = np.asarray([r.answerable and gate[1] in r.right for r, gate in usable], np.float64)
    weights, bias = fit_logistic(x, y, l2=1.0)
    return tuple(float(w) for w in weights), float(bias)


def _read(model: Reading, row: Weighed) -> float:
    z = model[1] + sum(w * f for w, f in zip(model[0], row.reading, strict=True))
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def _with_reading(rows: list[Weighed], scored: dict[int, float], at: float) -> Counter[str]:
    """What ships sends, or else the gate's first article where the reading reaches ``at``."""
    found: Counter[str] = Counter()
    for row in rows:
        article = sent_by(row, SHIPPED_RULE)
        if article is None and row.gate and scored.get(id(row), 0.0) >= at:
            article = row.gate[1]
        if article is not None:
            found[row.outcome(article)] += 1
    return found


def _pick_reading(by_centre: dict[str, list[Weighed]]) -> float:
    """The threshold, on these centres' out-of-centre scores, that sends the most right replies
    while ``precise`` (the surer first on a tie)."""
    scored: dict[int, float] = {}
    for left in by_centre:
        model = _fit_reading([r for n, w in by_centre.items() if n != left for r in w])
        scored |= {id(r): _read(model, r) for r in by_centre[left] if r.reading}
    pooled = [r for w in by_centre.values() for r in w]
    best: tuple[int, float] | None = None
    for at in READING_GRID:
        found = _with_reading(pooled, scored, at)
        if precise(found) and (best is None or found["right"] > best[0]):
            best = (found["right"], at)
    return NEVER if best is None else best[1]


def _counts(found: Counter[str]) -> list[int]:
    return [found[k] for k in ("right", "wrong", "unwanted")]


def answers_answerable(argv: list[str]) -> int:
    if "--help" in argv or "-h" in argv:
        print(ANSWERS_ANSWERABLE_DOC)
        return 0
    heldout = "--heldout" in argv
    wanted = [c for c in _threshold_centres() if c[0] in THRESHOLD_DEV or heldout]
    with tempfile.TemporaryDirectory() as tmp:
        weighed = {c[0]: _weighed(c, "llm", Path(tmp)) for c in wanted}
    dev = {n: w for n, w in weighed.items() if n in THRESHOLD_DEV}
    table: dict[str, Any] = {}
    for left in dev:
        others = {n: w for n, w in dev.items() if n != left}
        at = _pick_reading(others)
        model = _fit_reading([r for w in others.values() for r in w])
        scored = {id(r): _read(model, r) for r in dev[left] if r.reading}
        table[f"{left}, left out"] = {
            "threshold picked on the others": at,
            "before": _counts(tally(dev[left], SHIPPED_RULE)),
            "after": _counts(_with_reading(dev[left], scored, at)),
        }
    at = _pick_reading(dev)
    model = _fit_reading([r for w in dev.values() for r in w])
    table["on all five"] = {
        "threshold": at,
        "weights": [round(w, 4) for w in model[0]],
        "bias": round(model[1], 4),
    }
    # The model fitted on all five, read back on each of them at the threshold picked on their
    # out-of-centre scores: what shipping it would send there.
    for name, rows in dev.items():
        scored = {id(r): _read(model, r) for r in rows if r.reading}
        table[f"{name}, the model of all five"] = {
            "before": _counts(tally(rows, SHIPPED_RULE)),
            "after": _counts(_with_reading(rows, scored, at)),
        }
    for name in (n for n in weighed if n not in dev):
        scored = {id(r): _read(model, r) for r in weighed[name] if r.reading}
        table[f"{name}, held out"] = {
            "before": _counts(tally(weighed[name], SHIPPED_RULE)),
            "after": _counts(_with_reading(weighed[name], scored, at)),
        }
    print(json.dumps(table, indent=2))
    return 0


# solved_figures ----------------------------------------------------------------------------------

SOLVED_FIGURES_DOC = """\
Similar solved tickets: how often one of the (at most three) solved tickets the note shows was
solved the way the new ticket needs, on labelled histories the threshold was not chosen on.

    python -m scripts.figures solved_figures [--floor 0.3] [--json]

Each ticket in turn is the new one, every other ticket of its set the solved history (leave one
out, ``ticket_processor/solved/evaluate.py``). "Solved the same way": the same label: the
help-centre article the agent's reply sent (the six held-out help centres of tests/data, the
project's own writing, written blind to this feature: 30 answerable, 5 angry and 5 assigned
tickets each labelled, 20 needing a person as look-alikes), or the intent a bank answers with
one reply template (tests/data/banking77.jsonl, BANKING77's train split, CC BY 4.0). Counted:
tickets whose kind has history (another ticket of its label). The development sets the floor
was chosen on (tests/data/answers_tickets.jsonl; bitext.jsonl's intents) are shown apart.
"""


def _solved_sets() -> dict[str, tuple[str, list[str], list[str | None]]]:
    from ticket_processor.solved.evaluate import encoded_text

    sets: dict[str, tuple[str, list[str], list[str | None]]] = {}
    for name in ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6"):
        rows = _jsonl(DATA / SANDBOX_CENTRES[name][1])
        texts = [encoded_text(r["subject"], r["description"]) for r in rows]
        sets[f"answers_{name}"] = ("held out", texts, [r["answer_article"] for r in rows])
    for name, kind in (("banking77", "held out"), ("bitext", "development")):
        rows = _jsonl(DATA / f"{name}.jsonl")
        texts = [encoded_text(r["subject"], r["description"]) for r in rows]
        sets[name] = (kind, texts, [r["labels"]["subcategory"] for r in rows])
    rows = _jsonl(DATA / "answers_tickets.jsonl")
    texts = [encoded_text(r["subject"], r["description"]) for r in rows]
    sets["answers"] = ("development", texts, [r["answer_article"] for r in rows])
    return sets


def solved_figures(argv: list[str]) -> int:
    if "--help" in argv or "-h" in argv:
        print(SOLVED_FIGURES_DOC)
        return 0
    from ticket_processor.learned.embed import embed_texts
    from ticket_processor.solved.evaluate import SolvedFigures, leave_one_out
    from ticket_processor.solved.lookup import MIN_SIMILARITY

    floor = float(argv[argv.index("--floor") + 1]) if "--floor" in argv else MIN_SIMILARITY
    table: dict[str, dict[str, Any]] = {}
    pooled = {"held out": SolvedFigures(0, 0, 0), "development": SolvedFigures(0, 0, 0)}
    for name, (kind, texts, labels) in _solved_sets().items():
        found = leave_one_out(texts, labels, embed_texts, floor=floor)
        if name.startswith("answers_"):
            pooled["held out"] = pooled["held out"] + found
        elif kind == "development":
            pooled["development"] = pooled["development"] + found
        table[name] = {
            "set": kind,
            "tickets": found.tickets,
            "hit@3": found.hit_at_3,
            "none shown": found.none_shown_share,
        }
    centres = pooled["held out"]
    table["six held-out help centres"] = {
        "set": "held out",
        "tickets": centres.tickets,
        "hit@3": centres.hit_at_3,
        "none shown": centres.none_shown_share,
    }
    if "--json" in argv:
        print(json.dumps({"floor": floor, "sets": table}, indent=2))
        return 0
    print(f"floor {floor}")
    print(f"{'set':<28} {'kind':<12} {'tickets':>7} {'hit@3':>6} {'none shown':>10}")
    for name, row in table.items():
        print(
            f"{name:<28} {row['set']:<12} {row['tickets']:>7} {row['hit@3']:>6.3f} "
            f"{row['none shown']:>10.3f}"
        )
    return 0
