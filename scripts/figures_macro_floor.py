"""``macro_floor``: the suggested macros' floors chosen on a dev history (Bitext) and measured
on histories held out by source (BANKING77, the sandbox's sample macros), each read with known
and with new kinds of tickets; the method and its figures are in
docs/explanation/measurements/macros.md.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from scripts import command_parser

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
NEIGHBOUR_FLOORS = (0.4, 0.45, 0.5, 0.55, 0.6)
SHOW_FLOORS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
# The rule, stated before reading a held-out figure: on both dev readings, at least this shown
# precision and at least this tag precision; among those points, the best hit@3 on known kinds.
SHOWN_TARGET = 0.8
TAG_TARGET = 0.9

# New tickets for the sample history: kinds its macros do not answer (the reviewers' "Card
# payment declined" and "Order late" among them), and two its macros do.
SAMPLE_NEW = (
    ("Card payment declined", "My card payment was declined when I tried to pay for my order.", 0),
    ("payment declined", "payment declined", 0),
    ("Order late", "My order has not arrived yet, it is a week late.", 0),
    ("Change my delivery address", "Can I still change the address my parcel goes to?", 0),
    ("Where is my refund?", "I returned the shoes two weeks ago and have no refund yet.", 1),
    ("Refund please", "Please refund my last payment, the product did not work.", 1),
    ("Forgot password", "I forgot my password and the login page does not accept it.", 2),
    ("Invoice copy", "Please send me a copy of my invoice for October.", 3),
)


def _set(name: str) -> tuple[Any, dict[int, int | None], dict[str, Any]]:
    from ticket_processor.learned.embed import embed_texts
    from ticket_processor.macros.evaluate import LabelledRow, labelled_book

    meta = json.loads((DATA / f"macros_{name}.json").read_text())
    rows = [
        LabelledRow(**json.loads(line)) for line in (DATA / f"macros_{name}_tickets.jsonl").open()
    ]
    texts = {m["intent"]: (m["title"], m["text"]) for m in meta["macros"]}
    book, kinds = labelled_book(rows, texts, embed_texts)
    intents = {n + 1: row.intent for n, row in enumerate(_order(rows))}
    meta["intent_of"] = intents
    return book, kinds, meta


def _order(rows: list[Any]) -> list[Any]:
    """The rows in ``labelled_history``'s seeded order (ticket n + 1 is row n)."""
    import random

    order = list(rows)
    random.Random(7).shuffle(order)
    return order


def _pasts(book: Any, meta: dict[str, Any]) -> dict[str, tuple[list[int], list[int]]]:
    from ticket_processor.macros.evaluate import split_by_time

    past, judged = split_by_time(book)
    unseen = set(sorted(meta["no_macro"])[::2])
    intent_of = meta["intent_of"]
    new_past = [r for r in past if intent_of[book.history[r].ticket_id] not in unseen]
    new_judged = [
        r
        for r in judged
        if intent_of[book.history[r].ticket_id] in unseen or book.history[r].macro_id
    ]
    return {"known kinds": (past, judged), "new kinds": (new_past, new_judged)}


def fit_curve(matcher: Any, vectors: Any, truths: list[int | None]) -> tuple[float, float]:
    """A logistic curve from a macro's vote share to whether it is the ticket's macro, fitted
    on every (ticket, macro with a share) pair by gradient descent."""
    shares, right = [], []
    for vector, truth in zip(vectors, truths, strict=True):
        for macro_id, share in matcher.shares(vector).items():
            shares.append(share)
            right.append(int(macro_id == truth))
    if not shares:
        return (8.6, -3.1)
    x, y = np.asarray(shares), np.asarray(right)
    slope, offset = 1.0, 0.0
    for _ in range(3000):
        p = 1 / (1 + np.exp(-(slope * x + offset)))
        slope -= 2 * float(((p - y) * x).mean())
        offset -= 2 * float((p - y).mean())
    return round(slope, 1), round(offset, 1)


def measure(matcher: Any, vectors: Any, truths: list[int | None]) -> dict[str, Any]:
    from ticket_processor.macros.step import APPLY_AT

    with_macro = hit1 = hit3 = without = quiet = shown = shown_right = tags = tags_right = 0
    for vector, truth in zip(vectors, truths, strict=True):
        ids = [c.macro_id for c in matcher.suggest(vector)]
        best = matcher.suggest(vector)[:1]
        shown += len(ids)
        shown_right += sum(1 for i in ids if i == truth)
        if best and best[0].confidence >= APPLY_AT:
            tags += 1
            tags_right += int(best[0].macro_id == truth)
        if truth is None:
            without += 1
            quiet += int(not ids)
        else:
            with_macro += 1
            hit1 += int(ids[:1] == [truth])
            hit3 += int(truth in ids)

    def rate(part: int, whole: int) -> float | None:
        return round(part / whole, 3) if whole else None

    return {
        "with_macro": with_macro,
        "hit_at_1": rate(hit1, with_macro),
        "hit_at_3": rate(hit3, with_macro),
        "without_macro": without,
        "without_given_none": rate(quiet, without),
        "shown": shown,
        "shown_precision": rate(shown_right, shown),
        "tags": tags,
        "tag_precision": rate(tags_right, tags),
    }


