"""Zendesk's test desk's staff (``desks.StaffedDesk``): routing attributes, agents with skills,
availability and capacity, organisations with a tier, and agents' notes and replies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .records import iso

if TYPE_CHECKING:
    from .server import RunningSandbox


class ZendeskStaffDesk:
    sandbox: RunningSandbox

    def define_skills(self, languages: Sequence[str], others: Sequence[str]) -> None:
        """A routing attribute ``Language`` with the languages, ``Product`` with the rest."""
        book, url = self.sandbox.store.directory.routing, self.sandbox.url
        stamp = iso(self.sandbox.store.now())
        for attribute, values in (("Language", languages), ("Product", others)):
            made = book.attribute(attribute, url, stamp)
            for value in values:
                book.value(made["id"], value, url, stamp)

    def hire(
        self,
        name: str,
        group_id: int,
        skills: Sequence[str],
        *,
        available: bool = True,
        capacity: int | None = None,
    ) -> int:
        directory, url = self.sandbox.store.directory, self.sandbox.url
        slug = name.lower().replace(" ", ".")
        made = directory.create_agent(
            {"name": name, "email": f"{slug}@agents.example.com", "role": "agent"}, url
        )
        agent_id = int(made["id"])
        directory.create_membership({"user_id": agent_id, "group_id": group_id}, url)
        book = directory.routing
        wanted = {s.casefold() for s in skills}
        ids = [vid for vid, v in book.values.items() if v["name"].casefold() in wanted]
        book.set_values(book.agent_values, agent_id, ids)
        self.set_away(agent_id, not available)
        if capacity is not None:
            book.capacity[agent_id] = capacity
        return agent_id

    def set_away(self, agent_id: int, away: bool) -> None:
        self.sandbox.store.directory.routing.status[agent_id] = "away" if away else "online"

    def keep_no_availability(self) -> None:
        """An account without omnichannel routing: no agent availability, no capacity."""
        self.sandbox.store.directory.routing.omnichannel = False

    def assignee_of(self, ticket_id: int) -> int | None:
        found = self.sandbox.store.get(ticket_id).get("assignee_id")
        return None if found is None else int(found)

    def put_in_group(self, ticket_id: int, group_id: int) -> None:
        """The ticket lands in the group (a trigger, or a person), with no assignee."""
        self.sandbox.store.update(ticket_id, {"group_id": group_id})

    def person_assigns(self, ticket_id: int, agent_id: int, group_id: int) -> None:
        self.sandbox.store.update(ticket_id, {"assignee_id": agent_id, "group_id": group_id})

    def skills_on(self, ticket_id: int) -> list[str]:
        book = self.sandbox.store.directory.routing
        return [v["name"] for v in book.shown(book.ticket_values.get(ticket_id, []))]

    def organisation(self, name: str, tier: str) -> int:
        """An organisation whose ``tier`` field is ``tier`` (and tagged with it)."""
        stamp = iso(self.sandbox.store.now())
        fields = {"name": name, "tags": [tier], "organization_fields": {"tier": tier}}
        made = self.sandbox.store.directory.routing.add_organisation(
            fields, self.sandbox.url, stamp
        )
        return int(made["id"])

    def note_by(self, ticket_id: int, agent_id: int, text: str) -> None:
        comment = {"body": text, "public": False, "author_id": agent_id}
        self.sandbox.store.update(ticket_id, {"comment": comment})

    def public_replies(self, ticket_id: int) -> list[tuple[int | None, str]]:
        comments = self.sandbox.store.comments(ticket_id)[1:]
        return [(c.get("author_id"), str(c["body"])) for c in comments if c["public"]]

    def internal_notes(self, ticket_id: int) -> list[str]:
        return [str(c["body"]) for c in self.sandbox.store.comments(ticket_id) if not c["public"]]
