"""A ticket held back for low confidence whose words say critical is at least suggested for
escalation, on each sandbox: a "PRODUCTION DOWN ... Critical" ticket read at confidence 0.10 (the
keyword rules weigh "critical, asap" as said hurry: urgency high) got no route and not even a
suggested escalation. Now it is tagged ``ai_escalation_suggested`` by the escalating route that
would match, nothing is paged, and the note says why; a calm unsure ticket gets nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket

ROUTES = """
[[route]]
name = "critical"
when = { urgency = "critical" }
escalate = true
"""
DOWN = NewTicket(
    "PRODUCTION DOWN - Critical",
    "PRODUCTION DOWN. Nobody can work. Critical. Please call back asap",
)
CALM = NewTicket("Following up", "Hi, following up on our chat yesterday. Thanks, Tom")


@pytest.mark.desk(configure=True)
def test_an_unsure_ticket_whose_words_say_critical_is_suggested_for_escalation(
    desk: Desk, tmp_path: Path
) -> None:
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, encoding="utf-8")
    down, calm = desk.create([DOWN, CALM])
    ran = invoke("run", "--engine", "rules", env={"TICKETBOT_ROUTES": str(routes)})
    assert ran.exit_code == 0, ran.output
    assert "escalations_suggested=1" in ran.output

    held = desk.snapshot(down)
    assert {"ai_low_confidence", "ai_escalation_suggested"} <= set(held.tags)
    assert "ai_escalated" not in held.tags  # suggested: nobody is paged on an unsure reading
    (note,) = held.notes
    assert "escalation SUGGESTED, not sent, by route critical" in note
    assert "is under 0.50, but its words hold the keyword rules' critical phrases" in note

    quiet = desk.snapshot(calm)
    assert "ai_low_confidence" in quiet.tags
    assert not {"ai_escalation_suggested", "ai_escalated"} & set(quiet.tags)
