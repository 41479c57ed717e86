"""The answers' figures: the gate fitted and measured leave-one-help-centre-out.

The help centres they read, the own-case and fusion figures are in ``figures_answer_centres.py``;
the signals and answerability in ``figures_answer_signals.py``, the walls and solved tickets in
``figures_answer_walls.py``, the threshold in ``figures_answer_thresholds.py``."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from scripts.figures_answer_centres import (
    DATA,
    SANDBOX_CENTRES,
    HelpCentre,
    _jsonl,
    help_centres,
    index_centre,
    sandbox_run,
)
from ticket_processor.answers.calibration import SHIPPED
from ticket_processor.answers.evaluate import AnswersReport, evaluate
from ticket_processor.answers.gate import GATE_FILE, Gate, fit_gate, load_gate
from ticket_processor.answers.own_case import own_case
from ticket_processor.answers.plan import Circumstances
from ticket_processor.answers.policy import AnswersPolicy
from ticket_processor.learned.embed import embed_texts
from ticket_processor.models import Analysis, Triage
from ticket_processor.triage.confidence import Calibration
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


# answers_gate -------------------------------------------------------------------------------------
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
