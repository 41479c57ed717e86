"""A calibrated learned model in a real run, on each sandbox: a field whose calibrated
confidence is under its apply threshold is suggested (named in the note, tagged
``ai_suggested_<field>``), never applied; one above is applied as always."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)
DATA = Path(__file__).resolve().parents[1] / "data"
TICKETS = [
    NewTicket("Refund", "I want a refund for my order, please send my money back."),
    NewTicket("Password", "I forgot my password and cannot log in to my account."),
    NewTicket("Hello", "Hi there, a quick word about something."),
    NewTicket("Thing", "It does the thing again since yesterday."),
    NewTicket("Delivery", "Where is my parcel? The delivery is late and tracking is stuck."),
]


@pytest.fixture
def model_file(calibrated_model: Path) -> Path:
    return calibrated_model  # trained once per session (tests/support/models.py)


def test_low_confidence_fields_are_suggested_not_applied(
    desk: Desk, model_file: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("TICKETBOT_LEARNED_MODEL", str(model_file))
    monkeypatch.setenv("TICKETBOT_APPLY_AT", "category=0.9")
    ids = desk.create(TICKETS)
    ran = invoke("run")
    assert ran.exit_code == 0, ran.output
    assert "TICKETBOT_APPLY_AT" not in ran.stderr  # calibrated: the setting is used
    triaged = {
        e["ticket_id"]: e for e in events(tmp_path / "logs") if e["event"] == "ticket_triaged"
    }
    seen = set()
    for ticket_id in ids:
        event = triaged[ticket_id]
        assert event["engine"] == "learned"
        fate = event["decisions"]["category"]
        seen.add(fate)
        confidence = event["field_confidence"]["category"]
        snap = desk.snapshot(ticket_id)
        [note] = snap.notes
        if fate == "apply":
            assert confidence >= 0.9
            assert f"ai_category_{event['category']}" in snap.tags
            assert "ai_suggested_category" not in snap.tags
        else:
            assert confidence < 0.9
            assert not any(t.startswith("ai_category_") for t in snap.tags), snap.tags
            assert "ai_low_confidence" in snap.tags
            if fate == "suggest":
                assert "ai_suggested_category" in snap.tags
                assert f"Category: {event['category']}? (suggested" in note
            else:
                assert "Category: not decided" in note
        assert "Confidence (calibrated): category" in note
    assert "apply" in seen
    assert seen - {"apply"}  # and at least one ticket the model was not sure enough of


def test_apply_at_without_a_calibration_is_said_once(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The keyword rules have no calibrated confidence: thresholds set for them would do
    nothing without a word; the run says so once on stderr and once in its log."""
    monkeypatch.setenv("TICKETBOT_APPLY_AT", "category=0.9")
    desk.create(TICKETS)
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    assert ran.stderr.count("TICKETBOT_APPLY_AT is set, but") == 1, ran.stderr
    unused = [e for e in events(tmp_path / "logs") if e["event"] == "apply_at_unused"]
    assert len(unused) == 1
