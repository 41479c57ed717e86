"""``TICKETBOT_CASCADE=true`` on each sandbox: the learned model (calibrated) decides first and
the LLM stand-in is called only for the tickets whose needed fields it would not apply; every
ticket is still triaged, none as a fallback, and the summary counts what the cascade spared."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.server import (
    RunningStandin,
    StandinConfig,
    serve_in_thread,
)

pytestmark = pytest.mark.desk(configure=True)
DATA = Path(__file__).resolve().parents[1] / "data"
TICKETS = [
    NewTicket("Refund", "I want a refund for my order, please send my money back."),
    NewTicket("Password", "I forgot my password and need to reset it to log in."),
    NewTicket("Hello", "Hi there, a quick word about something."),
    NewTicket("Thing", "It does the thing again since yesterday."),
    NewTicket("Delivery", "Where is my parcel? Tracking my order shows nothing."),
    NewTicket("Card", "My card payment was declined at the shop."),
]


@pytest.fixture
def model_file(calibrated_model: Path) -> Path:
    return calibrated_model  # trained once per session (tests/support/models.py)


@pytest.fixture
def llm() -> Iterator[RunningStandin]:
    with serve_in_thread(StandinConfig(seed=5)) as running:
        yield running


def test_the_llm_is_asked_only_where_the_model_is_not_sure(
    desk: Desk,
    llm: RunningStandin,
    model_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    monkeypatch.setenv("TICKETBOT_LEARNED_MODEL", str(model_file))
    monkeypatch.setenv("TICKETBOT_CASCADE", "true")
    monkeypatch.setenv("TICKETBOT_CASCADE_FIELDS", "category")  # the model only learned that
    monkeypatch.setenv("TICKETBOT_KB_SUGGESTIONS", "0")
    ids = desk.create(TICKETS)
    ran = invoke("run")
    assert ran.exit_code == 0, ran.output
    triaged = {
        e["ticket_id"]: e for e in events(tmp_path / "logs") if e["event"] == "ticket_triaged"
    }
    assert set(triaged) == set(ids)
    spared = [i for i in ids if triaged[i]["cascaded"]]
    asked = [i for i in ids if not triaged[i]["cascaded"]]
    assert spared
    assert asked  # the model is sure of some tickets, not of others
    for ticket_id in spared:
        event = triaged[ticket_id]
        assert event["engine"] == "learned"
        assert event["decisions"]["category"] == "apply"
    for ticket_id in asked:
        assert triaged[ticket_id]["engine"] == "llm"
    assert not any(triaged[i]["fallback"] for i in ids)
    assert len(llm.received) == len(asked)  # one LLM call per ticket the model was unsure of
    [finished] = [e for e in events(tmp_path / "logs") if e["event"] == "run_finished"]
    assert finished["cascaded"] == len(spared)
    assert "cascaded=" in ran.output or "cascade" in ran.output
