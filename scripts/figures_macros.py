"""The macros' figure: the suggested macro measured on tickets in an agent's own words."""

from __future__ import annotations

import dataclasses
import html
import json
import os
import tempfile
import time
from itertools import product as itertools_product
from pathlib import Path
from typing import Any

import numpy as np

from scripts import command_parser
from ticket_processor.run.connect import connect, load_settings

# macros_eval -------------------------------------------------------------------------------------

MACRO_SETS = ("bitext", "banking77")
ROOT_DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def _macro_set(name: str) -> tuple[Any, dict[int, int | None], dict[str, Any]]:
    from ticket_processor.learned.embed import embed_texts
    from ticket_processor.macros.evaluate import LabelledRow, labelled_book

    data = ROOT_DATA / f"macros_{name}.json"
    meta = json.loads(data.read_text())
    rows = [
        LabelledRow(**json.loads(line))
        for line in (ROOT_DATA / f"macros_{name}_tickets.jsonl").open()
    ]
    texts = {m["intent"]: (m["title"], m["text"]) for m in meta["macros"]}
    book, kinds = labelled_book(rows, texts, embed_texts)
    return book, kinds, meta


def _fit_calibration(book: Any, kinds: dict[int, int | None], tuning: Any) -> tuple[float, float]:
    """A logistic curve from a macro's vote share to whether it is the ticket's macro, fitted
    on every (held-out ticket, macro with a share) pair by gradient descent."""
    from ticket_processor.macros.evaluate import split_by_time

    past, judged = split_by_time(book)
    matcher = book.matcher(tuning, rows=past)
    shares, right = [], []
    for row in judged:
        truth = kinds[book.history[row].ticket_id]
        for macro_id, share in matcher.shares(book.history_vectors[row]).items():
            shares.append(share)
            right.append(int(macro_id == truth))
    x, y = np.asarray(shares), np.asarray(right)
    slope, offset = 1.0, 0.0
    for _ in range(3000):
        p = 1 / (1 + np.exp(-(slope * x + offset)))
        slope -= 2 * float(((p - y) * x).mean())
        offset -= 2 * float((p - y).mean())
    return round(slope, 1), round(offset, 1)


# History sizes (solved tickets before the held-out quarter) of the tag's learning curve, and
# how many windows of each size, ending at different points of the past, are measured.
CURVE_SIZES = (8, 16, 24, 32, 48, 64, 96, 128, 192, 256)
CURVE_WINDOWS = 3


def _macros_curve(name: str) -> dict[str, Any]:
    """How often the tag (the best suggestion at ``APPLY_AT`` or more) names the ticket's
    macro when the matching learned from a short history: windows of the past of each size,
    judged on the same held-out quarter. ``apply_after``: the fewest tickets answered with a
    macro from which every window's tags were right at least nine times in ten."""
    from ticket_processor.macros.evaluate import split_by_time
    from ticket_processor.macros.step import APPLY_AT

    book, kinds, meta = _macro_set(name)
    past, judged = split_by_time(book)
    windows = [(len(past), 0)] + [
        (size, n)
        for size in CURVE_SIZES
        for n in range(CURVE_WINDOWS)
        if size * (n + 1) <= len(past)
    ]
    rows: list[dict[str, Any]] = []
    for size, n in windows:
        end = len(past) - n * size
        learned = past[end - size : end]
        matcher = book.matcher(rows=learned)
        tagged = right = 0
        stated: list[float] = []  # the best suggestion's confidence, and whether it was right
        held: list[int] = []
        for row in judged:
            shown = matcher.suggest(book.history_vectors[row])
            if not shown:
                continue
            hit = int(shown[0].macro_id == kinds[book.history[row].ticket_id])
            stated.append(shown[0].confidence)
            held.append(hit)
            if shown[0].confidence >= APPLY_AT:
                tagged += 1
                right += hit
        matched = sum(book.history[r].macro_id is not None for r in learned)
        rows.append(
            {
                "history": size,
                "answered_with_a_macro": matched,
                "tags": tagged,
                "right": round(right / tagged, 3) if tagged else None,
                "best_stated": round(float(np.mean(stated)), 3) if stated else None,
                "best_right": round(float(np.mean(held)), 3) if held else None,
            }
        )
    rows.sort(key=lambda r: r["answered_with_a_macro"])
    apply_after = None
    for at, window in enumerate(rows):
        if all(r["right"] is None or r["right"] >= 0.9 for r in rows[at:]):
            apply_after = window["answered_with_a_macro"]
            break
    return {
        "source": meta["source"],
        "licence": meta["licence"],
        "apply_after": apply_after,
        "windows": rows,
    }


