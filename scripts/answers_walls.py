"""Per answerable ticket of a dev help centre, which refusal stops its answer, and why.

    python scripts/answers_walls.py --centre heldout [--engine llm|rules] [--all]
    python scripts/answers_walls.py --centre heldout5 --counts   # aggregates only
    python scripts/answers_walls.py --centre heldout5 --counts --all   # the gate's ceiling
    python scripts/answers_walls.py --person-text   # the words alone: answerable or a person's

For each answerable ticket of the centre (``--all``: every ticket) it prints, with a default
run's engine when no LLM is configured (``llm``: the bundled learned model; ``rules``: the
keyword rules): the triage's category and its confidence against the threshold ``triage_unsure``
reads (the category's apply threshold for a calibrated engine, else
``TICKETBOT_CONFIDENCE_THRESHOLD``'s default, 0.5); the keyword lookup's suggestions (what the
calibration chooses from: none is ``no_article``) with the best one's share and the content
words it shares; where the right article stands in the keyword, vector and fused rankings;
the shipped gate's and the shipped calibration's probabilities; and the refusal each chooser
gives. Then the counts by refusal. Ticket by ticket only on the dev centres (``answers``,
``heldout``, ``heldout2``); ``--counts`` prints only the counts (by refusal, and how many of
those stopped had the right article first, were not in English, were triaged ``how_to``): what
a held-out centre, scored by aggregates only, may be read with. ``--counts --all`` reads every
ticket of the centre and prints, counted, what the gate could send at best: over the tickets
past the triage and the guards, how many right, wrong-article and unwanted replies each gate
probability lets through, the threshold chosen on the centre itself (an oracle, no figure to
ship) that sends the most right replies with at most one wrong article and none where none
belongs, and the same had no ticket needing a person got past the guards. ``--person-text``
measures whether the ticket's words alone tell the two apart (the encoder's vectors, a logistic
regression fitted on two dev centres and read on the third as the area under the ROC curve).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from answers_figures import DATA, SANDBOX_CENTRES, _jsonl, bundled_assess, index_centre

from ticket_processor.answers.calibration import SHIPPED
from ticket_processor.answers.evaluate import _right
from ticket_processor.answers.gate import load_gate
from ticket_processor.answers.plan import Circumstances, cues, decide
from ticket_processor.answers.policy import AnswersPolicy
from ticket_processor.kb.dense import retrieve
from ticket_processor.kb.retrieve import ticket_text
from ticket_processor.kb.search import lookup, rank
from ticket_processor.kb.text import query_terms, words
from ticket_processor.learned.embed import embed_texts
from ticket_processor.models import Ticket, Triage
from ticket_processor.triage.language import detect_language
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import load_taxonomy

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
    counts: dict[str, Counter[str]] = {"calibration": Counter(), "gate": Counter()}
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
            for chooser, with_gate, calibration in (
                ("calibration", None, SHIPPED),
                ("gate", gate, None),
            ):
                where = Circumstances(
                    mode="send",
                    threshold=policy.threshold_for(triage.analysis.category),
                    escalated=False,
                    requester_is_agent=False,
                    requester_answered_at=None,
                    answered_here=False,
                    now=0.0,
                    prefix="ai_",
                    calibration=calibration,
                    gate=with_gate,
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
                            round(s.share, 3),
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


def main(argv: list[str]) -> int:
    if "--help" in argv or "-h" in argv or not ({"--centre", "--person-text"} & set(argv)):
        print(__doc__)
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
        print(json.dumps(result["counts"] | {"walls": aggregates(result["tickets"])}, indent=2))
        return 0
    for row in result["tickets"]:
        print(json.dumps(row, ensure_ascii=False))
    print(json.dumps(result["counts"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
