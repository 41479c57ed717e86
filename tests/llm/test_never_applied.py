"""A field whose calibrated threshold is "never": what ``calibrate`` and ``health`` say of it
is what runs do with it, even for a ticket at calibrated confidence 1.00.

The calibration is the file ``calibrate --force`` saves from a small labelled file whose surest
answers were all right (they calibrate to 1.00) yet too few to clear the bar: category's
threshold is "never". A run over the LLM stand-in, on each sandbox, must then suggest the
category, never apply it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import triaged_events

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.server import (
    RunningStandin,
    StandinConfig,
    serve_in_thread,
)
from ticket_processor.triage import llm_calibration
from ticket_processor.triage.confidence import (
    NEVER,
    SUREST,
    Calibration,
    apply_threshold,
    field_decisions,
    threshold_text,
)
from ticket_processor.triage.taxonomy import load_taxonomy

MODEL = "stand-in"


def test_never_is_never_even_at_a_calibrated_one() -> None:
    assert field_decisions({"category": 1.0}, {"category": NEVER}) == {"category": "suggest"}
    assert threshold_text(NEVER) == "never"
    # A threshold the fit found at 1.00 (enough sure rows, all right) still applies them, and
    # reads as a number, not as "never".
    found = apply_threshold([1.0] * 40 + [0.4] * 40, [True] * 40 + [False] * 40)
    assert found == SUREST
    assert threshold_text(found) == "0.9999"
    assert field_decisions({"category": 1.0}, {"category": found}) == {"category": "apply"}


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningStandin]:
    with serve_in_thread(StandinConfig(seed=2)) as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
        monkeypatch.setenv("TICKETBOT_MODEL", MODEL)
        yield running


@pytest.mark.desk(configure=True)
def test_a_field_health_calls_never_applied_is_not_applied_by_a_run(
    desk: Desk, llm: RunningStandin, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    # What the fit gives when the surest answers were all right but too few: 1.00, "never".
    always_sure = Calibration(starts=(0.0,), values=(1.0,))
    saved = llm_calibration.FieldCalibrations(
        MODEL,
        load_taxonomy().names,
        {"category": llm_calibration.FieldFit(always_sure, NEVER, 0.2, 0.1, 48)},
        written_at="2026-11-27T00:00:00+00:00",
    )
    llm_calibration.save(state, saved)

    checked = json.loads(invoke("health", "--json").stdout)
    [row] = [c for c in checked["checks"] if c["name"] == "calibration"]
    assert "category never applied" in row["reason"]

    ids = desk.create(
        [
            NewTicket("Refund", "I want a refund for my order, please send my money back."),
            NewTicket("Password", "I forgot my password and cannot log in to my account."),
        ]
    )
    ran = invoke("run")
    assert ran.exit_code == 0, ran.output
    logged = triaged_events(tmp_path / "logs")
    for ticket_id in ids:
        event = logged[ticket_id]
        assert event["field_confidence"]["category"] == 1.0
        assert event["decisions"]["category"] == "suggest", event["decisions"]
        tags = desk.snapshot(ticket_id).tags
        assert not any(t.startswith("ai_category_") for t in tags), tags
        assert "ai_suggested_category" in tags
