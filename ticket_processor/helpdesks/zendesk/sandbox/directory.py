"""The sandbox's groups, agents and group memberships, and the rule Zendesk enforces with them.

Objects are kept in Zendesk's JSON shapes (``GroupObject``, ``UserObject`` for an agent,
``GroupMembershipObject``). ``check_assignment`` is what a ticket update must pass: a group
that exists, an agent that exists, and an assignee who is a member of the ticket's group —
otherwise the 422 Zendesk answers (``Assignee: is not a member of the group``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from .config import invalid_field, record_invalid
from .records import iso
from .routing_book import RoutingBook

FIRST_GROUP_ID = 360_000_001
FIRST_AGENT_ID = 380_000_001
FIRST_MEMBERSHIP_ID = 390_000_001


def agent_record(
    user_id: int, name: str, email: str, role: str, base: str, stamp: str
) -> dict[str, Any]:
    """A user as ``GET /api/v2/users`` shows an agent."""
    return {
        "id": user_id,
        "url": f"{base}/api/v2/users/{user_id}.json",
        "name": name,
        "email": email,
        "created_at": stamp,
        "updated_at": stamp,
        "time_zone": "UTC",
        "iana_time_zone": "Etc/UTC",
        "locale": "en-US",
        "locale_id": 1,
        "role": role,
        "role_type": None,
        "active": True,
        "verified": True,
        "suspended": False,
        "restricted_agent": False,
        "tags": [],
        "user_fields": {},
    }


class Directory:
    """Groups, agents and memberships; thread-safe."""

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self._lock = threading.Lock()
        self.groups: dict[int, dict[str, Any]] = {}
        self.agents: dict[int, dict[str, Any]] = {}
        self.memberships: dict[int, dict[str, Any]] = {}
        self.routing = RoutingBook()  # skills, agents' states, organisations
        self._next = {
            "group": FIRST_GROUP_ID,
            "agent": FIRST_AGENT_ID,
            "member": FIRST_MEMBERSHIP_ID,
        }

    def _id(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] = value + 1
        return value

    def create_group(self, fields: dict[str, Any], base: str) -> dict[str, Any]:
        name = fields.get("name")
        if not isinstance(name, str) or not name.strip():
            raise record_invalid({"name": [invalid_field("name", "cannot be blank", "BlankValue")]})
        with self._lock:
            # A deleted group's name is free again.
            taken = (g["name"].casefold() for g in self.groups.values() if not g["deleted"])
            if name.strip().casefold() in taken:
                raise record_invalid({"name": [invalid_field("name", "has already been taken")]})
            gid = self._id("group")
            stamp = iso(self._now())
            group = {
                "id": gid,
                "url": f"{base}/api/v2/groups/{gid}.json",
                "name": name.strip(),
                "description": str(fields.get("description") or ""),
                "default": not self.groups,
                "deleted": False,
                "is_public": fields.get("is_public") is not False,
                "created_at": stamp,
                "updated_at": stamp,
            }
            self.groups[gid] = group
            return dict(group)

    def group(self, group_id: int) -> dict[str, Any] | None:
        """One group, deleted ones included (Zendesk still serves them by id)."""
        with self._lock:
            found = self.groups.get(group_id)
            return dict(found) if found is not None else None

    def delete_group(self, group_id: int) -> bool:
        """Mark the group deleted, as Zendesk does (it keeps the record, ``deleted: true``);
        False when there is no such group or it is deleted already (Zendesk's 404)."""
        with self._lock:
            found = self.groups.get(group_id)
            if found is None or found["deleted"]:
                return False
            found["deleted"] = True
            found["updated_at"] = iso(self._now())
            return True

    def create_agent(self, fields: dict[str, Any], base: str) -> dict[str, Any]:
        """``POST /api/v2/users`` with role agent or admin (end users live in the ticket store)."""
        name, email = fields.get("name"), fields.get("email")
        if not isinstance(name, str) or not name.strip():
            raise record_invalid({"name": [invalid_field("name", "cannot be blank", "BlankValue")]})
        if not isinstance(email, str) or "@" not in email:
            raise record_invalid({"email": [invalid_field("email", "is not properly formatted")]})
        role = fields.get("role")
        if role not in ("agent", "admin"):
            raise record_invalid({"role": [invalid_field("role", "must be agent or admin here")]})
        with self._lock:
            for agent in self.agents.values():
                if agent["email"].casefold() == email.casefold():
                    raise record_invalid(
                        {"email": [invalid_field("email", f"{email} is already being used")]}
                    )
            uid = self._id("agent")
            record = agent_record(uid, name.strip(), email, role, base, iso(self._now()))
            self.agents[uid] = record
            return dict(record)

    def create_membership(self, fields: dict[str, Any], base: str) -> dict[str, Any]:
        user_id, group_id = fields.get("user_id"), fields.get("group_id")
        with self._lock:
            if user_id not in self.agents:
                raise record_invalid({"user": [invalid_field("user", "is not an agent")]})
            if group_id not in self.groups:
                raise record_invalid({"group": [invalid_field("group", "does not exist")]})
            for m in self.memberships.values():
                if m["user_id"] == user_id and m["group_id"] == group_id:
                    raise record_invalid({"user": [invalid_field("user", "is already a member")]})
            mid = self._id("member")
            stamp = iso(self._now())
            first = not any(m["user_id"] == user_id for m in self.memberships.values())
            record = {
                "id": mid,
                "url": f"{base}/api/v2/group_memberships/{mid}.json",
                "user_id": user_id,
                "group_id": group_id,
                "default": first,
                "created_at": stamp,
                "updated_at": stamp,
            }
            self.memberships[mid] = record
            return dict(record)

    def listing(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            items = {"groups": self.groups, "agents": self.agents, "memberships": self.memberships}
            return [dict(v) for _, v in sorted(items[kind].items())]

    def check_assignment(self, ticket: dict[str, Any], changes: dict[str, Any]) -> None:
        """Refuse (422) a change that leaves the ticket with an unknown group or agent, or with
        an assignee who is not a member of its group. Only checked when the change sets them."""
        if "group_id" not in changes and "assignee_id" not in changes:
            return
        group_id = changes.get("group_id", ticket.get("group_id"))
        assignee_id = changes.get("assignee_id", ticket.get("assignee_id"))
        with self._lock:
            if group_id is not None and (
                group_id not in self.groups or self.groups[group_id]["deleted"]
            ):
                raise record_invalid({"group": [invalid_field("group", "is invalid")]})
            if assignee_id is None:
                return
            if assignee_id not in self.agents:
                raise record_invalid({"assignee": [invalid_field("assignee", "is invalid")]})
            member = any(
                m["user_id"] == assignee_id and m["group_id"] == group_id
                for m in self.memberships.values()
            )
        if group_id is not None and not member:
            raise record_invalid(
                {"assignee": [invalid_field("assignee", "is not a member of the group")]}
            )

    def to_state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "groups": list(self.groups.values()),
                "agents": list(self.agents.values()),
                "memberships": list(self.memberships.values()),
                "next": dict(self._next),
            }

    def load_state(self, state: dict[str, Any]) -> None:
        with self._lock:
            self.groups = {int(g["id"]): g for g in state.get("groups", [])}
            self.agents = {int(a["id"]): a for a in state.get("agents", [])}
            self.memberships = {int(m["id"]): m for m in state.get("memberships", [])}
            self._next.update({k: int(v) for k, v in state.get("next", {}).items()})
