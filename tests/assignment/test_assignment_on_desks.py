"""Who answers a ticket, end to end on each sandbox: its skills written for the helpdesk's own
routing (``skills``: no assignee), or an agent ticketbot picks (``agents``): available, with
every skill the ticket needs, under capacity, VIP tickets first; nobody fits → the group alone
and a note naming the missing skill; a person's assignment is kept; revert takes it back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import NewTicket, StaffedDesk

pytestmark = pytest.mark.desk(configure=True)

PORTUGUESE = NewTicket(
    "Cobrança em dobro",
    "Olá, fui cobrado duas vezes pela minha assinatura deste mês. Por favor reembolsem a "
    "segunda cobrança do cartão. Obrigado",
)
GERMAN = NewTicket(
    "Doppelte Abbuchung",
    "Hallo, ich wurde zweimal für mein Abonnement belastet. Bitte erstatten Sie die zweite "
    "Abbuchung von meiner Karte. Danke",
)
ENGLISH = NewTicket(
    "Charged twice",
    "Hello, I was charged twice for my subscription this month. Please refund the second "
    "charge on my card. Thanks",
)

SKILLS = """
[categories]
billing = "Billing"
refund = "Billing"

[tier]
field = "tier"
vip = ["vip"]
"""


@pytest.fixture
def team(desk: StaffedDesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """The Billing group and the skills, the skills file; no LLM (the rules)."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    desk.define_skills(["Portuguese", "German", "English"], ["Billing"])
    (tmp_path / "skills.toml").write_text(SKILLS)
    monkeypatch.setenv("TICKETBOT_SKILLS", str(tmp_path / "skills.toml"))
    return desk.group("Billing")


def _create(desk: StaffedDesk, group: int, tickets: list[NewTicket]) -> list[int]:
    """Tickets that landed in ``group`` (a trigger put them there), unassigned."""
    ids = desk.create(tickets)
    for ticket_id in ids:
        desk.put_in_group(ticket_id, group)
    return ids


def _run(logs: Path) -> str:
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    [finished] = [e for e in events(logs) if e["event"] == "run_finished"][-1:]
    return str(finished["run_id"])


def test_agents_mode_picks_an_available_agent_with_every_skill(
    desk: StaffedDesk, team: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_ASSIGNMENT", "agents")
    ana = desk.hire("Ana Souza", team, ["Portuguese", "Billing"])
    away = desk.hire("Bruno Lima", team, ["Portuguese", "Billing"], available=False)
    carl = desk.hire("Carl Reed", team, ["English", "Billing"])
    desk.hire("Dora Pinto", team, ["Portuguese"])  # reads it, but no billing skill
    pt, de, en = _create(desk, team, [PORTUGUESE, GERMAN, ENGLISH])
    _run(tmp_path / "logs")
    assert desk.assignee_of(pt) == ana
    assert desk.assignee_of(en) == carl
    assert desk.assignee_of(de) is None  # nobody available reads German
    assert desk.group_of(de) == team  # it stays in its group
    assert any("German" in text for text in desk.internal_notes(de))
    assert away not in {desk.assignee_of(t) for t in (pt, de, en)}


def test_vip_first_and_capacity_kept(
    desk: StaffedDesk, team: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_ASSIGNMENT", "agents")
    monkeypatch.setenv("TICKETBOT_AGENT_CAPACITY", "1")
    ana = desk.hire("Ana Souza", team, ["Portuguese", "Billing"])
    vip = desk.organisation("Big Client", "vip")
    plain, first = _create(
        desk, team, [PORTUGUESE, NewTicket(PORTUGUESE.subject, PORTUGUESE.body, organization=vip)]
    )
    logs = tmp_path / "logs"
    _run(logs)
    assert desk.assignee_of(first) == ana  # the VIP's, though asked second
    assert desk.assignee_of(plain) is None  # Ana holds one: her capacity
    [none] = [e for e in events(logs) if e["event"] == "assignment_none"]
    assert none["ticket_id"] == plain
    assert "capacity" in none["reason"]


def test_a_persons_assignment_is_kept_and_revert_takes_ours_back(
    desk: StaffedDesk, team: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_ASSIGNMENT", "agents")
    ana = desk.hire("Ana Souza", team, ["Portuguese", "Billing"])
    eve = desk.hire("Eve Costa", team, ["English", "Billing"])
    mine, theirs = _create(desk, team, [PORTUGUESE, PORTUGUESE])
    desk.person_assigns(theirs, eve, team)
    logs = tmp_path / "logs"
    run_id = _run(logs)
    assert desk.assignee_of(mine) == ana
    assert desk.assignee_of(theirs) == eve  # a person's choice stands
    reverted = invoke("revert", "--run", run_id)
    assert reverted.exit_code == 0, reverted.output
    assert desk.assignee_of(mine) is None
    assert desk.assignee_of(theirs) == eve


def test_skills_mode_writes_the_routing_skills_and_no_assignee(
    desk: StaffedDesk, team: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_ASSIGNMENT", "skills")
    desk.hire("Ana Souza", team, ["Portuguese", "Billing"])
    pt, de = _create(desk, team, [PORTUGUESE, GERMAN])
    run_id = _run(tmp_path / "logs")
    # Freshdesk matches a ticket to one skill (the language's); the others take every skill.
    assert desk.skills_on(pt)[0] == "Portuguese"
    assert set(desk.skills_on(pt)) <= {"Portuguese", "Billing"}
    assert desk.skills_on(de)[0] == "German"
    assert desk.assignee_of(pt) is None
    assert desk.assignee_of(de) is None
    reverted = invoke("revert", "--run", run_id)
    assert reverted.exit_code == 0, reverted.output
    assert desk.skills_on(pt) == []
    assert desk.skills_on(de) == []


def test_off_by_default_touches_no_one(desk: StaffedDesk, team: int, tmp_path: Path) -> None:
    desk.hire("Ana Souza", team, ["Portuguese", "Billing"])
    [pt] = _create(desk, team, [PORTUGUESE])
    _run(tmp_path / "logs")
    assert desk.assignee_of(pt) is None
    assert desk.skills_on(pt) == []


def test_a_person_moving_our_assignment_is_counted_in_report(
    desk: StaffedDesk, team: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_ASSIGNMENT", "agents")
    ana = desk.hire("Ana Souza", team, ["Portuguese", "Billing"])
    eve = desk.hire("Eve Costa", team, ["English", "Billing"])
    [ticket] = _create(desk, team, [PORTUGUESE])
    logs = tmp_path / "logs"
    _run(logs)
    assert desk.assignee_of(ticket) == ana
    desk.person_assigns(ticket, eve, team)  # a person knows better
    _run(logs)
    _run(logs)  # once only
    [moved] = [e for e in events(logs) if e["event"] == "assignment_moved"]
    assert (moved["ticket_id"], moved["agent_id"], moved["now_id"]) == (ticket, ana, eve)
    assert desk.assignee_of(ticket) == eve  # and it stays the person's
    report = invoke("report", "--json")
    assert report.exit_code == 0, report.output
    counted = json.loads(report.output)["assignments"]
    assert counted["assigned"] == 1
    assert counted["moved_by_people"] == 1
    assert counted["by_skill"]["Portuguese"] == {"assigned": 1, "moved": 1}
