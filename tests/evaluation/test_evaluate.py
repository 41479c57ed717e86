"""Metrics on small cases computed by hand: accuracy, per-class P/R/F1, macro-F1, confusion."""

from __future__ import annotations

import pytest

from ticket_processor.learned.scoring import POOLED, evaluate, report_field, score_field


def test_hand_computed_three_class_case() -> None:
    gold = ["a", "a", "a", "b", "b", "c"]
    pred = ["a", "a", "b", "b", "c", "c"]
    score = score_field(gold, pred)
    # a: TP 2, FP 0, FN 1 -> P 1, R 2/3, F1 0.8
    # b: TP 1, FP 1, FN 1 -> P 1/2, R 1/2, F1 0.5
    # c: TP 1, FP 1, FN 0 -> P 1/2, R 1, F1 2/3
    assert score.accuracy == pytest.approx(4 / 6)
    assert score.per_class["a"].f1 == pytest.approx(0.8)
    assert score.per_class["b"].precision == pytest.approx(0.5)
    assert score.per_class["c"].recall == pytest.approx(1.0)
    assert score.macro_f1 == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert score.confusion["a"] == {"a": 2, "b": 1, "c": 0}
    assert score.confusion["b"] == {"a": 0, "b": 1, "c": 1}
    assert score.per_class["a"].support == 3


def test_a_class_only_predicted_costs_recall_but_is_not_averaged() -> None:
    score = score_field(["x", "x", "y", "y"], ["x", "z", "y", "y"])
    # x: P 1, R 1/2, F1 2/3; y: F1 1; z is never labelled: no F1 of its own in the mean.
    assert score.macro_f1 == pytest.approx((2 / 3 + 1.0) / 2)
    assert score.labels == ("x", "y", "z")
    assert score.per_class["z"].f1 == 0.0
    assert score.confusion["x"]["z"] == 1


def test_constant_guess_scores_low() -> None:
    gold = ["a"] * 5 + ["b"] * 5
    score = score_field(gold, ["a"] * 10)
    # a: P 1/2, R 1 -> F1 2/3; b: F1 0.
    assert score.macro_f1 == pytest.approx(1 / 3)
    assert score.accuracy == pytest.approx(0.5)


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="2 labels but 1 predictions"):
        score_field(["a", "b"], ["a"])


def test_urgency_critical_is_scored_as_high() -> None:
    report = report_field(
        "urgency",
        [("s", "high", "critical"), ("s", "low", "low"), ("s", "medium", "high")],
        ["critical", "high", "medium", "low"],
    )
    pooled = report.scores[POOLED]
    assert pooled.accuracy == pytest.approx(2 / 3)
    assert "critical" not in pooled.labels
    assert report.scored_as == {"critical": "high"}


def test_urgency_critical_is_its_own_class_when_the_labels_have_it() -> None:
    report = report_field(
        "urgency",
        [("s", "critical", "critical"), ("s", "high", "critical"), ("s", "low", "low")],
        ["critical", "high", "medium", "low"],
    )
    pooled = report.scores[POOLED]
    assert pooled.accuracy == pytest.approx(2 / 3)
    assert pooled.per_class["critical"].precision == pytest.approx(0.5)
    assert report.scored_as == {}


def test_out_of_taxonomy_labels_are_counted_not_scored() -> None:
    report = report_field(
        "category",
        [
            ("s", "bug", "bug"),
            ("s", "warranty", "bug"),
            ("s", "warranty", "other"),
            ("s", None, "x"),
        ],
        ["bug", "other"],
    )
    assert report.out_of_taxonomy == {"warranty": 2}
    assert report.scores[POOLED].rows == 1
    assert report.scores[POOLED].accuracy == 1.0


def test_evaluate_splits_by_source_and_skips_unlabelled_fields() -> None:
    rows = [
        {"source": "one", "labels": {"category": "bug"}},
        {"source": "two", "labels": {"category": "other", "sentiment": "negative"}},
        {"source": "two", "labels": {}},
    ]
    predictions = [
        {"category": "bug", "urgency": "low", "sentiment": "neutral"},
        {"category": "bug", "urgency": "low", "sentiment": "negative"},
        {"category": "bug", "urgency": "low", "sentiment": "neutral"},
    ]
    allowed = {
        "category": ["bug", "other"],
        "urgency": ["high", "medium", "low"],
        "sentiment": ["positive", "neutral", "negative"],
    }
    reports = evaluate(rows, predictions, allowed)
    assert set(reports) == {"category", "sentiment"}
    category = reports["category"]
    assert set(category.scores) == {"one", "two", POOLED}
    assert category.scores["one"].accuracy == 1.0
    assert category.scores["two"].accuracy == 0.0
    assert category.scores[POOLED].accuracy == pytest.approx(0.5)
    assert reports["sentiment"].scores["two"].rows == 1
