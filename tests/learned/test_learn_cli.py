"""``ticketbot learn`` and ``ticketbot eval --engine learned`` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.learned import bundled_model_path
from ticket_processor.learned.choice import mean_score, recorded_scores
from ticket_processor.learned.samples import sample_rows


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    path = tmp_path / "labelled.jsonl"
    lines = [
        json.dumps(
            {
                "id": row.id,
                "source": row.source,
                "subject": row.subject,
                "description": row.description,
                "labels": row.labels,
            }
        )
        for row in sample_rows()
    ]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_learn_then_eval_learned(labelled: Path, tmp_path: Path) -> None:
    out = tmp_path / "model.zip"
    # The samples are too few for a calibration that applies anything: --force writes it.
    args = ("--out", str(out), "--folds", "2", "--no-embeddings", "--force")
    learned = invoke("learn", str(labelled), *args)
    assert learned.exit_code == 0, learned.output
    for text in ("category", "urgency", "sentiment", "pooled", "critical 6", str(out)):
        assert text in learned.output
    assert "'critical' has only 6 example(s)" in learned.output
    assert out.is_file()

    scored = invoke("eval", str(labelled), "--engine", "learned", "--model", str(out), "--json")
    assert scored.exit_code == 0, scored.output
    report = json.loads(scored.output)
    assert report["engine"] == "learned"
    # Scored on its own training rows: near perfect, far above the rules.
    assert report["fields"]["category"]["scores"]["samples"]["accuracy"] > 0.9


def test_learn_writes_to_the_setting_or_state_dir(labelled: Path, tmp_path: Path) -> None:
    env = {"TICKETBOT_STATE_DIR": str(tmp_path / "state")}
    result = invoke("learn", str(labelled), "--folds", "0", "--no-embeddings", env=env)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "state" / "learned-model.zip").is_file()
    env["TICKETBOT_LEARNED_MODEL"] = str(tmp_path / "named.zip")
    result = invoke("learn", str(labelled), "--folds", "0", "--no-embeddings", env=env)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "named.zip").is_file()


def test_learn_without_two_classes_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"description": "x", "labels": {"category": "bug"}}) + "\n")
    result = invoke("learn", str(path), "--no-embeddings")
    assert result.exit_code == 2
    assert "at least two classes" in result.output


def test_eval_engine_is_a_checked_choice(labelled: Path) -> None:
    result = invoke("eval", str(labelled), "--engine", "magic")
    assert result.exit_code == 2
    assert "magic" in result.output
    assert "learned" in result.output


def test_eval_learned_with_a_damaged_model_is_a_config_error(
    labelled: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"nope")
    result = invoke("eval", str(labelled), "--engine", "learned", "--model", str(bad))
    assert result.exit_code == 2
    assert "damaged model file" in result.output


def test_learn_names_the_model_it_replaces_and_warns_when_the_new_one_scores_lower(
    labelled: Path, tmp_path: Path
) -> None:
    few = tmp_path / "few.jsonl"
    few.write_text("".join(labelled.read_text("utf-8").splitlines(True)[:40]), "utf-8")
    env = {"TICKETBOT_STATE_DIR": str(tmp_path / "state")}
    result = invoke("learn", str(few), "--folds", "2", "--no-embeddings", "--force", env=env)
    assert result.exit_code == 0, result.output
    said, warned = " ".join(result.stdout.split()), " ".join(result.stderr.split())
    assert "replaces the bundled model" in said
    bundled = mean_score(recorded_scores(bundled_model_path()))  # the bundled model's record
    assert bundled is not None
    assert f"mean cross-validated macro-F1 {bundled:.3f}" in said
    assert "the new model: mean cross-validated macro-F1" in said
    assert "scores lower than the one it replaces" in warned

    # health names the model runs now use (no LLM here: the learned engine triages first).
    health = json.loads(invoke("health", "--json", env=env).stdout)
    checks = {c["name"]: c for c in health["checks"]}
    model = tmp_path / "state" / "learned-model.zip"
    assert f"the state directory's model ({model}" in checks["learned model"]["reason"]
    assert "the learned engine triages" in checks["llm"]["reason"]
    assert "state directory's model" in checks["llm"]["reason"]

    again = invoke("learn", str(labelled), "--folds", "2", "--no-embeddings", "--force", env=env)
    assert again.exit_code == 0, again.output
    assert "replaces the state directory's model" in " ".join(again.stdout.split())
    assert "scores lower" not in " ".join(again.stderr.split())


def test_learn_on_too_few_rows_says_so_and_leaves_the_model_in_use(
    labelled: Path, tmp_path: Path
) -> None:
    """A calibration from too few rows says "never" for a field: runs would stop applying it.
    learn names each such field with the rows it would take and writes nothing."""
    env = {"TICKETBOT_STATE_DIR": str(tmp_path / "state")}
    model = tmp_path / "state" / "learned-model.zip"
    kept = invoke("learn", str(labelled), "--folds", "0", "--no-embeddings", env=env)
    assert kept.exit_code == 0, kept.output  # uncalibrated: nothing to refuse
    before = model.read_bytes()

    refused = invoke("learn", str(labelled), "--folds", "2", "--no-embeddings", env=env)
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.split())
    assert "too few rows: urgency: on 79 rows" in said
    assert "labelled rows would be needed" in said
    assert "the model runs use is unchanged" in said
    assert "--force" in said
    assert model.read_bytes() == before
