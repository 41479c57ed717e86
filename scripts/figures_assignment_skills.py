"""The category's skill an assigned ticket needs, as the keyword rules read it (no LLM), on
labelled tickets by source.

A ticket's product skill is its category's skill (the team's skills file maps categories to
skills, ``assignment/policy.py``): the hour's file (``figures_assignment.SKILLS``: billing and
refund -> Billing, shipping -> Shipping, bug and account -> Technical, the other categories no
skill). For each source, the share of tickets whose read category maps to the same skill as
their label's (no skill for both counts as right), and, of the tickets whose label needs a
skill, the share read with that skill. Nothing here is fitted or tuned: the rules' cues and the
file are as shipped; the sources are the development set's (``../shared/data/tickets-dev.jsonl``,
whose rows the rules' cues may have been written beside) and ``tests/data/howto_questions.jsonl``
(37 questions in six languages written apart from the rules, the project's own writing).

    python -m scripts.figures assignment_skills [--data ../shared/data/tickets-dev.jsonl]
"""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from pathlib import Path

from scripts import ROOT, command_parser
from scripts.figures_assignment import SKILLS
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import load_taxonomy


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def assignment_skills(argv: list[str]) -> int:
    parser = command_parser("assignment_skills")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/tickets-dev.jsonl")
    args = parser.parse_args(argv)
    skill_of: dict[str, str] = tomllib.loads(SKILLS)["categories"]
    engine = RulesEngine(load_taxonomy(None))
    rows = _rows(args.data) if args.data.exists() else []
    rows += [
        {**r, "source": "howto_questions"} for r in _rows(ROOT / "tests/data/howto_questions.jsonl")
    ]
    counts: dict[str, Counter[str]] = {}
    for row in rows:
        labels = row.get("labels")
        truth = labels.get("category") if isinstance(labels, dict) else None
        if not isinstance(truth, str):
            continue
        read = engine.analyse(str(row.get("subject") or ""), str(row.get("description") or ""))
        wanted, found = skill_of.get(truth), skill_of.get(read.category)
        one = counts.setdefault(str(row.get("source")), Counter())
        one["tickets"] += 1
        one["category_right"] += read.category == truth
        one["skill_right"] += wanted == found
        if wanted is not None:
            one["needing_a_skill"] += 1
            one["needing_a_skill_read"] += wanted == found
    for source, one in sorted(counts.items()):
        share = round(one["skill_right"] / one["tickets"], 3)
        needed = one["needing_a_skill"]
        recall = round(one["needing_a_skill_read"] / needed, 3) if needed else None
        print(json.dumps({"source": source, **one, "skill_share": share, "needed_read": recall}))
    return 0
