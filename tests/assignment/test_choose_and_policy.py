"""The assignment's pure parts: which agent takes a ticket, what a ticket needs, the tier, the
skills file and its near-miss warning, the reply marker and the reply's screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticket_processor.assignment.choose import Need, assign_batch, choose
from ticket_processor.assignment.policy import SkillPolicy, read_policy
from ticket_processor.assignment.reply import marked, screen
from ticket_processor.errors import ConfigError
from ticket_processor.helpdesks.staffing import AgentNote, Organisation, SkillCatalogue, Staff

GROUP = 7


def _agent(
    agent_id: int, skills: set[str], *, available: bool | None = True, capacity: int | None = None
) -> Staff:
    return Staff(agent_id, f"agent {agent_id}", (GROUP,), frozenset(skills), available, capacity)


def test_the_least_loaded_available_agent_with_every_skill_takes_it() -> None:
    staff = [
        _agent(1, {"Portuguese", "Billing"}),
        _agent(2, {"Portuguese", "Billing"}),
        _agent(3, {"Portuguese", "Billing"}, available=False),
        _agent(4, {"Portuguese"}),
    ]
    pick = choose(Need(10, GROUP, ("Portuguese", "Billing")), staff, {1: 3, 2: 1, 3: 0}, 5)
    assert pick.agent is not None
    assert pick.agent.id == 2


def test_nobody_fits_names_the_missing_skill_or_the_capacity() -> None:
    staff = [_agent(1, {"English", "Billing"}), _agent(2, {"German"}, available=False)]
    german = choose(Need(10, GROUP, ("German", "Billing")), staff, {}, 5)
    assert german.agent is None
    assert german.reason == "no available agent has the skill German"
    full = choose(Need(11, GROUP, ("English",)), staff, {1: 2}, 2)
    assert full.agent is None
    assert "capacity" in full.reason
    own = choose(Need(12, GROUP, ("English",)), [_agent(1, {"English"}, capacity=9)], {1: 2}, 2)
    assert own.agent is not None  # the helpdesk's own capacity wins over the team's default


def test_without_availability_the_groups_business_hours_say() -> None:
    kept = Staff(1, "Kept", (10,), frozenset({"Billing"}), available=True)
    unknown = Staff(2, "Unknown", (10,), frozenset({"Billing"}), available=None)
    need = Need(100, 10, ("Billing",))
    assert choose(need, [unknown], {}, 5, {10: True}).agent == unknown
    assert choose(need, [unknown], {}, 5).agent == unknown  # no schedule kept: at work
    closed = choose(need, [unknown], {}, 5, {10: False})
    assert closed.agent is None
    assert "outside its business hours" in closed.reason
    assert choose(need, [kept, unknown], {1: 3}, 5, {10: False}).agent == kept  # its own state


def test_vip_tickets_are_served_first_and_loads_grow() -> None:
    staff = [_agent(1, {"English"})]
    needs = [
        Need(1, GROUP, ("English",), created_at="2026-01-01T00:00:00Z"),
        Need(2, GROUP, ("English",), vip=True, created_at="2026-01-02T00:00:00Z"),
    ]
    picks = assign_batch(needs, staff, {}, 1)
    assert [(p.ticket_id, p.agent is not None) for p in picks] == [(2, True), (1, False)]


def test_a_ticket_needs_its_language_and_its_categorys_skill() -> None:
    policy = SkillPolicy(categories={"billing": "Billing"})
    attributed = SkillCatalogue({"Language": ("Portuguese", "German"), "Product": ("Billing",)})
    assert policy.needs("pt", "billing", attributed) == ("Portuguese", "Billing")
    assert policy.needs("fr", "other", attributed) == ()  # no French skill: no need
    plain = SkillCatalogue({"": ("portuguese", "Billing")})
    assert policy.needs("pt", "billing", plain) == ("portuguese", "Billing")


def test_the_tier_comes_from_the_organisations_field_or_tag_never_the_text() -> None:
    policy = SkillPolicy(tier_field="Tier", vip_tiers=frozenset({"vip", "gold"}))
    assert policy.is_vip(Organisation(1, "A", {"tier": "Gold"}))
    assert not policy.is_vip(Organisation(2, "B", {"tier": "standard"}, ("vip",)))  # the field
    assert policy.is_vip(Organisation(3, "C", {}, ("VIP",)))
    assert not policy.is_vip(None)


def test_the_skills_file_and_its_near_miss_warning(tmp_path: Path) -> None:
    path = tmp_path / "skills.toml"
    path.write_text('[categories]\nbilling = "Biling"\n[tier]\nfield = "plan"\nvip = ["Gold"]\n')
    policy = read_policy(path)
    assert policy.tier_field == "plan"
    assert policy.vip_tiers == {"gold"}
    [warning] = policy.check(SkillCatalogue({"": ("Billing",)}))
    assert "did you mean 'Billing'" in warning
    path.write_text("[categories]\nbilling = 3\n")
    with pytest.raises(ConfigError, match="TICKETBOT_SKILLS"):
        read_policy(path)


def test_the_marker_starts_the_note() -> None:
    assert marked(AgentNote(1, 2, "/reply Thanks, done.")) == "Thanks, done."
    assert marked(AgentNote(1, 2, "  /reply\nTwo lines")) == "Two lines"
    assert marked(AgentNote(1, 2, "/replying later")) is None
    assert marked(AgentNote(1, 2, "see /reply below")) is None


def test_the_screen_refuses_links_secrets_and_new_numbers() -> None:
    assert screen("Obrigado, está resolvido.", "Thanks, it is fixed.") is None
    assert "link" in (screen("Veja https://x.example/a", "See the page") or "")
    assert "secret" in (screen("Envie a sua senha, por favor.", "Send it please") or "")
    assert "number" in (screen("Reembolsámos 50 euros.", "We refunded 40 euros.") or "")
    assert screen("Reembolsámos 40 euros.", "We refunded 40 euros.") is None
