"""What a new user meets first, on each sandbox: the first ``health`` of a fresh install, a
state directory that is a file, and ``learn`` on a file that cannot replace the model in use.

- ``health`` before any run: nothing is wrong yet, so it says "no run yet" and exits 0.
- ``TICKETBOT_STATE_DIR`` pointing at a file: the dry run stops with the real run's error
  (exit 2), instead of previewing a run that cannot happen.
- ``learn`` on a file short of categories and fields the model in use names: refused from its
  labels, before any training (no scores printed, no "too few rows" from a calibration).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.desk(configure=True)
def test_a_fresh_install_first_health_says_no_run_yet_and_exits_0(desk: Desk) -> None:
    checked = invoke("health", "--json")
    data = json.loads(checked.stdout)
    [row] = [c for c in data["checks"] if c["name"] == "last run"]
    assert row["status"] == "healthy", row
    assert row["reason"].startswith("no run yet")
    assert checked.exit_code == 0, data


@pytest.mark.desk(configure=True)
def test_a_state_directory_that_is_a_file_stops_the_dry_run_as_the_real_run(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.create([NewTicket("Refund", "I want a refund for my order, please.")])
    state = tmp_path / "state-file"
    state.write_text("not a directory\n")
    monkeypatch.setenv("TICKETBOT_STATE_DIR", str(state))
    said = {}
    for args in (("--dry-run",), ()):
        ran = invoke("run", "--engine", "rules", *args)
        assert ran.exit_code == 2, ran.output
        said[args] = " ".join(ran.output.split())
        assert f"TICKETBOT_STATE_DIR: {state} is not a directory" in said[args]
    assert said[("--dry-run",)] == said[()]
    assert state.read_text() == "not a directory\n"
    assert desk.snapshot(desk.ids()[0]).tags == []


def test_learn_refuses_a_file_short_of_categories_and_fields_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_STATE_DIR", str(tmp_path / "state"))
    # Two categories, labelled in turn whatever the text says: no confidence of a model
    # trained on it is right 95 % of the time, so a trained model would be refused for its
    # calibration ("too few rows") before its losses were looked at.
    rows = [json.loads(line) for line in (DATA / "bitext.jsonl").read_text("utf-8").splitlines()]
    lines = [
        json.dumps({**row, "labels": {"category": ("account", "billing")[i % 2]}})
        for i, row in enumerate(rows[:120])
    ]
    path = tmp_path / "two.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    refused = invoke("learn", str(path), "--no-embeddings")
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.split())
    assert "the new model cannot name category bug" in said
    assert "the field sentiment; the field urgency" in said
    assert "the model runs use is unchanged" in said
    assert "too few rows" not in said  # refused on reading, not after a calibration
    assert "macro-F1" not in said  # nothing was trained
    assert not (tmp_path / "state" / "learned-model.zip").exists()
