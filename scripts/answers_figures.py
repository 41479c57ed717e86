"""The answers' figures on the repository's labelled set: what a send-mode run without an LLM
would send (the README quotes this script's output).

    python scripts/answers_figures.py            # precision, coverage, false sends
    python scripts/answers_figures.py --scores   # each ticket's best score and whether right

The help centre is ``tests/data/answers_articles.jsonl`` and the tickets
``tests/data/answers_tickets.jsonl`` (the project's own writing); the engine is the keyword
rules, the calibration the shipped one (``answers/calibration.py``).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from ticket_processor.answers.calibration import SHIPPED
from ticket_processor.answers.evaluate import evaluate
from ticket_processor.answers.policy import AnswersPolicy
from ticket_processor.kb.index import ArticleIndex
from ticket_processor.models import Analysis, Article
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import load_taxonomy

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def main(argv: list[str]) -> int:
    articles = [
        json.loads(x)
        for x in (DATA / "answers_articles.jsonl").read_text("utf-8").splitlines()
        if x
    ]
    rows = [
        json.loads(x) for x in (DATA / "answers_tickets.jsonl").read_text("utf-8").splitlines() if x
    ]
    ids: dict[str, set[int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        index = ArticleIndex(Path(tmp) / "kb.sqlite")
        for n, a in enumerate(articles, start=1):
            index.upsert(
                Article(
                    n,
                    a["title"],
                    a["body"],
                    f"https://help.example.com/{n}",
                    a["locale"],
                    "2026-01-01T00:00:00Z",
                )
            )
            ids.setdefault(a["key"], set()).add(n)
        engine = RulesEngine(load_taxonomy(None))

        def analyse(subject: str, body: str) -> Analysis:
            return engine.analyse(subject, body)

        report = evaluate(
            rows,
            index,
            analyse,
            AnswersPolicy(mode="send"),
            calibration=SHIPPED,
            article_ids={k: frozenset(v) for k, v in ids.items()},
        )
        index.close()
    if "--scores" in argv:
        for score, right in sorted(report.scores):
            print(f"{score:.4f} {'right' if right else 'wrong'}")
    print(json.dumps(report.as_dict(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
