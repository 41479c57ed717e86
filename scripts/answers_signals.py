"""Right-vs-wrong first-article signals, measured leave-one-help-centre-out on the dev centres.

    python scripts/answers_signals.py --public /work/data/answers

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

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from answers_figures import (
    DATA,
    PRECISION_BAR,
    SANDBOX_CENTRES,
    HelpCentre,
    _jsonl,
    _out_of_centre_gate,
    _sent_figures,
    help_centres,
    index_centre,
)

from ticket_processor.answers.compose import excerpt
from ticket_processor.answers.evaluate import _CHOSEN, _right
from ticket_processor.answers.gate import TWIN, Gate, load_gate
from ticket_processor.answers.plan import Circumstances, cues, decide
from ticket_processor.kb.dense import STATS_KEY, PassageStats, retrieve
from ticket_processor.kb.index import ArticleIndex
from ticket_processor.kb.retrieve import ticket_text
from ticket_processor.kb.search import lookup
from ticket_processor.kb.text import query_terms, words
from ticket_processor.learned.embed import embed_texts
from ticket_processor.models import Ticket, Triage
from ticket_processor.triage.language import detect_language
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import load_taxonomy

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
            where = Circumstances(
                mode="send",
                threshold=0.9,
                escalated=False,
                requester_is_agent=False,
                requester_answered_at=None,
                answered_here=False,
                now=0.0,
                prefix="ai_",
                gate=shipped,
            )
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


Candidate = tuple[Callable[[Row, SelfRead], tuple[float, ...]], Callable[[Row], bool]]


def _percentile(value: float, own: np.ndarray[Any, np.dtype[np.float64]]) -> float:
    return float(np.searchsorted(own, value) / len(own)) if len(own) else 0.5


CANDIDATES: dict[str, Candidate] = {
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
    rows: dict[str, list[Row]], selves: dict[str, SelfRead], candidate: Candidate
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


def main(argv: list[str]) -> int:
    if "--help" in argv or "-h" in argv or "--public" not in argv:
        print(__doc__)
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
