"""The answers' threshold, chosen leave-one-help-centre-out and read on the centre left out."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts import command_parser
from scripts.figures_answer_centres import (
    DATA,
    SANDBOX_CENTRES,
    HelpCentre,
    _jsonl,
    help_centres,
    idf_held,
    index_centre,
)
from scripts.figures_answer_walls import _engine
from scripts.figures_answers import _sending
from ticket_processor.answers.calibration import SHIPPED
from ticket_processor.answers.evaluate import _right
from ticket_processor.answers.gate import load_gate
from ticket_processor.answers.person_head import shipped_reader
from ticket_processor.answers.plan import cues, decide
from ticket_processor.answers.policy import DEFAULT_THRESHOLD as POLICY_THRESHOLD
from ticket_processor.kb.dense import (
    retrieve,
)
from ticket_processor.kb.retrieve import ticket_text
from ticket_processor.kb.search import lookup
from ticket_processor.kb.text import words
from ticket_processor.learned.embed import embed_texts
from ticket_processor.models import Ticket
from ticket_processor.triage.language import detect_language
from ticket_processor.triage.prepare import prepare_ticket

# answers_thresholds ------------------------------------------------------------------------------

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
    person = shipped_reader()  # the person-needed head, as a run without an LLM reads it
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
            found_cues = cues(subject, body, lambda _t, r=ranked: r, person)  # type: ignore[misc]
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
    parser = command_parser("answers_thresholds")
    parser.add_argument("--engine", default="llm", help="the engine the rows are triaged by")
    parser.add_argument("--dev", action="store_true", help="choose on the dev centres alone")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        weighed = {c[0]: _weighed(c, options.engine, Path(tmp)) for c in _threshold_centres()}
    dev = options.dev
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
