"""A customer's reply that turns a ticket into a security matter, end to end on each sandbox.

A password question is triaged as ``account``; the customer then replies that they entered
their password on a link and someone is using their account. The reply re-triage must do what
a first triage of that text would: the category becomes ``security``, the urgency rises and
the priority with it, the security route escalates, and the note says what changed. Through
the keyword rules (the reply read alone) and an LLM (the stand-in, which answers with the
keyword rules' analysis of the reply read with the first message after it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support.cli import invoke
from support.clock import FakeClock
from support.e2e import events

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.server import RunningStandin

ROUTES = """
[[route]]
name = "security is escalated"
when = { category = "security" }
escalate = true
"""
FIRST = NewTicket(
    "Password reset",
    "Hello, I forgot my password and would like to reset it. Where do I find the reset link "
    "for my account login?",
)
TAKEOVER = (
    "I clicked the link in an email that looked like yours and entered my password on that "
    "page. Now someone is using my account, I see orders I did not place."
)


@pytest.mark.parametrize("engine", ["rules", "llm"])
@pytest.mark.desk(clock="desk_clock", configure=True)
def test_a_reply_reporting_a_takeover_makes_the_ticket_security_and_escalates(
    desk: Desk,
    desk_clock: FakeClock,
    tmp_path: Path,
    engine: str,
    make_standin: Callable[..., RunningStandin],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if engine == "llm":
        llm = make_standin()
        monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
        monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    (tmp_path / "routes.toml").write_text(ROUTES, "utf-8")
    monkeypatch.setenv("TICKETBOT_ROUTES", str(tmp_path / "routes.toml"))
    [ticket] = desk.create([FIRST])
    first = invoke("run", "--engine", engine)
    assert first.exit_code == 0, first.output
    before = desk.snapshot(ticket)
    assert "ai_category_account" in before.tags
    assert "ai_escalated" not in before.tags

    desk_clock.advance(5)
    desk.requester_says(ticket, TAKEOVER)
    desk_clock.now = float(int(time.time()))  # the reply is over a minute old now
    second = invoke("run", "--engine", engine)
    assert second.exit_code == 0, second.output

    after = desk.snapshot(ticket)
    assert "ai_category_security" in after.tags
    assert "ai_category_account" not in after.tags
    assert "ai_urgency_high" in after.tags
    assert "ai_escalated" in after.tags
    assert after.priority == "urgent"  # escalated, as a new ticket of this text would be
    assert len(after.notes) == 2, after.notes
    note = after.notes[1]
    assert "category account → security" in note
    assert "ESCALATED by route security is escalated" in note
    [reply] = [e for e in events(tmp_path / "logs") if e["event"] == "reply_triaged"]
    assert reply["changed"]["category"] == ["account", "security"]
    assert reply["escalated"] is True
