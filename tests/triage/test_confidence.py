"""Calibrated confidence: the maths (isotonic fit, ECE, the apply threshold), the learned
model's calibration in its file, and what a calibrated decision does to the write-back."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.learned.engine import LearnedEngine
from ticket_processor.learned.labelled_file import load_labelled
from ticket_processor.learned.model_file import read_model, save_model
from ticket_processor.learned.train import TrainOptions, train
from ticket_processor.models import Analysis, RouteDecision, Sentiment, Ticket, Triage, Urgency
from ticket_processor.settings.values import parse_thresholds
from ticket_processor.tags import note_labels, plan_change, read_note
from ticket_processor.triage.confidence import (
    Calibration,
    apply_threshold,
    expected_calibration_error,
    field_decisions,
    fit_isotonic,
    rows_needed,
    shortfall,
)
from ticket_processor.triage.routing import parse_routes
from ticket_processor.triage.taxonomy import load_taxonomy

DATA = Path(__file__).resolve().parents[1] / "data"


def test_isotonic_fit_is_monotone_and_matches_the_observed_share() -> None:
    rng = random.Random(1)
    raw = [rng.random() for _ in range(2000)]
    correct = [rng.random() < p * p for p in raw]  # the truth is p², not p
    calibration = fit_isotonic(raw, correct)
    assert list(calibration.values) == sorted(calibration.values)
    assert abs(calibration(0.9) - 0.81) < 0.1
    assert abs(calibration(0.3) - 0.09) < 0.08
    calibrated = [calibration(p) for p in raw]
    assert expected_calibration_error(raw, correct) > 0.1
    assert expected_calibration_error(calibrated, correct) < 0.03


def test_ece_of_a_perfect_and_of_an_overconfident_engine() -> None:
    assert expected_calibration_error([0.8] * 10, [True] * 8 + [False] * 2) == pytest.approx(0.0)
    assert expected_calibration_error([0.9] * 10, [True] * 5 + [False] * 5) == pytest.approx(0.4)


def test_the_apply_threshold_is_the_lowest_with_the_precision() -> None:
    confidence = [0.99] * 30 + [0.9] * 30 + [0.6] * 40
    correct = [True] * 30 + [True] * 28 + [False] * 2 + [True] * 20 + [False] * 20
    assert apply_threshold(confidence, correct, precision=0.95) == 0.9
    assert apply_threshold(confidence, correct, precision=0.99) == 0.99
    assert apply_threshold([0.5] * 40, [True] * 20 + [False] * 20) == 1.0  # never


def test_a_calibration_in_a_file_is_checked() -> None:
    good = Calibration((0.1, 0.5), (0.2, 0.7))
    assert Calibration.from_json(json.loads(json.dumps(good.as_json()))) == good
    assert Calibration.from_json({"starts": [0.5, 0.1], "values": [0.2, 0.7]}) is None
    assert Calibration.from_json({"starts": [0.1], "values": [1.5]}) is None
    assert Calibration.from_json("x") is None


def test_thresholds_setting() -> None:
    assert parse_thresholds("category=0.9, urgency=0.7", setting="S") == {
        "category": 0.9,
        "urgency": 0.7,
    }
    assert parse_thresholds("0.8", setting="S")["sentiment"] == 0.8
    with pytest.raises(ValueError, match=re.escape("S: 'colour=0.9'")):
        parse_thresholds("colour=0.9", setting="S")
    with pytest.raises(ValueError, match="between 0 and 1"):
        parse_thresholds("category=2", setting="S")


def test_decisions_take_the_settings_over_the_engine() -> None:
    confidence = {"category": 0.93, "urgency": 0.6, "sentiment": 0.2}
    engine = {"category": 0.9, "urgency": 0.95, "sentiment": 0.9}
    assert field_decisions(confidence, engine) == {
        "category": "apply",
        "urgency": "suggest",
        "sentiment": "abstain",
    }
    stricter = field_decisions(confidence, engine, apply_at={"category": 0.97})
    assert stricter["category"] == "suggest"


def test_learn_stores_a_calibration_per_field_and_the_engine_uses_it(
    calibrated_model: Path,
) -> None:
    taxonomy = load_taxonomy()
    model = read_model(calibrated_model, taxonomy.names)
    category = model.fields["category"]
    assert category.calibration is not None
    assert category.apply_at is not None
    assert 0 < category.apply_at <= 1
    assert set(category.ece) == {"raw", "calibrated"}
    engine = LearnedEngine(model, taxonomy)
    analysis, confidence, apply_at = engine.assess("", "I want a refund for my order")
    assert analysis.category == "refund"
    assert set(confidence) == {"category"}
    assert apply_at == {"category": category.apply_at}


def test_a_model_file_from_before_calibration_is_uncalibrated(tmp_path: Path) -> None:
    rows = load_labelled(DATA / "bitext.jsonl")
    result = train(rows, load_taxonomy(), options=TrainOptions(folds=0, embedding_weight=0.0))
    path = tmp_path / "old.zip"
    save_model(result.model, path)  # folds=0: no cross-validation, hence no calibration
    engine = LearnedEngine(read_model(path, load_taxonomy().names), load_taxonomy())
    _, confidence, apply_at = engine.assess("", "refund please")
    assert confidence == {}
    assert apply_at == {}


def test_a_calibration_fitted_with_each_source_held_out() -> None:
    """``calibrate_on="sources"``: the calibration reads each source's rows as predicted by a
    model fitted on the other source (fitted on a help centre's worth of unseen text, not on
    rows like its own); a field only one source labels has nothing held out: uncalibrated."""
    from ticket_processor.learned.samples import sample_rows

    rows = load_labelled(DATA / "bitext.jsonl") + sample_rows()
    options = TrainOptions(folds=3, embedding_weight=0.0, calibrate_on="sources")
    result = train(rows, load_taxonomy(), options=options)
    held = result.fields["category"]
    assert sorted(set(held.held_sources)) == ["bitext", "samples"]
    assert len(held.held_probability) == len(held.cv_probability) == len(rows)
    # Held out, the sample tickets' "bug" and "security" (no bitext row has them) are never
    # right: the held-out predictions are worse than the pooled folds', and the calibration is
    # fitted on them.
    assert sum(held.held_correct) < sum(held.cv_correct)
    category = result.model.fields["category"]
    assert category.calibrated_on == "sources"
    assert category.calibration == fit_isotonic(held.held_probability, held.held_correct)
    for name in ("urgency", "sentiment"):  # the sample tickets alone label them
        assert result.model.fields[name].calibration is None
        assert result.model.fields[name].calibrated_on == ""


def _triage(confidence: dict[str, float]) -> Triage:
    analysis = Analysis(
        category="billing",
        urgency=Urgency.HIGH,
        sentiment=Sentiment.NEGATIVE,
        language="en",
        summary="s",
        confidence=0.9,
    )
    apply_at = dict.fromkeys(confidence, 0.9)
    return Triage(
        analysis=analysis, engine="learned", field_confidence=confidence, apply_at=apply_at
    )


def test_a_suggested_field_is_named_not_applied() -> None:
    triage = _triage({"category": 0.7, "urgency": 0.4, "sentiment": 0.95})
    decided = field_decisions(triage.field_confidence, triage.apply_at)
    plan = plan_change(
        Ticket(id=1),
        triage,
        RouteDecision(),
        (),
        prefix="ai_",
        confidence_threshold=0.5,
        set_priority=True,
        run_id="r",
        decisions=decided,
    )
    tags = set(plan.additional_tags)
    assert "ai_category_billing" not in tags
    assert "ai_suggested_category" in tags
    assert not any(t.startswith("ai_urgency_") for t in tags)  # abstained: no tag at all
    assert "ai_sentiment_negative" in tags
    assert plan.priority is None  # urgency not applied: the priority is left alone
    assert "Category: billing? (suggested at confidence 0.70; not applied)" in plan.note
    assert "Urgency: not decided" in plan.note
    trailer = read_note(plan.note)
    assert trailer is not None
    assert trailer.applied == ("sentiment",)
    assert note_labels(plan.note) == {"sentiment": "negative"}  # a suggestion is no label


def test_routes_see_applied_fields_unless_they_opt_in() -> None:
    triage = _triage({"category": 0.7, "urgency": 0.95, "sentiment": 0.95})
    decided = field_decisions(triage.field_confidence, triage.apply_at)
    book = parse_routes(
        '[[route]]\nwhen = { category = "billing" }\nadd_tags = ["money"]\n'
        '[[route]]\nwhen = { category = "billing" }\nadd_tags = ["maybe_money"]\n'
        "use_suggestions = true\n"
    )
    strict, lenient = book.routes
    assert not strict.matches(Ticket(id=1), triage, decided)
    assert lenient.matches(Ticket(id=1), triage, decided)
    assert strict.matches(Ticket(id=1), triage)  # uncalibrated: as before


def test_eval_reports_reliability_and_predictions_say_what_would_apply(
    calibrated_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_STATE_DIR", str(tmp_path / "state"))
    out = tmp_path / "predictions.jsonl"
    result = invoke(
        "eval",
        str(DATA / "banking77.jsonl"),
        "--engine",
        "learned",
        "--model",
        str(calibrated_model),
        "--json",
        "--predictions",
        str(out),
    )
    assert result.exit_code == 0, result.output
    category = json.loads(result.output)["reliability"]["category"]
    assert category["calibrated"] is True
    assert 0 < category["applied_share"] < 1
    assert category["ece"] < 0.2
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    applied = [line for line in lines if line["apply"]["category"]]
    assert 0 < len(applied) < len(lines)
    assert all(line["confidence"]["category"] >= 0 for line in lines)
    assert min(line["confidence"]["category"] for line in applied) >= max(
        line["confidence"]["category"] for line in lines if not line["apply"]["category"]
    )


def test_rows_needed_scales_the_share_that_clears_the_precision_target() -> None:
    # 10 sure rows all right, 38 unsure ones half right: the 10 clear 95 % but are fewer than
    # the 20 a threshold needs, so "never"; a file twice as large would give 20 such rows.
    calibrated = [0.99] * 10 + [0.5] * 38
    correct = [True] * 10 + [True, False] * 19
    assert apply_threshold(calibrated, correct) == 1.0
    assert rows_needed(calibrated, correct) == 96
    line = shortfall("category", 48, 96)
    assert "category: on 48 rows" in line
    assert "about 96 labelled rows would be needed" in line
    # Not even the surest answers are right 95 % of the time: no number of such rows helps.
    assert rows_needed([0.9, 0.8, 0.7], [False, True, True]) is None
