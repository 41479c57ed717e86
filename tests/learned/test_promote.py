"""``learn --promote``: a candidate replaces the model in use only when it is not worse on any
field of the same held-out labelled tickets and better on one; the replaced model is kept and
``learn --rollback`` puts it back; ``health`` names the promoted model with its scores."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.learned.promotion import gate

DATA = Path(__file__).resolve().parents[1] / "data"


def lines(name: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (DATA / name).read_text("utf-8").splitlines()]


def write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.setenv("TICKETBOT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("TICKETBOT_LOG_DIR", str(tmp_path / "logs"))
    banking = lines("banking77.jsonl")
    random.Random(3).shuffle(banking)
    bitext = lines("bitext.jsonl")
    shuffled = [dict(r) for r in bitext]
    labels = [r["labels"] for r in shuffled]
    random.Random(4).shuffle(labels)
    for row, label in zip(shuffled, labels, strict=True):
        row["labels"] = label  # every text with another text's label: a deliberately bad file
    paths = {
        "current": write(tmp_path / "current.jsonl", bitext),
        "better": write(tmp_path / "better.jsonl", bitext + banking[:210]),
        "bad": write(tmp_path / "bad.jsonl", shuffled),
        "holdout": write(tmp_path / "holdout.jsonl", banking[210:]),
        "model": tmp_path / "state" / "learned-model.zip",
    }
    # A file of categories only, 6 of the 9: it replaces the bundled model only with --force.
    made = invoke("learn", str(paths["current"]), "--no-embeddings", "--folds", "0", "--force")
    assert made.exit_code == 0, made.output
    assert "cannot name" in " ".join(made.stderr.split())
    return paths


def test_a_worse_candidate_is_refused_and_the_model_in_use_kept(world: dict[str, Path]) -> None:
    before = world["model"].read_bytes()
    result = invoke(
        "learn",
        str(world["bad"]),
        "--promote",
        "--holdout",
        str(world["holdout"]),
        "--no-embeddings",
        "--folds",
        "0",
    )
    assert result.exit_code == 0, result.output
    assert "not promoted: the candidate is worse on category" in " ".join(result.output.split())
    assert world["model"].read_bytes() == before
    assert not world["model"].with_name("learned-model.previous.zip").exists()


def test_a_better_candidate_is_promoted_and_rollback_restores_the_previous(
    world: dict[str, Path],
) -> None:
    before = world["model"].read_bytes()
    result = invoke(
        "learn",
        str(world["better"]),
        "--promote",
        "--holdout",
        str(world["holdout"]),
        "--no-embeddings",
        "--folds",
        "0",
    )
    assert result.exit_code == 0, result.output
    assert "promoted: better on category" in " ".join(result.output.split())
    assert world["model"].read_bytes() != before
    previous = world["model"].with_name("learned-model.previous.zip")
    assert previous.read_bytes() == before
    health = invoke("health", "--json")
    checks = {c["name"]: c for c in json.loads(health.stdout)["checks"]}
    assert "promoted" in checks["learned model"]["reason"]
    assert "held-out tickets: category" in checks["learned model"]["reason"]

    back = invoke("learn", "--rollback")
    assert back.exit_code == 0, back.output
    assert world["model"].read_bytes() == before
    again = invoke("learn", "--rollback")  # and forth: the other one comes back
    assert again.exit_code == 0
    assert world["model"].read_bytes() != before
    # The promoted model, back in place, still has its scores and its promotion in health.
    health = invoke("health", "--json")
    checks = {c["name"]: c for c in json.loads(health.stdout)["checks"]}
    assert "held-out tickets: category" in checks["learned model"]["reason"]
    assert "promoted" in checks["learned model"]["reason"]


def test_rollback_without_a_previous_model_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_STATE_DIR", str(tmp_path / "state"))
    result = invoke("learn", "--rollback")
    assert result.exit_code == 2
    assert "no previous model" in result.output


def test_rollback_keeps_a_model_a_plain_learn_wrote_after_a_promotion(
    world: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A model path with nothing at it: the candidate replaces no model, so no previous is kept.
    model = tmp_path / "elsewhere" / "model.zip"
    model.parent.mkdir()
    monkeypatch.setenv("TICKETBOT_LEARNED_MODEL", str(model))
    flags = ("--no-embeddings", "--folds", "0")
    promoted = invoke(
        "learn", str(world["better"]), "--promote", "--holdout", str(world["holdout"]), *flags
    )
    assert promoted.exit_code == 0, promoted.output
    assert "promoted" in promoted.output
    assert not model.with_name("model.previous.zip").exists()
    candidate = model.read_bytes()
    # A plain learn over it: it keeps the promoted model as the previous one.
    relearned = invoke("learn", str(world["current"]), *flags, "--force")
    assert relearned.exit_code == 0, relearned.output
    plain = model.read_bytes()

    back = invoke("learn", "--rollback")
    assert back.exit_code == 0, back.output
    kept = model.with_name("model.previous.zip")
    assert kept.read_bytes() == plain  # set aside, not deleted
    assert "model.previous.zip" in " ".join(back.output.split())
    assert model.read_bytes() == candidate

    again = invoke("learn", "--rollback")  # and the model the rollback replaced is back
    assert again.exit_code == 0, again.output
    assert model.read_bytes() == plain


def test_learn_never_leaves_runs_on_a_model_that_lost_fields_or_categories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """480 rows labelled with 6 of the 9 categories and neither urgency nor sentiment: a plain
    learn replaced the bundled model with it, silently. It is refused now, said plainly with
    --force, and --rollback goes back to the bundled model."""
    monkeypatch.setenv("TICKETBOT_STATE_DIR", str(tmp_path / "state"))
    model = tmp_path / "state" / "learned-model.zip"
    partial = write(tmp_path / "partial.jsonl", lines("bitext.jsonl"))
    flags = ("--no-embeddings", "--folds", "0")

    refused = invoke("learn", str(partial), *flags)
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.split())
    assert "cannot name category bug, feature_request, security" in said
    assert "the field sentiment; the field urgency" in said
    assert "the model runs use is unchanged" in said
    assert not model.exists()  # the bundled model stays in use

    # --promote refuses it the same way, with the same exit status: a weekly job sees it
    promoted = invoke("learn", "--promote", str(partial), "--no-embeddings")
    assert promoted.exit_code == 2, promoted.output
    assert "not promoted: the candidate cannot name category bug" in " ".join(
        promoted.output.split()
    )
    assert not model.exists()

    forced = invoke("learn", str(partial), *flags, "--force")
    assert forced.exit_code == 0, forced.output
    assert "cannot name category bug" in " ".join(forced.stderr.split())
    assert model.exists()

    back = invoke("learn", "--rollback")
    assert back.exit_code == 0, back.output
    assert not model.exists()  # runs use the bundled model again
    health = json.loads(invoke("health", "--json").stdout)
    checks = {c["name"]: c for c in health["checks"]}
    assert "bundled" in checks["learned model"]["reason"]


def test_scores_equal_as_shown_are_a_tie_not_worse() -> None:
    tied = gate({"category": 0.98999}, {"category": 0.99001})
    assert not tied.promote
    assert "worse" not in tied.reason
    assert "equal" in tied.reason
    assert "0.990" in tied.reason
    assert gate({"category": 0.95}, {"category": 0.99}).reason == "worse on category 0.950 < 0.990"
    assert gate({"category": 0.995}, {"category": 0.99}).promote