def _readings(
    book: Any, kinds: dict[int, int | None], meta: dict[str, Any], tuning: Any
) -> dict[str, Any]:
    found = {}
    for reading, (past, judged) in _pasts(book, meta).items():
        matcher = book.matcher(tuning, rows=past)
        truths = [kinds[book.history[r].ticket_id] for r in judged]
        found[reading] = measure(matcher, book.history_vectors[judged], truths)
    return found


def grid(book: Any, kinds: dict[int, int | None], meta: dict[str, Any]) -> list[dict[str, Any]]:
    from ticket_processor.macros.evaluate import split_by_time
    from ticket_processor.macros.match import Tuning

    past, judged = split_by_time(book)
    truths = [kinds[book.history[r].ticket_id] for r in judged]
    points = []
    for floor in NEIGHBOUR_FLOORS:
        base = Tuning(floor=floor, suggest_at=0.0)
        curve = fit_curve(book.matcher(base, rows=past), book.history_vectors[judged], truths)
        for show in SHOW_FLOORS:
            tuning = dataclasses.replace(base, suggest_at=show, calibration=curve)
            points.append(
                {
                    "floor": floor,
                    "calibration": curve,
                    "suggest_at": show,
                    **_readings(book, kinds, meta, tuning),
                }
            )
    return points


def choose(points: list[dict[str, Any]]) -> dict[str, Any]:
    def fits(point: dict[str, Any]) -> bool:
        return all(
            (point[r]["shown_precision"] or 0) >= SHOWN_TARGET
            and (point[r]["tag_precision"] is None or point[r]["tag_precision"] >= TAG_TARGET)
            for r in ("known kinds", "new kinds")
        )

    fitting = [p for p in points if fits(p)] or points
    return max(fitting, key=lambda p: (p["known kinds"]["hit_at_3"] or 0, -p["suggest_at"]))


def sample_history(tuning: Any) -> dict[str, Any]:
    """The sandbox's sample macros and solved tickets as a sync reads them, and the new
    tickets of ``SAMPLE_NEW``: what each got."""
    import time

    from ticket_processor.learned.embed import embed_texts
    from ticket_processor.macros.sync import build_book, ticket_text
    from ticket_processor.models import AgentReply, HistoryTicket, Ticket
    from ticket_processor.models.ready_reply import ReadyReply

    rows = [
        json.loads(line) for line in (ROOT / "ticket_processor/samples/ready_replies.jsonl").open()
    ]
    macros = [
        ReadyReply(n + 1, r["title"], r["text"], True)
        for n, r in enumerate(r for r in rows if "reply" in r)
    ]
    by_kind = {
        r["reply"]: m for r, m in zip([r for r in rows if "reply" in r], macros, strict=True)
    }
    history = []
    for n, row in enumerate(r for r in rows if "solved" in r):
        said = by_kind[row["solved"]].text if row["solved"] else "I have sorted this out for you."
        ticket = Ticket(
            id=n + 1,
            subject=row["subject"],
            description=row["description"],
            status="solved",
            updated_at="2026-01-01T00:00:00Z",
        )
        history.append(
            HistoryTicket(
                ticket, (AgentReply(f"Hi,\n\n{said}\n\nSam", "2026-01-01T00:00:00Z", ()),)
            )
        )
    book = build_book(macros, history, embed_texts, time.time())
    vectors = embed_texts([ticket_text(s, d) for s, d, _ in SAMPLE_NEW])
    truths = [truth or None for _, _, truth in SAMPLE_NEW]
    matcher = book.matcher(tuning)
    shown = {
        subject: [(c.macro_id, c.confidence) for c in matcher.suggest(vector)]
        for (subject, _, _), vector in zip(SAMPLE_NEW, vectors, strict=True)
    }
    return {**measure(matcher, vectors, truths), "suggested": shown}


def macro_floor(argv: list[str] | None = None) -> int:
    from ticket_processor.macros.match import DEFAULT_TUNING, Tuning

    parser = command_parser("macro_floor")
    parser.add_argument("--grid", action="store_true", help="every point of the dev grid")
    args = parser.parse_args(argv)
    book, kinds, meta = _set("bitext")
    points = grid(book, kinds, meta)
    if args.grid:
        for point in points:
            print(json.dumps(point))
        return 0
    chosen = choose(points)
    tuning = Tuning(
        floor=chosen["floor"],
        suggest_at=chosen["suggest_at"],
        calibration=tuple(chosen["calibration"]),
    )
    shipped = DEFAULT_TUNING
    out: dict[str, Any] = {
        "rule": f"shown precision >= {SHOWN_TARGET} and tag precision >= {TAG_TARGET} on both "
        "dev readings, then the best hit@3",
        "chosen_on_dev": chosen,
        "shipped": dataclasses.asdict(shipped),
        "shipped_is_chosen": tuning == shipped,
        "held_out": {},
    }
    for name in ("banking77",):
        held, held_kinds, held_meta = _set(name)
        out["held_out"][name] = {
            "source": held_meta["source"],
            "licence": held_meta["licence"],
            **_readings(held, held_kinds, held_meta, shipped),
        }
    out["held_out"]["sandbox_sample"] = {
        "source": "ticket_processor/samples/ready_replies.jsonl and SAMPLE_NEW",
        "licence": "the project's licence",
        **sample_history(shipped),
    }
    print(json.dumps(out, indent=2))
    return 0
