"""Who can answer a Zendesk ticket: skills-based routing, omnichannel availability, organisations.

Skills are routing attributes' values (``/api/v2/routing/attributes`` and their ``values``); a
ticket's are its instance values (``/api/v2/routing/tickets/{id}/instance_values``, set with
``attribute_value_ids``, which replaces them). An agent's state, groups and skills come from
``/api/v2/agent_availabilities`` (omnichannel routing: ``agent_status.name`` online is available;
the support channel's ``max_capacity`` where set); open tickets per agent from
``/api/v2/search/count``. An account without omnichannel routing keeps no availability: its agents
are then the users with an agent's role and their group memberships, their skills their routing
attribute values (``/api/v2/routing/agents/{id}/instance_values``), at work in the account's
business hours (its first schedule, ``/api/v2/business_hours/schedules``). A reply in an agent's
name is a public comment whose ``author_id`` is the agent's, as Zendesk lets an admin token write
it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ...errors import HelpdeskError
from ..sla import Schedule
from ..staffing import AgentNote, Organisation, PublicMessage, SkillCatalogue, Staff
from .business_hours import read_schedule
from .client import ZendeskClient

AVAILABILITY_PAGE = 100  # the Agent Availability API's largest cursor page


def availabilities(http: Any, max_pages: int) -> tuple[list[dict[str, Any]] | None, int]:
    """The agents' omnichannel availabilities (``attributes`` of each resource), following
    the cursor (``meta.has_more`` / ``after_cursor``) for at most ``max_pages`` pages, and the
    requests it took; None where the account has no omnichannel routing (403 / 404)."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"page[size]": AVAILABILITY_PAGE}
    pages = 0
    while pages < max(1, max_pages):
        try:
            body = http.request("GET", "/api/v2/agent_availabilities.json", params=params)
        except HelpdeskError as exc:
            if exc.status_code not in (403, 404):
                raise
            return None, pages + 1
        pages += 1
        body = body if isinstance(body, dict) else {}
        for item in body.get("data") or ():
            attributes = item.get("attributes") if isinstance(item, dict) else None
            if isinstance(attributes, dict) and isinstance(attributes.get("agent_id"), int):
                found.append(attributes)
        meta = body.get("meta")
        if not isinstance(meta, dict) or not meta.get("has_more") or not meta.get("after_cursor"):
            break
        params = {"page[size]": AVAILABILITY_PAGE, "page[after]": meta["after_cursor"]}
    return found, pages


def agents_at_work(http: Any, max_pages: int) -> tuple[dict[int, int] | None, int]:
    """Group id -> its agents online now, and the requests it took; None where the account
    keeps no availability (no omnichannel routing: Zendesk says nothing of who is at work)."""
    found, pages = availabilities(http, max_pages)
    if not found:
        return None, pages
    at_work: dict[int, int] = {}
    for attributes in found:
        online = (attributes.get("agent_status") or {}).get("name") == "online"
        for group in attributes.get("group_ids") or ():
            if isinstance(group, int):
                at_work[group] = at_work.get(group, 0) + int(online)
    return at_work, pages


