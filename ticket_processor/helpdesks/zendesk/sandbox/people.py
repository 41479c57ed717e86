"""The sandbox's groups, agents and group memberships endpoints (list and create; a group
also shown and deleted by id).

Shapes follow Zendesk's: ``{"groups": [...], "next_page", "previous_page", "count"}`` with
offset pages, ``{"group": {...}}`` with 201 on create, and the same for ``users`` (agents and
admins only: end users are the ticket store's requesters) and ``group_memberships``.
``GET /api/v2/users/{id}`` shows one, a requester too (role ``end-user``, as Zendesk names it);
``GET /api/v2/users?role=agent`` filters by one role; ``role[]`` (several) lists both, which
is everything the sandbox holds. ``side_loaded_users`` is what ``include=users`` adds to a
ticket listing: every user the tickets name (requester, submitter, assignee, CCs, followers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ....sandbox.httpbase import not_found
from .config import bad_request
from .directory import agent_record
from .ticket_book import AGENT_ID

if TYPE_CHECKING:
    from .routes import Call, Services


def _body(call: Call, key: str) -> dict[str, Any]:
    if not isinstance(call.body, dict) or not isinstance(call.body.get(key), dict):
        raise bad_request("InvalidValue", f"request body must be a JSON object with {key!r}")
    fields: dict[str, Any] = call.body[key]
    return fields


def _page(call: Call, key: str, items: list[dict[str, Any]], path: str) -> tuple[int, Any]:
    try:
        per_page = min(max(int(call.query.get("per_page") or 100), 1), 100)
        page = max(int(call.query.get("page") or 1), 1)
    except ValueError:
        raise bad_request("InvalidValue", "page and per_page must be integers") from None
    chunk = items[(page - 1) * per_page : page * per_page]
    url = f"{call.base}{path}.json?per_page={per_page}&page="
    return 200, {
        key: chunk,
        "count": len(items),
        "next_page": f"{url}{page + 1}" if page * per_page < len(items) else None,
        "previous_page": f"{url}{page - 1}" if page > 1 else None,
    }


def list_groups(svc: Services, call: Call) -> tuple[int, Any]:
    groups = svc.store.directory.listing("groups")
    if call.query.get("exclude_deleted") == "true":
        groups = [g for g in groups if not g["deleted"]]
    return _page(call, "groups", groups, "/api/v2/groups")


def create_group(svc: Services, call: Call) -> tuple[int, Any]:
    return 201, {"group": svc.store.directory.create_group(_body(call, "group"), call.base)}


def _group_id(call: Call) -> int:
    return int(call.args[0])


def show_group(svc: Services, call: Call) -> tuple[int, Any]:
    group = svc.store.directory.group(_group_id(call))
    if group is None:
        raise not_found()
    return 200, {"group": group}


def delete_group(svc: Services, call: Call) -> tuple[int, Any]:
    """``DELETE /api/v2/groups/{id}``: 204; the group is then ``deleted: true``, left out of
    ``GET /api/v2/groups?exclude_deleted=true`` and refused on a ticket update (422)."""
    if not svc.store.directory.delete_group(_group_id(call)):
        raise not_found()
    return 204, None


_PERSON_KEYS = ("requester_id", "submitter_id", "assignee_id")
_PEOPLE_KEYS = ("collaborator_ids", "email_cc_ids", "follower_ids")


def side_loaded_users(
    svc: Services, call: Call, tickets: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The users ``tickets`` name, as ``include=users`` side-loads them."""
    ids: dict[int, None] = {}
    for ticket in tickets:
        for key in _PERSON_KEYS:
            if isinstance(ticket.get(key), int):
                ids[ticket[key]] = None
        for key in _PEOPLE_KEYS:
            ids.update((i, None) for i in ticket.get(key) or () if isinstance(i, int))
    users = []
    stamp = "2026-01-01T00:00:00Z"
    for user_id in ids:
        agent = svc.store.directory.agents.get(user_id)
        if agent is not None:
            users.append(dict(agent))
            continue
        found = svc.store.end_user(user_id)
        if found is not None:
            name, email = found["name"], found["email"]
            user = agent_record(user_id, name, email, "end-user", call.base, stamp)
            users.append({**user, "locale": found.get("locale", user["locale"])})
    return users


def wants_users(call: Call) -> bool:
    """``include=users`` (or the search's ``include=tickets(users)``) was asked for."""
    return "users" in call.query.get("include", "")


def list_users(svc: Services, call: Call) -> tuple[int, Any]:
    users = svc.store.directory.listing("agents")
    role = call.query.get("role")
    if role:
        users = [u for u in users if u["role"] == role]
    return _page(call, "users", users, "/api/v2/users")


def show_user(svc: Services, call: Call) -> tuple[int, Any]:
    """``GET /api/v2/users/{id}``: an agent of the directory, or a requester (``end-user``)."""
    user_id = int(call.args[0])
    agent = svc.store.directory.agents.get(user_id)
    if agent is not None:
        return 200, {"user": dict(agent)}
    stamp = "2026-01-01T00:00:00Z"
    if user_id == AGENT_ID:  # the API user, as ``users/me`` shows it
        role = "admin" if svc.config.admin else "agent"
        return 200, {
            "user": agent_record(
                AGENT_ID, "Sandbox Agent", svc.config.email, role, call.base, stamp
            )
        }
    found = svc.store.end_user(user_id)
    if found is None:
        raise not_found()
    user = agent_record(user_id, found["name"], found["email"], "end-user", call.base, stamp)
    user["locale"] = found.get("locale", user["locale"])
    return 200, {"user": user}


def create_user(svc: Services, call: Call) -> tuple[int, Any]:
    return 201, {"user": svc.store.directory.create_agent(_body(call, "user"), call.base)}


def list_memberships(svc: Services, call: Call) -> tuple[int, Any]:
    items = svc.store.directory.listing("memberships")
    return _page(call, "group_memberships", items, "/api/v2/group_memberships")


def create_membership(svc: Services, call: Call) -> tuple[int, Any]:
    fields = _body(call, "group_membership")
    record = svc.store.directory.create_membership(fields, call.base)
    return 201, {"group_membership": record}


PEOPLE_ROUTES: list[tuple[str, str, Any, bool, bool]] = [
    ("GET", "/api/v2/groups", list_groups, False, False),
    ("POST", "/api/v2/groups", create_group, False, False),
    ("GET", "/api/v2/groups/{id}", show_group, False, False),
    ("DELETE", "/api/v2/groups/{id}", delete_group, False, False),
    ("GET", "/api/v2/users", list_users, False, False),
    ("POST", "/api/v2/users", create_user, False, False),
    ("GET", "/api/v2/users/{id}", show_user, False, False),
    ("GET", "/api/v2/group_memberships", list_memberships, False, False),
    ("POST", "/api/v2/group_memberships", create_membership, False, False),
]
