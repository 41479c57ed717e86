"""How often each "own case" cue (``answers.own_case``) fires on answerable tickets and on
tickets that need a person, per help centre.

    python scripts/own_case_figures.py [--public DIR] [--show CENTRE]

Centres: the sandbox dev centres (``answers``, ``heldout``, ``heldout2``: ``answerable`` rows
against ``person`` rows; the angry and assigned ones left out), ``kb`` and ``bitext`` from
tests/data, and with ``--public DIR`` the public ones of ``answers_figures.help_centres``
(banking77, hotels, bitext_answers: questions an article answers against questions of the
intents without one). The blind centres (``heldout3``, ``heldout4``) are never read.
``--show CENTRE`` also prints the rows each cue fired on (to read them, on dev centres only).
A cue that fires on more than ``LIMIT`` of a centre's answerable tickets is too broad.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from answers_figures import DATA, SANDBOX_CENTRES, _jsonl, help_centres

from ticket_processor.answers.own_case import CUES, own_case

LIMIT = 0.10
DEV = ("answers", "heldout", "heldout2")


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


def main(argv: list[str]) -> int:
    if "--help" in argv or "-h" in argv:
        print(__doc__)
        return 0
    public = Path(argv[argv.index("--public") + 1]) if "--public" in argv else None
    show = argv[argv.index("--show") + 1] if "--show" in argv else None
    print(json.dumps(figures(public, show), indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
