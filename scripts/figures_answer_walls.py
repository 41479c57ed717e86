"""The answers' walls on the sandbox (what a run mails, right and wrong) and the solved tickets'
figures."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from scripts.figures_answer_centres import DATA, DEV, SANDBOX_CENTRES, _jsonl, index_centre
from scripts.figures_answers import _sending, bundled_assess
from ticket_processor.answers.calibration import SHIPPED
from ticket_processor.answers.evaluate import _right
from ticket_processor.answers.gate import load_gate
from ticket_processor.answers.plan import cues, decide
from ticket_processor.answers.policy import AnswersPolicy
from ticket_processor.kb.dense import (
    retrieve,
)
from ticket_processor.kb.retrieve import ticket_text
from ticket_processor.kb.search import DEFAULT_THRESHOLD, MIN_SHARED_TERMS, lookup, rank
from ticket_processor.kb.text import query_terms, words
from ticket_processor.learned.embed import embed_texts
from ticket_processor.models import Ticket, Triage
from ticket_processor.triage.language import detect_language
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import load_taxonomy

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


# solved_figures ----------------------------------------------------------------------------------

SOLVED_FIGURES_DOC = """\
Similar solved tickets: how often one of the (at most three) solved tickets the note shows was
solved the way the new ticket needs, on labelled histories the threshold was not chosen on.

    python -m scripts.figures solved_figures [--floor 0.3] [--shared-words] [--json]

"unrelated shown": the share still shown a solved ticket with every ticket solved its way taken
out of the history. The cosine floor alone decides, as by default; --shared-words: as with
TICKETBOT_SOLVED_SHARED_WORDS (``solved.lookup.related``).

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
    encoder_only = "--shared-words" not in argv
    table: dict[str, dict[str, Any]] = {}
    pooled = {"held out": SolvedFigures(0, 0, 0), "development": SolvedFigures(0, 0, 0)}
    for name, (kind, texts, labels) in _solved_sets().items():
        found = leave_one_out(texts, labels, embed_texts, floor=floor, encoder_only=encoder_only)
        if name.startswith("answers_"):
            pooled["held out"] = pooled["held out"] + found
        elif kind == "development":
            pooled["development"] = pooled["development"] + found
        table[name] = {
            "set": kind,
            "tickets": found.tickets,
            "hit@3": found.hit_at_3,
            "none shown": found.none_shown_share,
            "unrelated shown": found.unrelated_shown,
        }
    centres = pooled["held out"]
    table["six held-out help centres"] = {
        "set": "held out",
        "tickets": centres.tickets,
        "hit@3": centres.hit_at_3,
        "none shown": centres.none_shown_share,
        "unrelated shown": centres.unrelated_shown,
    }
    if "--json" in argv:
        print(json.dumps({"floor": floor, "encoder only": encoder_only, "sets": table}, indent=2))
        return 0
    print(f"floor {floor}" + (", the encoder alone" if encoder_only else ", with shared words"))
    print(f"{'set':<28} {'kind':<12} {'tickets':>7} {'hit@3':>6} {'none shown':>10} unrelated")
    for name, row in table.items():
        print(
            f"{name:<28} {row['set']:<12} {row['tickets']:>7} {row['hit@3']:>6.3f} "
            f"{row['none shown']:>10.3f} {row['unrelated shown']:>9.3f}"
        )
    return 0
