"""The answers' figures: the gate fitted and measured leave-one-help-centre-out.

The help centres they read, the own-case and fusion figures are in ``figures_answer_centres.py``;
the signals and answerability in ``figures_answer_signals.py``, the walls and solved tickets in
``figures_answer_walls.py``, the threshold in ``figures_answer_thresholds.py``."""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from scripts import command_parser
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


def _answers_parser() -> argparse.ArgumentParser:
    parser = command_parser("answers_figures")
    parser.add_argument("--public", type=Path, help="the public help centres' folder")
    parser.add_argument("--guards", action="store_true", help="what each guard stops, per centre")
    parser.add_argument("--centre", help="one sandbox centre (--guards, --run)")
    parser.add_argument("--run", metavar="KIND", help="a run on a sandbox of KIND")
    parser.add_argument("--chooser", default="calibration", help="what chooses (--run)")
    parser.add_argument("--engine", default="rules", help="the triage engine (--run)")
    parser.add_argument("--dev-heldout", action="store_true", help="and heldout, heldout2")
    parser.add_argument("--without-own-case", action="store_true", help="the own-case cue off")
    parser.add_argument("--own-case-feature", action="store_true", help="the cue as a feature")
    parser.add_argument("--pick", action="store_true", help="pick on rows every guard passed")
    parser.add_argument("--skip-heldout", action="store_true", help="no held-out centre read")
    parser.add_argument("--write", action="store_true", help="fit on every centre, write the gate")
    return parser


def answers_figures(argv: list[str]) -> int:
    options = _answers_parser().parse_args(argv)
    if options.guards:
        named = None
        if options.centre:
            articles, tickets = SANDBOX_CENTRES[options.centre]
            named = [(options.centre, _jsonl(DATA / articles), _jsonl(DATA / tickets))]
        print(json.dumps(guard_counts(options.public, named), indent=2))
        return 0
    if options.run:
        where = options.centre or "answers"
        figures = sandbox_run(options.run, options.chooser, where, options.engine)
        print(json.dumps(figures, indent=2))
        return 0
    public = options.public
    engine = RulesEngine(load_taxonomy(None))

    def analyse(subject: str, body: str) -> Analysis:
        return engine.analyse(subject, body)

    centres = help_centres(public)
    if options.dev_heldout:
        # the first two held-out centres, looked at since: dev centres now (never 3 and 4)
        centres += [
            (name, _jsonl(DATA / SANDBOX_CENTRES[name][0]), _jsonl(DATA / SANDBOX_CENTRES[name][1]))
            for name in ("heldout", "heldout2")
        ]
    own_case = not options.without_own_case
    table: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        reports = {c[0]: _run(c, tmp, None, analyse, own_case=own_case) for c in centres}
        rows = {name: report.gate_rows for name, report in reports.items()}
        passed = {name: report.passed for name, report in reports.items()}
        if options.own_case_feature:
            print(json.dumps(own_case_feature(centres, rows), indent=2))
            return 0
        for centre in centres:
            table |= _centre_figures(
                centre, rows, tmp, analyse, pick=options.pick, passed=passed, own_case=own_case
            )
        held = DATA / SANDBOX_CENTRES["heldout"][0], DATA / SANDBOX_CENTRES["heldout"][1]
        shipped_gate = load_gate()
        measure_held = not options.write and not options.skip_heldout
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
        if options.write:
            shipped = _out_of_centre_gate(rows, set())
            GATE_FILE.write_bytes(orjson.dumps(shipped.as_json(), option=orjson.OPT_INDENT_2))
            table["written"] = str(GATE_FILE)
    print(json.dumps(table, indent=2))
    return 0
