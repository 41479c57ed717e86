"""``ticketbot eval`` end to end through Typer's CliRunner, on small JSONL files written here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.cli import command

from ticket_processor.sandbox.llm_standin.server import RunningStandin

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "tickets-dev.jsonl"

ROWS: list[dict[str, Any]] = [
    {
        "id": "t1",
        "source": "mine",
        "subject": "App crashes",
        "description": "The app crashes with an error on start.",
        "labels": {"category": "bug", "urgency": "high", "sentiment": "negative"},
    },
    {
        "id": "t2",
        "source": "mine",
        "subject": "Refund please",
        "description": "I want my money back for the order.",
        "labels": {"category": "refund", "urgency": "medium"},
    },
    {
        "id": "t3",
        "source": "theirs",
        "subject": "",
        "description": "Thank you, great service!",
        "labels": {"sentiment": "positive", "category": "warranty"},
    },
    {
        "id": "t4",
        "source": "theirs",
        "subject": "Hello",
        "description": "Just saying hi.",
        "labels": {},
    },
]


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    path = tmp_path / "labelled.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in ROWS), "utf-8")
    return path


invoke = command("eval")  # every call in this module is ``ticketbot eval ...``


def test_tables_and_exit_code(labelled: Path) -> None:
    result = invoke(str(labelled))
    assert result.exit_code == 0, result.output
    for text in ("category", "urgency", "sentiment", "macro-F1", "pooled", "confusion"):
        assert text in result.output
    assert "1 category label(s) outside the taxonomy" in result.output
    assert "'critical' is scored as 'high'" in result.output


def test_a_file_without_labels_is_an_error_that_says_how_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "unlabelled.jsonl"
    rows = [{k: v for k, v in row.items() if k != "labels"} for row in ROWS]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")
    result = invoke(str(path))
    assert result.exit_code == 2, result.output
    assert "no row has labels to score against" in result.output
    assert '"labels": {"category"' in result.output
    assert "Traceback" not in result.output


def test_critical_is_folded_into_high_only_when_no_label_is_critical(tmp_path: Path) -> None:
    folded = json.loads(invoke(str(_write(tmp_path / "a.jsonl", ROWS)), "--json").output)
    assert any("'critical' is scored as 'high'" in note for note in folded["notes"])
    urgent = {
        "id": "t5",
        "source": "mine",
        "subject": "Checkout down",
        "description": "URGENT: checkout is down for everyone, we are losing orders right now.",
        "labels": {"urgency": "critical"},
    }
    result = invoke(str(_write(tmp_path / "b.jsonl", [*ROWS, urgent])), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert not any("critical" in note for note in report["notes"])
    assert "critical" in report["fields"]["urgency"]["scores"]["pooled"]["per_class"]


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")
    return path


def test_json_shape_and_out_of_taxonomy_count(labelled: Path) -> None:
    result = invoke(str(labelled), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["rows"] == 4
    assert report["engine"] == "rules"
    assert report["fallbacks"] == 0
    category = report["fields"]["category"]
    assert category["out_of_taxonomy"] == {"warranty": 1}
    assert category["out_of_taxonomy_rows"] == 1
    assert set(category["scores"]) == {"mine", "pooled"}
    pooled = category["scores"]["pooled"]
    assert pooled["rows"] == 2
    assert pooled["accuracy"] == 1.0
    assert pooled["macro_f1"] == 1.0
    assert pooled["per_class"]["bug"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert pooled["confusion"]["refund"]["refund"] == 1
    assert set(report["fields"]) == {"category", "urgency", "sentiment"}
    assert report["fields"]["sentiment"]["scores"]["pooled"]["rows"] == 2


def test_predictions_file_and_limit(labelled: Path, tmp_path: Path) -> None:
    out = tmp_path / "predictions.jsonl"
    result = invoke(str(labelled), "--limit", "3", "--predictions", str(out), "--json")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["t1", "t2", "t3"]
    assert set(lines[0]) == {
        "id",
        "category",
        "urgency",
        "sentiment",
        "engine",
        "calibrated",
        "confidence",
        "apply",
    }
    # The rules are uncalibrated: every field applies, as a run writes it, at their confidence.
    assert lines[0]["calibrated"] is False
    assert lines[0]["apply"] == {"category": True, "urgency": True, "sentiment": True}
    assert set(lines[0]["confidence"]) == {"category", "urgency", "sentiment"}
    assert lines[0]["category"] == "bug"
    assert lines[1]["category"] == "refund"
    assert {line["engine"] for line in lines} == {"rules"}
    assert json.loads(result.output)["rows"] == 3


def test_custom_taxonomy_flag(labelled: Path, tmp_path: Path) -> None:
    taxonomy = tmp_path / "t.toml"
    taxonomy.write_text(
        '[categories.warranty]\ndescription = "Warranty."\nkeywords = ["thank*"]\n'
        '[categories.other]\ndescription = "Rest."\n',
        "utf-8",
    )
    result = invoke(str(labelled), "--taxonomy", str(taxonomy), "--json")
    assert result.exit_code == 0, result.output
    category = json.loads(result.output)["fields"]["category"]
    assert category["out_of_taxonomy"] == {"bug": 1, "refund": 1}
    assert category["scores"]["pooled"]["per_class"]["warranty"]["recall"] == 1.0


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json\n", "labelled.jsonl:1: not a JSON object"), ("", "no rows to evaluate")],
)
def test_bad_files_are_usage_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "labelled.jsonl"
    path.write_text(content, "utf-8")
    result = invoke(str(path))
    assert result.exit_code == 2
    assert message in result.output


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke(str(tmp_path / "absent.jsonl"))
    assert result.exit_code == 2


def test_llm_engine_needs_an_endpoint(labelled: Path) -> None:
    result = invoke(str(labelled), "--engine", "llm")
    assert result.exit_code == 2
    assert "OPENAI_API_KEY or OPENAI_BASE_URL" in result.output


def test_llm_engine_against_the_standin(
    labelled: Path, standin: RunningStandin, tmp_path: Path
) -> None:
    out = tmp_path / "p.jsonl"
    env = {"OPENAI_BASE_URL": standin.url, "TICKETBOT_MODEL": "stand-in"}
    result = invoke(str(labelled), "--engine", "llm", "--json", "--predictions", str(out), env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["engine"] == "llm"
    assert report["fallbacks"] == 0
    assert {json.loads(line)["engine"] for line in out.read_text().splitlines()} == {"llm"}


def test_malformed_llm_answers_fall_back_to_the_learned_model(
    labelled: Path, standin: RunningStandin, tmp_path: Path
) -> None:
    standin.config.malformed_rate = 1.0
    out = tmp_path / "p.jsonl"
    env = {"OPENAI_BASE_URL": standin.url, "TICKETBOT_MODEL": "stand-in"}
    args = [str(labelled), "--engine", "llm", "--json", "--predictions", str(out), "--workers", "2"]
    result = invoke(*args, env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["fallbacks"] == 4
    assert sum(report["fallback_reasons"].values()) == 4
    # The default chain's next engine, as in a run: the learned model bundled with the package.
    assert {json.loads(line)["engine"] for line in out.read_text().splitlines()} == {"learned"}
    assert report["fields"]["category"]["scores"]["pooled"]["accuracy"] == 1.0


@pytest.mark.shared_data  # the labelled dev tickets hold non-commercial rows: not vendored
def test_rules_reach_the_accuracy_bars_on_the_dev_data() -> None:
    assert DATA.is_file(), f"the shared labelled data is missing: {DATA} (clone next to shared/)"
    result = invoke(str(DATA), "--json")
    assert result.exit_code == 0
    fields = json.loads(result.output)["fields"]
    assert fields["category"]["scores"]["pooled"]["macro_f1"] >= 0.65
    assert fields["sentiment"]["scores"]["airline"]["macro_f1"] >= 0.60
    assert fields["urgency"]["scores"]["tobi"]["macro_f1"] >= 0.40


VENDORED = Path(__file__).resolve().parents[1] / "data"  # banking77 (CC BY 4.0), bitext (CDLA)


@pytest.mark.parametrize(("name", "bar"), [("banking77", 0.60), ("bitext", 0.80)])
def test_rules_reach_the_category_bar_on_the_vendored_public_rows(name: str, bar: float) -> None:
    """The rules engine was never trained on these rows (the learned model was, so it is not
    measured here); the bars sit a few points under today's 0.65 and 0.84."""
    result = invoke(str(VENDORED / f"{name}.jsonl"), "--engine", "rules", "--json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)["fields"]["category"]["scores"]
    assert scores[name]["macro_f1"] >= bar


def test_a_field_whose_labels_are_all_outside_the_taxonomy_prints_without_scores(
    tmp_path: Path,
) -> None:
    rows = [
        {"id": "1", "subject": "", "description": "Refund me", "labels": {"subcategory": "x_y"}},
        {"id": "2", "subject": "", "description": "It crashes", "labels": {"category": "bug"}},
    ]
    result = invoke(str(_write(tmp_path / "s.jsonl", rows)))
    assert result.exit_code == 0, result.output
    assert "outside the taxonomy" in result.output
