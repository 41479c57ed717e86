"""``ticketbot calibrate FILE``: the LLM's self-reported confidence mapped per field on
labelled rows, through the OpenAI-compatible stand-in over HTTP; runs and eval with the same
model use it, another model does not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.sandbox.llm_standin.server import (
    RunningStandin,
    StandinConfig,
    serve_in_thread,
)
from ticket_processor.triage.llm_calibration import FILE_NAME

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[RunningStandin]:
    with serve_in_thread(StandinConfig(seed=2)) as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
        monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
        monkeypatch.setenv("TICKETBOT_STATE_DIR", str(tmp_path / "state"))
        monkeypatch.setenv("TICKETBOT_LOG_DIR", str(tmp_path / "logs"))
        yield running


def test_calibrate_fits_the_llm_and_eval_uses_it(
    llm: RunningStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = invoke(
        "eval", str(DATA / "banking77.jsonl"), "--engine", "llm", "--limit", "60", "--json"
    )
    assert before.exit_code == 0, before.output
    assert json.loads(before.output)["reliability"]["category"]["calibrated"] is False

    done = invoke("calibrate", str(DATA / "bitext.jsonl"), "--limit", "200")
    assert done.exit_code == 0, done.output
    assert "ECE raw" in done.output
    saved = json.loads((tmp_path / "state" / FILE_NAME).read_text("utf-8"))
    assert saved["model"] == "stand-in"
    category = saved["fields"]["category"]
    assert category["rows"] == 200
    assert category["ece"]["calibrated"] <= category["ece"]["raw"]
    assert set(saved["fields"]) == {"category"}  # bitext rows carry no urgency, no sentiment

    after = invoke(
        "eval", str(DATA / "banking77.jsonl"), "--engine", "llm", "--limit", "60", "--json"
    )
    assert after.exit_code == 0, after.output
    reliability = json.loads(after.output)["reliability"]["category"]
    assert reliability["calibrated"] is True

    monkeypatch.setenv("TICKETBOT_MODEL", "another-model")
    other = invoke(
        "eval", str(DATA / "banking77.jsonl"), "--engine", "llm", "--limit", "20", "--json"
    )
    assert other.exit_code == 0, other.output
    assert json.loads(other.output)["reliability"]["category"]["calibrated"] is False


def test_calibrate_needs_an_llm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("TICKETBOT_STATE_DIR", str(tmp_path / "state"))
    result = invoke("calibrate", str(DATA / "bitext.jsonl"))
    assert result.exit_code == 2
    assert "no LLM configured" in result.output


def calibration_row() -> dict[str, str]:
    checked = json.loads(invoke("health", "--json").stdout)
    [row] = [c for c in checked["checks"] if c["name"] == "calibration"]
    return {str(k): str(v) for k, v in row.items()}


def test_a_file_too_small_to_calibrate_changes_nothing_unless_forced_and_reset_goes_back(
    llm: RunningStandin, tmp_path: Path
) -> None:
    saved = tmp_path / "state" / FILE_NAME
    assert "none saved" in calibration_row()["reason"]
    done = invoke("calibrate", str(DATA / "bitext.jsonl"), "--limit", "200")
    assert done.exit_code == 0, done.output
    before = saved.read_bytes()
    row = calibration_row()
    assert row["status"] == "healthy"
    assert "category applied at 0.71 (200 rows)" in row["reason"]

    # 48 rows: no confidence is shown right 95 % of the time, so category would say "never".
    small = invoke("calibrate", str(DATA / "banking77.jsonl"), "--limit", "48")
    assert small.exit_code == 2, small.output
    said = " ".join(small.output.split())
    assert "too few rows: category: on 48 rows" in said
    assert "the calibration runs use is unchanged" in said
    assert saved.read_bytes() == before  # runs still apply what they applied

    forced = invoke("calibrate", str(DATA / "banking77.jsonl"), "--limit", "48", "--force")
    assert forced.exit_code == 0, forced.output
    row = calibration_row()
    assert row["status"] == "degraded"
    assert "category never applied" in row["reason"]
    assert "calibrate --reset" in row["reason"]

    reset = invoke("calibrate", "--reset")
    assert reset.exit_code == 0, reset.output
    assert not saved.exists()
    assert "none saved" in calibration_row()["reason"]
    assert invoke("calibrate", "--reset").exit_code == 0  # nothing to remove: still fine
