"""``answers eval`` keeps, for the gate, the probability of every row the guards let through:
what a precision-coverage curve is read from (the gate at another chooser's coverage, in
``python -m scripts.figures answers_figures``). A row a guard stopped is not on it: no threshold
would send it."""

from __future__ import annotations

from pathlib import Path

from ticket_processor.answers.evaluate import evaluate
from ticket_processor.answers.gate import load_gate
from ticket_processor.answers.policy import AnswersPolicy
from ticket_processor.kb.index import ArticleIndex
from ticket_processor.models import Analysis, Article


def _analyse(subject: str, body: str) -> Analysis:
    angry = "outrageous" in body.lower()
    return Analysis(
        category="account",
        subcategory=None,
        sentiment="negative" if angry else "neutral",
        urgency="low",
        summary="",
        language="en",
        confidence=0.95,
    )


def test_the_rows_that_reach_the_gate_keep_its_probability(tmp_path: Path) -> None:
    index = ArticleIndex(tmp_path / "kb.sqlite")
    stamp = "2026-01-01T00:00:00Z"
    with index.transaction():
        index.upsert(
            Article(
                1, "Export invoices", "Download invoices as a CSV spreadsheet.", "u1", "en", stamp
            )
        )
        index.upsert(Article(2, "Reset your password", "Use the reset link.", "u2", "en", stamp))
    rows = [
        {"subject": "", "description": "How do I export invoices?", "answer_article": 1},
        {"subject": "", "description": "How do I reset my password?", "answer_article": 1},
        {"subject": "", "description": "This is outrageous, export invoices!", "answer_article": 1},
    ]
    gate = load_gate()
    assert gate is not None
    report = evaluate(
        rows, index, _analyse, AnswersPolicy(mode="send"), calibration=None, gate=gate
    )
    index.close()
    assert report.refused.get("negative") == 1
    assert len(report.reached) == 2
    assert [(ok, answerable) for _, ok, answerable in report.reached] == [
        (True, True),
        (False, True),
    ]
    assert all(0.0 <= p <= 1.0 for p, _, _ in report.reached)


def test_each_row_says_whether_it_passed_the_guards(tmp_path: Path) -> None:
    """``passed`` sits beside the gate's rows: a threshold picked on the rows that reach it
    (``answers_figures --pick``) reads only those; ``own_case=False`` measures the run
    without that guard."""
    index = ArticleIndex(tmp_path / "kb.sqlite")
    stamp = "2026-01-01T00:00:00Z"
    with index.transaction():
        index.upsert(
            Article(
                1, "Export invoices", "Download invoices as a CSV spreadsheet.", "u1", "en", stamp
            )
        )
    rows: list[dict[str, object]] = [
        {"subject": "", "description": "How do I export invoices?", "answer_article": 1},
        {
            "subject": "",
            "description": "How do I export invoices? Please check invoice INV-20931.",
            "answer_article": None,
        },
    ]
    gate = load_gate()
    policy = AnswersPolicy(mode="send")
    guarded = evaluate(rows, index, _analyse, policy, calibration=None, gate=gate)
    unguarded = evaluate(rows, index, _analyse, policy, calibration=None, gate=gate, own_case=False)
    index.close()
    assert guarded.passed == [True, False]
    assert guarded.refused.get("own_case") == 1
    assert unguarded.passed == [True, True]
    assert len(guarded.gate_rows) == len(unguarded.gate_rows) == 2
