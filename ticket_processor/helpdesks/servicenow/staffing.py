"""Who can answer a ServiceNow ticket: groups' members, skills, presence, companies.

Groups' members are ``sys_user_grmember`` rows; skills are ``cmn_skill`` records, an agent's
``sys_user_has_skill`` rows, a task's its ``skills`` list (cmn_skill sys_ids, comma-separated);
presence is Advanced Work Assignment's ``awa_agent_presence`` (``current_presence_state``'s
display value ``Available``; an agent without a row has no presence kept: None, and the
business hours say: the schedule of the instance's active SLA definitions, ``contract_sla``'s
``schedule``, as the SLA read takes it). Open tickets
per agent are the table's unsolved records ``assigned_to`` them; the customer's company is the
caller's ``core_company`` (its columns are its fields). The Table API writes as the signed-in
user: a reply "in an agent's name" is a comment by ticketbot's user, the work note beside it
names the agent. The SLA read counts the agents at work per group from the same presence
(``agents_at_work``: the available agents' ``sys_user_grmember`` rows, a hundred agents a
request).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..sla import Schedule
from ..staffing import AgentNote, Organisation, PublicMessage, SkillCatalogue, Staff
from .business_hours import read_schedule
from .list_reads import TableReads
from .people import IdBook
from .records import STATE_OF, sys_int
from .wire import TABLE_API, ServiceNowTransport

PRESENCE_PAGE = 1000
MEMBERS_A_REQUEST = 100


def presence(http: ServiceNowTransport) -> tuple[dict[str, bool], int]:
    """Agent sys_id -> available now (AWA's ``current_presence_state`` shown as
    ``Available``), and the requests it took; empty where the instance keeps no presence."""
    rows = list(
        http.every(
            "awa_agent_presence",
            "",
            "agent,current_presence_state",
            page=PRESENCE_PAGE,
            sysparm_display_value="all",
        )
    )
    found = {
        _shown(r.get("agent"), "value"): _shown(r.get("current_presence_state")) == "Available"
        for r in rows
    }
    return found, len(rows) // PRESENCE_PAGE + 1


def agents_at_work(
    http: ServiceNowTransport, max_requests: int
) -> tuple[dict[int, int] | None, int]:
    """Group id -> its agents available now (0: members with a presence, none available),
    and the requests it took, the members' read stopping at ``max_requests``; None where the
    instance keeps no AWA presence."""
    present, requests = presence(http)
    if not present:
        return None, requests
    agents = sorted(agent for agent in present if agent)
    at_work: dict[int, int] = {}
    for start in range(0, len(agents), MEMBERS_A_REQUEST):
        if requests >= max_requests:
            break
        chunk = ",".join(agents[start : start + MEMBERS_A_REQUEST])
        query = f"userIN{chunk}"
        rows = list(http.every("sys_user_grmember", query, "user,group", page=PRESENCE_PAGE))
        requests += len(rows) // PRESENCE_PAGE + 1
        for row in rows:
            group = sys_int(row.get("group"))
            if group is not None:
                here = present.get(str(row.get("user")), False)
                at_work[group] = at_work.get(group, 0) + int(here)
    return at_work, requests


class ServiceNowStaffing:
    """The ``StaffingDesk`` of one ServiceNow table on one instance."""

    def __init__(
        self, http: ServiceNowTransport, table: str, reads: TableReads, ids: IdBook, own: str | None
    ) -> None:
        self.http, self.table, self.reads, self.ids, self._own = http, table, reads, ids, own
        self._skills: dict[str, str] | None = None  # sys_id -> name

    def _every(self, table: str, query: str, fields: str) -> list[dict[str, Any]]:
        return list(self.http.every(table, query, fields, sysparm_display_value="false"))

    def _skill_names(self) -> dict[str, str]:
        if self._skills is None:
            rows = self._every("cmn_skill", "active=true", "sys_id,name")
            self._skills = {str(r["sys_id"]): str(r.get("name")) for r in rows if r.get("sys_id")}
        return self._skills

    def catalogue(self) -> SkillCatalogue:
        return SkillCatalogue({"": tuple(self._skill_names().values())})

    def staff(self) -> list[Staff]:
        names = self._skill_names()
        groups: dict[str, list[int]] = {}
        for row in self._every("sys_user_grmember", "", "user,group"):
            group = sys_int(row.get("group"))
            if group is not None:
                groups.setdefault(str(row.get("user")), []).append(group)
        skills: dict[str, set[str]] = {}
        for row in self._every("sys_user_has_skill", "", "user,skill"):
            if row.get("skill") in names:
                skills.setdefault(str(row.get("user")), set()).add(names[row["skill"]])
        present, _ = presence(self.http)
        found = []
        for user in self._every("sys_user", "active=true", "sys_id,name"):
            sys_id, agent_id = str(user.get("sys_id")), sys_int(user.get("sys_id"))
            if agent_id is None or sys_id not in groups:
                continue  # no group: not an agent routing can pick
            found.append(
                Staff(
                    id=agent_id,
                    name=str(user.get("name") or sys_id),
                    group_ids=tuple(groups[sys_id]),
                    skills=frozenset(skills.get(sys_id, ())),
                    available=present.get(sys_id),
                )
            )
        return found

    def business_hours(self, group_id: int) -> Schedule | None:
        rows = self._every("contract_sla", "active=true", "target,schedule")
        rows.sort(key=lambda r: r.get("target") != "response")  # the first response's first
        found = next((str(r["schedule"]) for r in rows if r.get("schedule")), "")
        return read_schedule(self.http, found) if found else None

    def open_load(self, agent_ids: Sequence[int]) -> dict[int, int]:
        loads = {}
        for agent_id in agent_ids:
            sys_id = self.ids.sys_id("sys_user", agent_id)
            # Unsolved: a Resolved record stays active until it closes, but is no one's work.
            done = ",".join((STATE_OF[self.table]["solved"], STATE_OF[self.table]["closed"]))
            query = f"active=true^stateNOT IN{done}^assigned_to={sys_id}"
            rows = self._every(self.table, query, "sys_id")
            loads[agent_id] = len(rows) if sys_id else 0
        return loads

    def organisation(self, organisation_id: int) -> Organisation | None:
        sys_id = self.ids.sys_id("core_company", organisation_id)
        query = {"sysparm_query": f"sys_id={sys_id}", "sysparm_limit": "1"}
        rows = self.http.rows("core_company", query) if sys_id else []
        if not rows:
            return None
        row = rows[0]
        fields = {str(k): str(v) for k, v in row.items() if isinstance(v, str) and v}
        # An instance's own columns are ``u_``-prefixed: ``u_tier`` is the team's "tier".
        fields |= {
            k[2:]: v for k, v in fields.items() if k.startswith("u_") and k[2:] not in fields
        }
        return Organisation(organisation_id, str(row.get("name") or ""), fields)

    def _record(self, ticket_id: int) -> str:
        found = self.reads.one(ticket_id)
        if found is None:
            raise KeyError(f"no ticket {ticket_id}")
        return found.sys_id

    def _patch(self, ticket_id: int, body: dict[str, Any], *, replay_safe: bool = True) -> None:
        path = f"{TABLE_API}/{self.table}/{self._record(ticket_id)}"
        self.http.request("PATCH", path, json=body, replay_safe=replay_safe)

    def ticket_skills(self, ticket_id: int) -> tuple[str, ...]:
        found = self.reads.one(ticket_id)
        listed = str((found.row if found else {}).get("skills") or "")
        names = self._skill_names()
        return tuple(names[s] for s in listed.split(",") if s in names)

    def set_ticket_skills(self, ticket_id: int, skills: Sequence[str]) -> None:
        wanted = {s.casefold() for s in skills}
        ids = [sid for sid, name in self._skill_names().items() if name.casefold() in wanted]
        self._patch(ticket_id, {"skills": ",".join(ids)})

    def assign(self, ticket_id: int, agent_id: int | None, group_id: int | None) -> None:
        body = {"assigned_to": self.ids.sys_id("sys_user", agent_id) or "" if agent_id else ""}
        if group_id is not None:
            body["assignment_group"] = self.ids.sys_id("sys_user_group", group_id) or ""
        self._patch(ticket_id, body)

    def _journal(self, ticket_id: int, element: str) -> list[dict[str, Any]]:
        query = f"element_id={self._record(ticket_id)}^element={element}^ORDERBYsys_created_on"
        return self._every("sys_journal_field", query, "sys_id,value,sys_created_by")

    def agent_notes(self, ticket_id: int) -> list[AgentNote]:
        notes = []
        for row in self._journal(ticket_id, "work_notes"):
            author = str(row.get("sys_created_by") or "")
            if not author or author == self._own:
                continue
            users = self._every("sys_user", f"user_name={author}", "sys_id")
            agent_id = sys_int(users[0].get("sys_id")) if users else None
            note_id = sys_int(row.get("sys_id"))
            if agent_id is not None and note_id is not None:
                notes.append(AgentNote(note_id, agent_id, str(row.get("value") or "")))
        return notes

    def public_messages(self, ticket_id: int) -> list[PublicMessage]:
        return [
            PublicMessage(None, str(row.get("value") or ""))
            for row in self._journal(ticket_id, "comments")
        ]

    def reply_as(self, ticket_id: int, agent_id: int, body: str) -> None:
        self._patch(ticket_id, {"comments": body}, replay_safe=False)

    def note(self, ticket_id: int, body: str) -> None:
        self._patch(ticket_id, {"work_notes": body}, replay_safe=False)


def _shown(field: object, key: str = "display_value") -> str:
    """One side of a ``sysparm_display_value=all`` field (``{"display_value", "value"}``)."""
    return str(field.get(key) or "") if isinstance(field, dict) else str(field or "")


class ServiceNowStaffingReads:
    """The adapter's ``staffing()`` (kept here by concern)."""

    http: ServiceNowTransport
    table: str
    reads: TableReads
    ids: IdBook

    def own_user(self) -> str | None:
        raise NotImplementedError

    def staffing(self) -> ServiceNowStaffing:
        """Groups' members, skills, presence and companies, for the assignment."""
        return ServiceNowStaffing(self.http, self.table, self.reads, self.ids, self.own_user())
