"""Freshdesk's test desk's staff (``desks.StaffedDesk``): skills, agents with skills and
availability, companies with a tier, and agents' notes and replies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .records import iso

if TYPE_CHECKING:
    from .serving import RunningFreshdesk


class FreshdeskStaffDesk:
    sandbox: RunningFreshdesk

    def define_skills(self, languages: Sequence[str], others: Sequence[str]) -> None:
        """One skill per language (named after it) and per other skill."""
        stamp = iso(self.sandbox.store.now())
        for name in (*languages, *others):
            self.sandbox.store.directory.staff.add_skill(name, stamp)

    def hire(
        self,
        name: str,
        group_id: int,
        skills: Sequence[str],
        *,
        available: bool = True,
        capacity: int | None = None,  # Freshdesk keeps no capacity: the team's setting applies
    ) -> int:
        directory = self.sandbox.store.directory
        wanted = {s.casefold() for s in skills}
        skill_ids = [
            sid for sid, s in directory.staff.skills.items() if s["name"].casefold() in wanted
        ]
        slug = name.lower().replace(" ", ".")
        made = directory.create_agent(
            {
                "name": name,
                "email": f"{slug}@agents.example.com",
                "ticket_scope": 1,
                "group_ids": [group_id],
                "skill_ids": skill_ids,
            }
        )
        agent_id = int(made["id"])
        self.set_away(agent_id, not available)
        return agent_id

    def set_away(self, agent_id: int, away: bool) -> None:
        self.sandbox.store.directory.set_available(agent_id, not away)

    def keep_no_availability(self) -> None:
        """Agents without the ``available`` toggle in their objects."""
        self.sandbox.store.directory.forget_available()

    def assignee_of(self, ticket_id: int) -> int | None:
        found = self.sandbox.store.find(ticket_id).get("responder_id")
        return None if found is None else int(found)

    def put_in_group(self, ticket_id: int, group_id: int) -> None:
        """The ticket lands in the group (a trigger, or a person), with no assignee."""
        self.sandbox.store.update(ticket_id, {"group_id": group_id})

    def person_assigns(self, ticket_id: int, agent_id: int, group_id: int) -> None:
        self.sandbox.store.update(ticket_id, {"responder_id": agent_id, "group_id": group_id})

    def skills_on(self, ticket_id: int) -> list[str]:
        skill = self.sandbox.store.find(ticket_id).get("skill_id")
        found = self.sandbox.store.directory.staff.skills.get(skill) if skill else None
        return [found["name"]] if found else []

    def organisation(self, name: str, tier: str) -> int:
        """A company whose ``tier`` custom field is ``tier``."""
        stamp = iso(self.sandbox.store.now())
        body = {"name": name, "custom_fields": {"tier": tier}}
        return int(self.sandbox.store.directory.staff.add_company(body, stamp)["id"])

    def note_by(self, ticket_id: int, agent_id: int, text: str) -> None:
        self.sandbox.store.add_note(ticket_id, text, private=True, user_id=agent_id)

    def public_replies(self, ticket_id: int) -> list[tuple[int | None, str]]:
        return [
            (c.get("user_id"), str(c.get("body_text") or ""))
            for c in self.sandbox.store.conversations(ticket_id)
            if not c.get("private")
        ]

    def internal_notes(self, ticket_id: int) -> list[str]:
        return [
            str(c.get("body_text") or "")
            for c in self.sandbox.store.conversations(ticket_id)
            if c.get("private")
        ]
