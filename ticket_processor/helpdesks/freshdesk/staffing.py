"""Who can answer a Freshdesk ticket: agents' availability and skills, companies, a ticket's skill.

Agents (``/api/v2/agents``: ``available``, ``group_ids``, ``skill_ids``), skills
(``/api/v2/admin/skills``), companies (``/api/v2/companies/{id}``: ``custom_fields``,
``account_tier``), open tickets per agent (``/api/v2/search/tickets``'s ``total``), a group's
business hours (its ``business_hour_id``'s calendar in ``/api/v2/business_hours``, else the default
one): an agent object without ``available`` keeps no availability, and those hours say. Freshdesk
matches a ticket to one skill (its ``skill_id``): the first the assignment names (the language's). A
reply in an agent's name is ``POST /tickets/{id}/reply`` with their ``user_id``; a note from
ticketbot's user, ``/notes`` with ``private``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from ...errors import HelpdeskError
from ..sla import Schedule
from ..staffing import AgentNote, Organisation, PublicMessage, SkillCatalogue, Staff
from .business_hours import read_schedule
from .records import note_html
from .wire import FreshdeskTransport


class FreshdeskStaffing:
    """The ``StaffingDesk`` of one Freshdesk account."""

    def __init__(self, http: FreshdeskTransport, own_id: Callable[[], int | None]) -> None:
        self.http = http
        self._own_id = own_id
        self._skills: dict[int, str] | None = None

    def _every(self, path: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for page in self.http.pages(path, {"per_page": 100}):
            found += [item for item in page if isinstance(item, dict)]
        return found

    def _skill_names(self) -> dict[int, str]:
        if self._skills is None:
            self._skills = {
                s["id"]: str(s.get("name"))
                for s in self._every("/api/v2/admin/skills")
                if isinstance(s.get("id"), int)
            }
        return self._skills

    def catalogue(self) -> SkillCatalogue:
        return SkillCatalogue({"": tuple(self._skill_names().values())})

    def staff(self) -> list[Staff]:
        names = self._skill_names()
        found = []
        for agent in self._every("/api/v2/agents"):
            contact = agent.get("contact") or {}
            if not isinstance(agent.get("id"), int) or contact.get("active") is False:
                continue
            found.append(
                Staff(
                    id=agent["id"],
                    name=str(contact.get("name") or agent["id"]),
                    group_ids=tuple(g for g in agent.get("group_ids") or () if isinstance(g, int)),
                    skills=frozenset(names[s] for s in agent.get("skill_ids") or () if s in names),
                    available=agent["available"] is True if "available" in agent else None,
                )
            )
        return found

    def business_hours(self, group_id: int) -> Schedule | None:
        group = self.http.request("GET", f"/api/v2/groups/{int(group_id)}").body
        own = group.get("business_hour_id") if isinstance(group, dict) else None
        calendars = self.http.request("GET", "/api/v2/business_hours").body
        every = [c for c in calendars if isinstance(c, dict)] if isinstance(calendars, list) else []
        chosen = [{**c, "is_default": True} for c in every if own and c.get("id") == own]
        return read_schedule(chosen or every, date.today().year)

    def open_load(self, agent_ids: Sequence[int]) -> dict[int, int]:
        loads = {}
        for agent_id in agent_ids:
            query = f'"agent_id:{int(agent_id)} AND (status:2 OR status:3)"'
            answer = self.http.request("GET", "/api/v2/search/tickets", params={"query": query})
            total = answer.body.get("total") if isinstance(answer.body, dict) else None
            loads[agent_id] = total if isinstance(total, int) else 0
        return loads

    def organisation(self, organisation_id: int) -> Organisation | None:
        try:
            answer = self.http.request("GET", f"/api/v2/companies/{int(organisation_id)}")
        except HelpdeskError:
            return None
        body = answer.body if isinstance(answer.body, dict) else {}
        fields = {str(k): str(v) for k, v in (body.get("custom_fields") or {}).items() if v}
        if body.get("account_tier"):
            fields.setdefault("account_tier", str(body["account_tier"]))
        return Organisation(int(organisation_id), str(body.get("name") or ""), fields)

    def _ticket(self, ticket_id: int) -> dict[str, Any]:
        answer = self.http.request("GET", f"/api/v2/tickets/{int(ticket_id)}")
        return answer.body if isinstance(answer.body, dict) else {}

    def ticket_skills(self, ticket_id: int) -> tuple[str, ...]:
        skill = self._ticket(ticket_id).get("skill_id")
        name = self._skill_names().get(skill) if isinstance(skill, int) else None
        return (name,) if name else ()

    def set_ticket_skills(self, ticket_id: int, skills: Sequence[str]) -> None:
        by_name = {name.casefold(): sid for sid, name in self._skill_names().items()}
        # None (no skill named, a revert to none): the ticket's skill is cleared.
        chosen = next((by_name[s.casefold()] for s in skills if s.casefold() in by_name), None)
        self.http.request("PUT", f"/api/v2/tickets/{int(ticket_id)}", json={"skill_id": chosen})

    def assign(self, ticket_id: int, agent_id: int | None, group_id: int | None) -> None:
        body: dict[str, Any] = {"responder_id": agent_id}
        if group_id is not None:
            body["group_id"] = group_id
        self.http.request("PUT", f"/api/v2/tickets/{int(ticket_id)}", json=body)

    def _conversations(self, ticket_id: int) -> list[dict[str, Any]]:
        return self._every(f"/api/v2/tickets/{int(ticket_id)}/conversations")

    def agent_notes(self, ticket_id: int) -> list[AgentNote]:
        own = self._own_id()
        return [
            AgentNote(int(c["id"]), int(c["user_id"]), str(c.get("body_text") or ""))
            for c in self._conversations(ticket_id)
            if c.get("private") is True
            and c.get("incoming") is not True
            and isinstance(c.get("user_id"), int)
            and c["user_id"] != own
        ]

    def public_messages(self, ticket_id: int) -> list[PublicMessage]:
        return [
            PublicMessage(c.get("user_id"), str(c.get("body_text") or ""))
            for c in self._conversations(ticket_id)
            if c.get("private") is not True
        ]

    def reply_as(self, ticket_id: int, agent_id: int, body: str) -> None:
        self.http.request(
            "POST",
            f"/api/v2/tickets/{int(ticket_id)}/reply",
            json={"body": note_html(body), "user_id": int(agent_id)},
            replay_safe=False,
            retry=False,
        )

    def note(self, ticket_id: int, body: str) -> None:
        self.http.request(
            "POST",
            f"/api/v2/tickets/{int(ticket_id)}/notes",
            json={"body": note_html(body), "private": True},
            replay_safe=False,
        )


class FreshdeskStaffingReads:
    """The adapter's ``staffing()``: its transport and its own agent id, as a ``StaffingDesk``."""

    http: FreshdeskTransport

    def own_id(self) -> int | None:
        raise NotImplementedError

    def staffing(self) -> FreshdeskStaffing:
        """Agents, skills, availability and companies, for the assignment."""
        return FreshdeskStaffing(self.http, self.own_id)
