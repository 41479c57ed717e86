"""Where the helpdesk keeps no agent availability (Zendesk without omnichannel routing,
Freshdesk agents without ``available``, ServiceNow without AWA presence), an agent is at work
in the group's business hours, the helpdesk's own schedule: assigned inside them, not outside,
on each sandbox."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.e2e import events
from support.sla import EVERY_DAY, TARGETS, sla_desk

from ticket_processor.sandbox.desks import NewTicket, StaffedDesk

pytestmark = pytest.mark.desk(configure=True)

PORTUGUESE = NewTicket("Cobrança em dobro", "Fui cobrado duas vezes, reembolsem por favor.")
SKILLS = '[categories]\nbilling = "Billing"\nrefund = "Billing"\n'
DAY = 24 * 3600


@pytest.fixture
def team(desk: StaffedDesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """The Billing group with one agent whose availability the helpdesk does not keep."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("TICKETBOT_ASSIGNMENT", "agents")
    desk.define_skills(["Portuguese", "English"], ["Billing"])
    (tmp_path / "skills.toml").write_text(SKILLS)
    monkeypatch.setenv("TICKETBOT_SKILLS", str(tmp_path / "skills.toml"))
    return desk.group("Billing")


def _assign_one(desk: StaffedDesk, group: int, logs: Path) -> tuple[int, int, list[dict[str, Any]]]:
    agent = desk.hire("Ana Souza", group, ["Portuguese", "Billing"])
    desk.keep_no_availability()
    (ticket_id,) = desk.create([PORTUGUESE])
    desk.put_in_group(ticket_id, group)
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    decided = [e for e in events(logs) if e["event"] in ("ticket_assigned", "assignment_none")]
    return agent, ticket_id, decided


def test_in_business_hours_an_agent_without_availability_is_assigned(
    desk: StaffedDesk, team: int, tmp_path: Path
) -> None:
    sla = sla_desk(desk)
    sla.sla_schedule("UTC", EVERY_DAY)
    sla.sla_policy(TARGETS, business_hours=True)
    agent, ticket_id, decided = _assign_one(desk, team, tmp_path / "logs")
    assert [e["event"] for e in decided] == ["ticket_assigned"]
    assert desk.assignee_of(ticket_id) == agent


def test_outside_business_hours_nobody_is_and_the_note_says_why(
    desk: StaffedDesk, team: int, tmp_path: Path
) -> None:
    sla = sla_desk(desk)
    now = time.time()
    closed = [time.strftime("%Y-%m-%d", time.gmtime(now + d)) for d in (-DAY, 0, DAY)]
    sla.sla_schedule("UTC", EVERY_DAY, holidays=closed)
    sla.sla_policy(TARGETS, business_hours=True)
    _, ticket_id, decided = _assign_one(desk, team, tmp_path / "logs")
    [none] = decided
    assert none["event"] == "assignment_none"
    assert "outside its business hours" in none["reason"]
    assert desk.assignee_of(ticket_id) is None
    assert desk.group_of(ticket_id) == team
    assert any("business hours" in note for note in desk.internal_notes(ticket_id))


def test_without_a_schedule_an_agent_without_availability_is_at_work(
    desk: StaffedDesk, team: int, tmp_path: Path
) -> None:
    agent, ticket_id, decided = _assign_one(desk, team, tmp_path / "logs")
    assert [e["event"] for e in decided] == ["ticket_assigned"]
    assert desk.assignee_of(ticket_id) == agent