def macros_eval(argv: list[str] | None = None) -> int:
    from ticket_processor.macros.evaluate import evaluate
    from ticket_processor.macros.match import Tuning

    parser = command_parser("macros_eval")
    parser.add_argument("--tune", action="store_true", help="the grid on the tuning history")
    parser.add_argument("--desk", choices=("zendesk", "freshdesk"), help="end to end on a sandbox")
    parser.add_argument(
        "--curve", action="store_true", help="the tag's precision against the history's length"
    )
    args = parser.parse_args(argv)
    if args.curve:
        print(json.dumps({name: _macros_curve(name) for name in MACRO_SETS}, indent=2))
        return 0
    if args.desk:
        print(json.dumps(_macros_on_desk(args.desk, "banking77"), indent=2))
        return 0
    if args.tune:
        book, kinds, _ = _macro_set("bitext")
        for neighbours, spread, floor in itertools_product(
            (5, 10), (0.05, 0.1, 0.15, 0.2), (0.4, 0.5, 0.6)
        ):
            base = Tuning(neighbours, spread, floor, 0.0)
            curve = _fit_calibration(book, kinds, base)
            for suggest_at in (0.1, 0.15, 0.2, 0.25, 0.3):
                tuning = dataclasses.replace(base, suggest_at=suggest_at, calibration=curve)
                found = evaluate(book, tuning, kinds=kinds).as_dict()
                print(
                    json.dumps(
                        {
                            "neighbours": neighbours,
                            "spread": spread,
                            "floor": floor,
                            "calibration": curve,
                            "suggest_at": suggest_at,
                            "hit_at_3": found["hit_at_3"],
                            "no_macro_none": found["no_macro_none"],
                        }
                    )
                )
        return 0
    table: dict[str, Any] = {}
    for name in MACRO_SETS:
        book, kinds, meta = _macro_set(name)
        role = "tuned on" if name == "bitext" else "held out: never tuned on"
        table[name] = {
            "source": meta["source"],
            "licence": meta["licence"],
            "role": role,
            "tickets": len(book.history),
            "macros": len(book.macros),
            **evaluate(book, kinds=kinds).as_dict(),
        }
    print(json.dumps(table, indent=2))
    return 0


def _post_macro(kind: str, desk: Any, title: str, text: str) -> int:
    """One shared, public macro through the helpdesk's own API."""
    import requests

    env = desk.env()
    if kind == "zendesk":
        answer = requests.post(
            f"{desk.url}/api/v2/macros.json",
            json={
                "macro": {"title": title, "actions": [{"field": "comment_value", "value": text}]}
            },
            auth=(f"{env['ZENDESK_EMAIL']}/token", env["ZENDESK_API_TOKEN"]),
            timeout=(5, 30),
        )
        answer.raise_for_status()
        return int(answer.json()["macro"]["id"])
    auth = (env["FRESHDESK_API_KEY"], "X")
    folders = requests.get(f"{desk.url}/api/v2/canned_response_folders", auth=auth, timeout=30)
    general = next(f["id"] for f in folders.json() if f["name"] == "General")
    answer = requests.post(
        f"{desk.url}/api/v2/canned_responses",
        json={"title": title, "content_html": f"<p>{html.escape(text)}</p>", "folder_id": general},
        auth=auth,
        timeout=(5, 30),
    )
    answer.raise_for_status()
    return int(answer.json()["id"])


def _macros_on_desk(kind: str, name: str) -> dict[str, Any]:
    """The made history of ``name`` on a ``kind`` sandbox, synced and evaluated end to end."""
    from ticket_processor.helpdesks.registry import KINDS
    from ticket_processor.learned.embed import embed_texts
    from ticket_processor.macros.book import load as load_book
    from ticket_processor.macros.evaluate import LabelledRow, evaluate, labelled_history
    from ticket_processor.macros.sync import sync_macros
    from ticket_processor.sandbox.desks import NewTicket, serve_desk

    meta = json.loads((ROOT_DATA / f"macros_{name}.json").read_text())
    rows = [
        LabelledRow(**json.loads(line))
        for line in (ROOT_DATA / f"macros_{name}_tickets.jsonl").open()
    ]
    texts = {m["intent"]: (m["title"], m["text"]) for m in meta["macros"]}
    made, history, intents = labelled_history(rows, texts)
    start = time.time() - 86400 - 3600 * len(history)
    with (
        tempfile.TemporaryDirectory() as state,
        serve_desk(KINDS[kind], seed=None, unlimited=True) as desk,
    ):
        ids = {m.id: _post_macro(kind, desk, m.title, m.text) for m in made}
        kinds: dict[int, int | None] = {}
        for n, solved in enumerate(history):
            moment = start + 3600 * n
            reply = solved.replies[0].body
            ticket_id = desk.import_answered(
                NewTicket("", solved.ticket.description), [(reply, moment + 600)], moment + 1200
            )
            macro = intents[solved.ticket.id]
            kinds[ticket_id] = ids[macro] if macro is not None else None
        helpdesk = connect(load_settings({**os.environ, **desk.env()}))
        try:
            report = sync_macros(helpdesk, Path(state), embed_texts)
        finally:
            helpdesk.close()
        scores = evaluate(load_book(Path(state)), kinds=kinds).as_dict()
    return {
        "desk": kind,
        "history": meta["source"],
        "licence": meta["licence"],
        "synced": report.as_event(),
        **scores,
    }
