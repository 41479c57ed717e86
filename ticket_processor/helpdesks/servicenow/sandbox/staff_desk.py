"""ServiceNow's test desk's staff (``desks.StaffedDesk``): ``cmn_skill`` records, agents in a
group with their skills and AWA presence, companies with a tier, agents' work notes and the
incident's comments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .seed import HUMAN_AGENT_USER, add_user

if TYPE_CHECKING:
    from .serving import RunningServiceNow
    from .store import ServiceNowStore

TABLE = "incident"


def _int(sys_id: str) -> int:
    return int(sys_id[:15], 16)


class ServiceNowStaffDesk:
    sandbox: RunningServiceNow

    def _sys_id(self, ticket_id: int) -> str:
        raise NotImplementedError  # the desk's

    def _sys_of(self, table: str, value: int) -> str:
        prefix = f"{value:015x}"
        (found,) = [
            r["sys_id"] for r in self.sandbox.store.rows(table) if r["sys_id"].startswith(prefix)
        ]
        return str(found)

    def _state(self, name: str) -> str:
        store: ServiceNowStore = self.sandbox.store
        found = [r["sys_id"] for r in store.rows("awa_presence_state") if r["name"] == name]
        if found:
            return str(found[0])
        body = {"name": name, "available": "true" if name == "Available" else "false"}
        return str(store.insert("awa_presence_state", body, "system")["sys_id"])

    def define_skills(self, languages: Sequence[str], others: Sequence[str]) -> None:
        for name in (*languages, *others):
            self.sandbox.store.insert("cmn_skill", {"name": name}, "system")

    def hire(
        self,
        name: str,
        group_id: int,
        skills: Sequence[str],
        *,
        available: bool = True,
        capacity: int | None = None,  # no capacity kept without AWA's: the team's applies
    ) -> int:
        store = self.sandbox.store
        slug = name.lower().replace(" ", ".")
        user = add_user(store, slug, name, f"{slug}@agents.example.com")
        store.insert(
            "sys_user_grmember",
            {"user": user, "group": self._sys_of("sys_user_group", group_id)},
            "system",
        )
        wanted = {s.casefold() for s in skills}
        for skill in store.rows("cmn_skill"):
            if skill["name"].casefold() in wanted:
                store.insert(
                    "sys_user_has_skill", {"user": user, "skill": skill["sys_id"]}, "system"
                )
        store.insert("awa_agent_presence", {"agent": user, "current_presence_state": ""}, "system")
        agent_id = _int(user)
        self.set_away(agent_id, not available)
        return agent_id

    def set_away(self, agent_id: int, away: bool) -> None:
        store = self.sandbox.store
        user = self._sys_of("sys_user", agent_id)
        state = self._state("Away" if away else "Available")
        for row in store.rows("awa_agent_presence"):
            if row["agent"] == user:
                store.update(
                    "awa_agent_presence", row["sys_id"], {"current_presence_state": state}, "system"
                )

    def _row(self, ticket_id: int) -> dict[str, Any]:
        return dict(self.sandbox.store.find(TABLE, self._sys_id(ticket_id)) or {})

    def keep_no_availability(self) -> None:
        """An instance without Advanced Work Assignment's presence: no ``awa_agent_presence``."""
        store = self.sandbox.store
        for row in store.rows("awa_agent_presence"):
            store.delete("awa_agent_presence", row["sys_id"])

    def assignee_of(self, ticket_id: int) -> int | None:
        found = self._row(ticket_id).get("assigned_to") or ""
        return _int(found) if found else None

    def put_in_group(self, ticket_id: int, group_id: int) -> None:
        """The ticket lands in the group (a trigger, or a person), with no assignee."""
        body = {"assignment_group": self._sys_of("sys_user_group", group_id)}
        self.sandbox.store.update(TABLE, self._sys_id(ticket_id), body, HUMAN_AGENT_USER)

    def person_assigns(self, ticket_id: int, agent_id: int, group_id: int) -> None:
        body = {
            "assigned_to": self._sys_of("sys_user", agent_id),
            "assignment_group": self._sys_of("sys_user_group", group_id),
        }
        self.sandbox.store.update(TABLE, self._sys_id(ticket_id), body, HUMAN_AGENT_USER)

    def skills_on(self, ticket_id: int) -> list[str]:
        listed = str(self._row(ticket_id).get("skills") or "").split(",")
        return [r["name"] for r in self.sandbox.store.rows("cmn_skill") if r["sys_id"] in listed]

    def organisation(self, name: str, tier: str) -> int:
        """A customer company (``Customer <n>``, as the desk's tickets name theirs) whose
        ``u_tier`` is ``tier``; ``n`` is what a ``NewTicket``'s ``organization`` takes."""
        store = self.sandbox.store
        number = 9000 + len(store.rows("core_company"))
        store.insert("core_company", {"name": f"Customer {number}", "u_tier": tier}, "system")
        return number

    def note_by(self, ticket_id: int, agent_id: int, text: str) -> None:
        user = self.sandbox.store.find("sys_user", self._sys_of("sys_user", agent_id)) or {}
        self.sandbox.store.update(
            TABLE, self._sys_id(ticket_id), {"work_notes": text}, str(user["user_name"])
        )

    def public_replies(self, ticket_id: int) -> list[tuple[int | None, str]]:
        entries = self.sandbox.store.journal(TABLE, self._sys_id(ticket_id))
        return [(None, str(e["value"])) for e in reversed(entries) if e["element"] == "comments"]

    def internal_notes(self, ticket_id: int) -> list[str]:
        entries = self.sandbox.store.journal(TABLE, self._sys_id(ticket_id))
        return [str(e["value"]) for e in reversed(entries) if e["element"] == "work_notes"]
