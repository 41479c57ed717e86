"""Groups, agents of the Freshdesk sandbox (the help centre is ``solutions.py``).

Membership lives in one place, ``group["agent_ids"]``; an agent's ``group_ids`` is derived from
it, so creating a group with ``agent_ids`` or an agent with ``group_ids`` cannot disagree.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ....sandbox.httpbase import ApiError
from .config import field_error, not_found, validation_failed
from .records import iso
from .staff_book import StaffBook

_SANDBOX_AGENT = 1


def require(
    body: dict[str, Any], spec: dict[str, type | tuple[type, ...]], required: tuple[str, ...]
) -> None:
    """Freshdesk's 400 for unknown, mistyped and missing fields."""
    errors = []
    for name, value in body.items():
        kind = spec.get(name)
        if kind is None:
            errors.append(field_error(name, "Unexpected/invalid field in request", "invalid_field"))
        elif (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
            kinds = kind if isinstance(kind, tuple) else (kind,)
            word = {str: "String", int: "Integer", list: "Array"}.get(kinds[0], "value")
            errors.append(field_error(name, f"It should be a/an {word}", "datatype_mismatch"))
    for name in required:
        if name not in body:
            errors.append(field_error(name, "It should be a/an String", "missing_field"))
    if errors:
        raise validation_failed(*errors)


def one_of(body: dict[str, Any], name: str, values: tuple[int, ...]) -> None:
    if name in body and body[name] not in values:
        listing = ",".join(str(v) for v in values)
        raise validation_failed(field_error(name, f"It should be one of these values: '{listing}'"))


class FreshdeskDirectory:
    """Groups and agents; thread-safe."""

    def __init__(
        self, *, now: Callable[[], float], on_write: Callable[[], None], agent_email: str
    ) -> None:
        self._now = now
        self._on_write = on_write
        self._lock = threading.Lock()
        self._agent_email = agent_email
        self.staff = StaffBook()  # skills and companies
        self._reset()

    def _reset(self) -> None:
        self._groups: dict[int, dict[str, Any]] = {}
        self._agents: dict[int, dict[str, Any]] = {}
        self._next = 100  # one id sequence for everything here: ids never collide
        stamp = iso(1_767_225_600)  # 2026-01-01, when the sandbox account "opened"
        self._agents[_SANDBOX_AGENT] = self._agent_record(
            _SANDBOX_AGENT, {"email": self._agent_email, "name": "Sandbox Agent"}, stamp
        )

    def _new_id(self) -> int:
        self._next += 1
        return self._next

    # --- groups and agents ----------------------------------------------------------

    def group_members(self, group_id: int) -> list[int] | None:
        with self._lock:
            group = self._groups.get(group_id)
            return None if group is None else list(group["agent_ids"])

    def add_member(self, group_id: int, agent_id: int) -> None:
        """The agent joins the group (an admin's edit of the group's agents)."""
        with self._lock:
            if group_id not in self._groups or agent_id not in self._agents:
                raise not_found()
            members = self._groups[group_id]["agent_ids"]
            if agent_id not in members:
                members.append(agent_id)
        self._on_write()

    def agent_exists(self, agent_id: int) -> bool:
        with self._lock:
            return agent_id in self._agents

    def groups(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(g) for g in self._groups.values()]

    def group(self, group_id: int) -> dict[str, Any]:
        with self._lock:
            if group_id not in self._groups:
                raise not_found()
            return dict(self._groups[group_id])

    def delete_group(self, group_id: int) -> None:
        """``DELETE /api/v2/groups/{id}``: Freshdesk removes the group (404 afterwards)."""
        with self._lock:
            if self._groups.pop(group_id, None) is None:
                raise not_found()
        self._on_write()

    def create_group(self, body: dict[str, Any]) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "name": str,
            "description": (str, type(None)),
            "agent_ids": list,
            "escalate_to": (int, type(None)),
            "unassigned_for": (str, type(None)),
            "auto_ticket_assign": (int, bool),
        }
        require(body, spec, ("name",))
        with self._lock:
            if any(g["name"].lower() == body["name"].lower() for g in self._groups.values()):
                raise ApiError(
                    409,
                    {
                        "description": "Validation failed",
                        "errors": [
                            field_error("name", "It should be a unique value", "duplicate_value")
                        ],
                    },
                )
            agent_ids = [int(a) for a in body.get("agent_ids", [])]
            unknown = [a for a in agent_ids if a not in self._agents]
            if unknown:
                raise validation_failed(
                    field_error(
                        "agent_ids",
                        f"There are no records matching the ids: '{','.join(map(str, unknown))}'",
                    )
                )
            stamp = iso(self._now())
            group = {
                "id": self._new_id(),
                "name": body["name"],
                "description": body.get("description"),
                "escalate_to": body.get("escalate_to"),
                "unassigned_for": body.get("unassigned_for"),
                "business_hour_id": None,
                "group_type": "support_agent_group",
                "auto_ticket_assign": bool(body.get("auto_ticket_assign", False)),
                "agent_ids": list(dict.fromkeys(agent_ids)),
                "created_at": stamp,
                "updated_at": stamp,
            }
            self._groups[group["id"]] = group
        self._on_write()
        return dict(group)

    def _agent_record(self, agent_id: int, body: dict[str, Any], stamp: str) -> dict[str, Any]:
        return {
            "id": agent_id,
            "available": True,
            "skill_ids": list(body.get("skill_ids", [])),
            "occasional": bool(body.get("occasional", False)),
            "signature": body.get("signature"),
            "ticket_scope": body.get("ticket_scope", 1),
            "type": "support_agent",
            "role_ids": list(body.get("role_ids", [])),
            "available_since": None,
            "last_active_at": None,
            "created_at": stamp,
            "updated_at": stamp,
            "contact": {
                "active": True,
                "email": body["email"],
                "job_title": body.get("job_title"),
                "language": body.get("language", "en"),
                "last_login_at": None,
                "mobile": None,
                "name": body.get("name") or body["email"].split("@")[0],
                "phone": None,
                "time_zone": body.get("time_zone", "UTC"),
                "created_at": stamp,
                "updated_at": stamp,
            },
        }

    def _with_groups(self, agent: dict[str, Any]) -> dict[str, Any]:
        ids = [g["id"] for g in self._groups.values() if agent["id"] in g["agent_ids"]]
        return {**agent, "group_ids": ids}

    def agents(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self._with_groups(a) for a in self._agents.values()]

    def agent(self, agent_id: int) -> dict[str, Any]:
        with self._lock:
            if agent_id not in self._agents:
                raise not_found()
            return self._with_groups(self._agents[agent_id])

    def create_agent(self, body: dict[str, Any]) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "email": str,
            "name": str,
            "ticket_scope": int,
            "group_ids": list,
            "role_ids": list,
            "occasional": bool,
            "signature": (str, type(None)),
            "job_title": (str, type(None)),
            "language": str,
            "time_zone": str,
            "skill_ids": list,
        }
        require(body, spec, ("email", "ticket_scope"))
        one_of(body, "ticket_scope", (1, 2, 3))
        with self._lock:
            if any(a["contact"]["email"] == body["email"] for a in self._agents.values()):
                raise ApiError(
                    409,
                    {
                        "description": "Validation failed",
                        "errors": [
                            field_error("email", "It should be a unique value", "duplicate_value")
                        ],
                    },
                )
            missing = [g for g in body.get("group_ids", []) if g not in self._groups]
            if missing:
                raise validation_failed(
                    field_error(
                        "group_ids",
                        f"There are no records matching the ids: '{','.join(map(str, missing))}'",
                    )
                )
            agent = self._agent_record(self._new_id(), body, iso(self._now()))
            self._agents[agent["id"]] = agent
            for group_id in body.get("group_ids", []):
                self._groups[group_id]["agent_ids"].append(agent["id"])
            out = self._with_groups(agent)
        self._on_write()
        return out

    def set_available(self, agent_id: int, available: bool) -> None:
        """The agent's availability toggle (Omniroute's "available" in the agent's status)."""
        with self._lock:
            self._agents[agent_id]["available"] = available
            self._agents[agent_id]["available_since"] = iso(self._now()) if available else None

    def forget_available(self) -> None:
        """Every agent object without its ``available`` toggle (availability not kept)."""
        with self._lock:
            for agent in self._agents.values():
                agent.pop("available", None)
                agent.pop("available_since", None)

    # --- state file ---------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "groups": list(self._groups.values()),
                "agents": list(self._agents.values()),
                "next": self._next,
            }

    def load_state(self, state: dict[str, Any]) -> None:
        with self._lock:
            self._reset()
            for name in ("groups", "agents"):
                getattr(self, f"_{name}").update({int(r["id"]): r for r in state[name]})
            self._next = int(state["next"])
