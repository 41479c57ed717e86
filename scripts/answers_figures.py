"""The answers' figures on the repository's labelled set: what a send-mode run without an LLM
would send (the README quotes this script's output).

    python scripts/answers_figures.py            # precision, coverage, false sends
    python scripts/answers_figures.py --scores   # each ticket's best score and whether right
    python scripts/answers_figures.py --run zendesk   # a real send-mode run on the sandbox

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


def sandbox_run(kind: str) -> dict[str, object]:
    """One ``ticketbot run`` (rules, ``TICKETBOT_ANSWER_MODE=send``) over the 60 tickets on a
    fresh sandbox of ``kind``: replies mailed per kind of ticket, right and wrong articles."""
    import os
    import re
    import resource
    import subprocess
    from collections import Counter

    sys.path.insert(0, str(DATA.parent))
    from support.answers_desk import create_tickets, outbox, publish_help_centre

    from ticket_processor.helpdesks.registry import KINDS
    from ticket_processor.sandbox.desks import serve_desk

    cases = [
        json.loads(x) for x in (DATA / "answers_tickets.jsonl").read_text("utf-8").splitlines() if x
    ]
    with (
        serve_desk(KINDS[kind], seed=None, unlimited=True) as desk,
        tempfile.TemporaryDirectory() as tmp,
    ):
        articles = publish_help_centre(desk)
        ids = create_tickets(desk, cases)
        prefixes = ("ZENDESK_", "FRESHDESK_", "TICKETBOT_", "OPENAI_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
        env.update(desk.env())
        env.update(
            {
                "TICKETBOT_STATE_DIR": f"{tmp}/state",
                "TICKETBOT_LOG_DIR": f"{tmp}/logs",
                "TICKETBOT_ANSWER_MODE": "send",
                "PYTHONPATH": str(DATA.parents[1]),
            }
        )
        command = [sys.executable, "-m", "ticket_processor", "run", "--engine", "rules"]
        subprocess.run(command, env=env, cwd=tmp, check=True, capture_output=True)
        # ru_maxrss of the (only) finished child: the run's peak RSS, in KiB on Linux.
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        mailed: Counter[str] = Counter()
        right = wrong = 0
        for mail in outbox(desk):
            case = cases[ids.index(mail["ticket_id"])]
            mailed[case["kind"]] += 1
            linked = {int(x) for x in re.findall(r"/articles?/(\d+)", mail["body"])}
            key = case["answer_article"]
            if case["kind"] == "answerable":
                right += bool(key and linked & articles[key])
                wrong += not (key and linked & articles[key])
    return {
        "helpdesk": kind,
        "answerable": 30,
        "answered_right": right,
        "answered_wrong": wrong,
        "replies_to_person_angry_assigned": sum(n for k, n in mailed.items() if k != "answerable"),
        "run_peak_rss_mb": round(peak_mb, 1),
    }


def main(argv: list[str]) -> int:
    if "--run" in argv:
        print(json.dumps(sandbox_run(argv[argv.index("--run") + 1]), indent=2))
        return 0
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
