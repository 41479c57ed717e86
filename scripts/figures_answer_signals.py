"""The answers' candidate signals and answerability readings, measured leave-one-help-centre-out."""

from __future__ import annotations

import json
import math
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scripts import command_parser
from scripts.figures_answer_centres import (
    DATA,
    SANDBOX_CENTRES,
    HelpCentre,
    _jsonl,
    help_centres,
    index_centre,
)
from scripts.figures_answer_thresholds import (
    NEVER,
    THRESHOLD_DEV,
    Rule,
    Weighed,
    _threshold_centres,
    _weighed,
    precise,
    sent_by,
    tally,
)
from scripts.figures_answers import PRECISION_BAR, _out_of_centre_gate, _sending, _sent_figures
from ticket_processor.answers.compose import excerpt
from ticket_processor.answers.evaluate import _CHOSEN, _right
from ticket_processor.answers.gate import TWIN, Gate, load_gate
from ticket_processor.answers.plan import cues, decide
from ticket_processor.answers.policy import DEFAULT_THRESHOLD as POLICY_THRESHOLD
from ticket_processor.kb.dense import (
    STATS_KEY,
    PassageStats,
    retrieve,
)
from ticket_processor.kb.index import ArticleIndex
from ticket_processor.kb.retrieve import ticket_text
from ticket_processor.kb.search import lookup
from ticket_processor.kb.text import query_terms, words
from ticket_processor.learned.embed import embed_texts
from ticket_processor.learned.logistic import fit_logistic
from ticket_processor.models import Ticket, Triage
from ticket_processor.triage.language import detect_language
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import load_taxonomy

# answers_signals ---------------------------------------------------------------------------------

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
    parser = command_parser("answers_signals")
    parser.add_argument("--public", type=Path, help="the public help centres' folder (needed)")
    public = parser.parse_args(argv).public
    if public is None:
        parser.print_help()
        return 0
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


# answers_answerable -----------------------------------------------------------------------------

# What ships: the calibration at the policy's 0.9 confirmed by the gate at ``CONFIRM_AT``, or
# else the gate's first article from ``GATE_ALONE_AT``, or from ``QUESTION_AT`` for a question.
SHIPPED_RULE: Rule = ("asked", POLICY_THRESHOLD, 0.55, 0.96, 0.9)
READING_GRID = (NEVER, *(round(0.99 - 0.01 * n, 2) for n in range(50)))


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
    parser = command_parser("answers_answerable")
    parser.add_argument("--heldout", action="store_true", help="and heldout3..6, counts only")
    heldout = parser.parse_args(argv).heldout
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