class ZendeskStaffing:
    """The ``StaffingDesk`` of one Zendesk account."""

    def __init__(self, client: ZendeskClient, own_id: Callable[[], int | None]) -> None:
        self.client = client
        self._own_id = own_id
        self._values: dict[str, tuple[str, str]] | None = None  # value id -> (attribute, name)

    def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        body = self.client.http.request("GET", path, params=params)
        return body if isinstance(body, dict) else {}

    def _value_names(self) -> dict[str, tuple[str, str]]:
        if self._values is None:
            found: dict[str, tuple[str, str]] = {}
            for attribute in self._get("/api/v2/routing/attributes.json").get("attributes") or ():
                aid, name = attribute.get("id"), attribute.get("name")
                if not isinstance(aid, str) or not isinstance(name, str):
                    continue
                path = f"/api/v2/routing/attributes/{aid}/values.json"
                for value in self._get(path).get("attribute_values") or ():
                    if isinstance(value.get("id"), str) and isinstance(value.get("name"), str):
                        found[value["id"]] = (name, value["name"])
            self._values = found
        return self._values

    def catalogue(self) -> SkillCatalogue:
        by: dict[str, list[str]] = {}
        for attribute, value in self._value_names().values():
            by.setdefault(attribute, []).append(value)
        return SkillCatalogue({k: tuple(v) for k, v in by.items()})

    def business_hours(self, group_id: int) -> Schedule | None:
        return read_schedule(self.client.http, [0])  # a Zendesk group has none of its own

    def _without_availability(self, people: dict[Any, dict[str, Any]]) -> list[Staff]:
        names = self._value_names()
        groups: dict[int, list[int]] = {}
        for m in self.client.paged("/api/v2/group_memberships.json", "group_memberships"):
            if isinstance(m.get("user_id"), int) and isinstance(m.get("group_id"), int):
                groups.setdefault(m["user_id"], []).append(m["group_id"])
        found = []
        for agent_id, user in people.items():
            if user.get("role") not in ("agent", "admin") or user.get("active") is False:
                continue
            if not isinstance(agent_id, int) or agent_id not in groups:
                continue  # no group: not an agent routing can pick
            path = f"/api/v2/routing/agents/{agent_id}/instance_values.json"
            values = self._get(path).get("attribute_values") or ()
            skills = frozenset(
                names[v["id"]][1] for v in values if isinstance(v, dict) and v.get("id") in names
            )
            name = str(user.get("name") or agent_id)
            found.append(Staff(agent_id, name, tuple(groups[agent_id]), skills))
        return found

    def staff(self) -> list[Staff]:
        names = self._value_names()
        people = {a.get("id"): a for a in self.client.paged("/api/v2/users.json", "users")}
        every, _ = availabilities(self.client.http, max_pages=100)
        if not every:
            return self._without_availability(people)  # no omnichannel routing
        found = []
        for attributes in every:
            agent_id = attributes["agent_id"]
            user = people.get(agent_id) or {}
            if user.get("active") is False:
                continue
            status = (attributes.get("agent_status") or {}).get("name")
            skills = frozenset(
                names[s["id"]][1]
                for s in attributes.get("skills") or ()
                if isinstance(s, dict) and s.get("id") in names
            )
            capacity = next(
                (
                    c.get("max_capacity")
                    for c in attributes.get("channels") or ()
                    if isinstance(c, dict) and c.get("name") == "support"
                ),
                None,
            )
            found.append(
                Staff(
                    id=agent_id,
                    name=str(user.get("name") or agent_id),
                    group_ids=tuple(
                        g for g in attributes.get("group_ids") or () if isinstance(g, int)
                    ),
                    skills=skills,
                    available=status == "online",
                    capacity=capacity if isinstance(capacity, int) else None,
                )
            )
        return found

    def open_load(self, agent_ids: Sequence[int]) -> dict[int, int]:
        loads = {}
        for agent_id in agent_ids:
            query = f"type:ticket status<solved assignee:{int(agent_id)}"
            count = self._get("/api/v2/search/count.json", {"query": query}).get("count")
            loads[agent_id] = count if isinstance(count, int) else 0
        return loads

    def organisation(self, organisation_id: int) -> Organisation | None:
        try:
            found = self._get(f"/api/v2/organizations/{int(organisation_id)}.json")
        except HelpdeskError:
            return None
        org = found.get("organization")
        if not isinstance(org, dict):
            return None
        fields = org.get("organization_fields") or {}
        return Organisation(
            id=int(organisation_id),
            name=str(org.get("name") or ""),
            fields={str(k): str(v) for k, v in fields.items() if v is not None},
            tags=tuple(str(t) for t in org.get("tags") or ()),
        )

    def ticket_skills(self, ticket_id: int) -> tuple[str, ...]:
        path = f"/api/v2/routing/tickets/{int(ticket_id)}/instance_values.json"
        values = self._get(path).get("attribute_values") or ()
        return tuple(str(v.get("name")) for v in values if isinstance(v, dict))

    def set_ticket_skills(self, ticket_id: int, skills: Sequence[str]) -> None:
        wanted = {s.casefold() for s in skills}
        ids = [vid for vid, (_, name) in self._value_names().items() if name.casefold() in wanted]
        self.client.http.request(
            "POST",
            f"/api/v2/routing/tickets/{int(ticket_id)}/instance_values.json",
            json={"attribute_value_ids": ids},
        )

    def assign(self, ticket_id: int, agent_id: int | None, group_id: int | None) -> None:
        change: dict[str, Any] = {"assignee_id": agent_id}
        if group_id is not None:
            change["group_id"] = group_id
        self.client.put_ticket(ticket_id, change, replay_safe=True)

    def _comments(self, ticket_id: int) -> list[dict[str, Any]]:
        path = f"/api/v2/tickets/{int(ticket_id)}/comments.json"
        return [c for c in self.client.paged(path, "comments") if isinstance(c, dict)]

    def agent_notes(self, ticket_id: int) -> list[AgentNote]:
        own = self._own_id()
        return [
            AgentNote(int(c["id"]), int(c["author_id"]), str(c.get("body") or ""))
            for c in self._comments(ticket_id)
            if c.get("public") is False
            and isinstance(c.get("author_id"), int)
            and c["author_id"] != own
        ]

    def public_messages(self, ticket_id: int) -> list[PublicMessage]:
        comments = self._comments(ticket_id)[1:]  # the first is the ticket's description
        return [
            PublicMessage(c.get("author_id"), str(c.get("body") or ""))
            for c in comments
            if c.get("public") is True
        ]

    def reply_as(self, ticket_id: int, agent_id: int, body: str) -> None:
        comment = {"body": body, "public": True, "author_id": int(agent_id)}
        self.client.put_ticket(ticket_id, {"comment": comment}, replay_safe=False)

    def note(self, ticket_id: int, body: str) -> None:
        self.client.put_ticket(
            ticket_id, {"comment": {"body": body, "public": False}}, replay_safe=False
        )
