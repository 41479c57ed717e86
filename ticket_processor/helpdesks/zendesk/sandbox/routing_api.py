"""The sandbox's skills-based routing, agent availability and organisations, in Zendesk's shapes.

Routing attributes (skill types) and their values (skills) under ``/api/v2/routing/attributes``,
with string ids as Zendesk gives them; the values set on an agent or a ticket
(``/api/v2/routing/{agents,tickets}/{id}/instance_values``, set with ``attribute_value_ids``,
which replaces them all); agents' omnichannel state (``/api/v2/agent_availabilities``, a JSON:API
document: ``agent_status.name`` online/away/offline, ``group_ids``, ``skills`` by value id) with
each agent's capacity for tickets; organisations (``/api/v2/organizations/{id}``: tags and
``organization_fields``); and ``/api/v2/search/count``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ....sandbox.httpbase import ApiError, not_found
from .config import bad_request, invalid_field, record_invalid
from .records import iso
from .routing_book import RoutingBook
from .search import run_search

if TYPE_CHECKING:
    from .routes import Call, Services


def _book(svc: Services) -> RoutingBook:
    book: RoutingBook = svc.store.directory.routing
    return book


def _stamp(svc: Services) -> str:
    return iso(svc.now())


def list_attributes(svc: Services, call: Call) -> tuple[int, Any]:
    with _book(svc)._lock:
        found = [dict(a) for a in _book(svc).attributes.values()]
    return 200, {"attributes": found, "count": len(found), "next_page": None, "previous_page": None}


def create_attribute(svc: Services, call: Call) -> tuple[int, Any]:
    body = call.body.get("attribute") if isinstance(call.body, dict) else None
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise record_invalid({"name": [invalid_field("name", "cannot be blank", "BlankValue")]})
    return 201, {"attribute": _book(svc).attribute(name.strip(), call.base, _stamp(svc))}


def list_values(svc: Services, call: Call) -> tuple[int, Any]:
    book = _book(svc)
    if call.args[0] not in book.attributes:
        raise not_found()
    with book._lock:
        found = [dict(v) for v in book.values.values() if v["attribute_id"] == call.args[0]]
    return 200, {"attribute_values": found}


def create_value(svc: Services, call: Call) -> tuple[int, Any]:
    body = call.body.get("attribute_value") if isinstance(call.body, dict) else None
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise record_invalid({"name": [invalid_field("name", "cannot be blank", "BlankValue")]})
    made = _book(svc).value(call.args[0], name.strip(), call.base, _stamp(svc))
    return 201, {"attribute_value": made}


def _values_of(holder_name: str) -> Any:
    def handler(svc: Services, call: Call) -> tuple[int, Any]:
        key = int(call.args[0])
        book = _book(svc)
        if holder_name == "tickets":
            try:
                svc.store.find(key)
            except KeyError:
                raise not_found() from None
            holder = book.ticket_values
        else:
            if key not in svc.store.directory.agents:
                raise not_found()
            holder = book.agent_values
        if call.method == "POST":
            body = call.body if isinstance(call.body, dict) else {}
            ids = book.set_values(holder, key, body.get("attribute_value_ids"))
        else:
            with book._lock:
                ids = list(holder.get(key, ()))
        return 200, {"attribute_values": book.shown(ids)}

    return handler


def agent_availabilities(svc: Services, call: Call) -> tuple[int, Any]:
    """The agents' omnichannel state, one JSON:API resource each (cursor pages of up to 100;
    the sandbox's directory fits in one). An account without omnichannel routing: 403."""
    directory, book = svc.store.directory, _book(svc)
    if not book.omnichannel:
        raise ApiError(403, {"error": "Forbidden", "description": "You do not have access"})
    members: dict[int, list[int]] = {}
    for m in directory.listing("memberships"):
        members.setdefault(m["user_id"], []).append(m["group_id"])
    data = []
    for agent in directory.listing("agents"):
        aid = agent["id"]
        with book._lock:
            skills = [{"id": v} for v in book.agent_values.get(aid, ())]
            status = book.status.get(aid, "online")
            capacity = book.capacity.get(aid)
        channel = {"name": "support", "status": status, "max_capacity": capacity}
        data.append(
            {
                "type": "agent_availabilities",
                "id": f"agent_availabilities|{aid}",
                "attributes": {
                    "agent_id": aid,
                    "agent_status": {
                        "id": {"online": 1, "away": 2, "offline": 3}.get(status, 3),
                        "name": status,
                        "reason": "UNKNOWN",
                        "updated_at": _stamp(svc),
                    },
                    "group_ids": members.get(aid, []),
                    "skills": skills,
                    "channels": [channel],
                    "version": 1,
                },
                "links": {"self": f"{call.base}/api/v2/agent_availabilities/{aid}"},
            }
        )
    return 200, {"data": data, "links": {"next": None, "prev": None}, "meta": {"has_more": False}}


def create_organisation(svc: Services, call: Call) -> tuple[int, Any]:
    body = call.body.get("organization") if isinstance(call.body, dict) else None
    if not isinstance(body, dict):
        raise bad_request("InvalidValue", "request body must be a JSON object with 'organization'")
    return 201, {"organization": _book(svc).add_organisation(body, call.base, _stamp(svc))}


def show_organisation(svc: Services, call: Call) -> tuple[int, Any]:
    book = _book(svc)
    with book._lock:
        found = book.organisations.get(int(call.args[0]))
    if found is None:
        raise not_found()
    return 200, {"organization": dict(found)}


def search_count(svc: Services, call: Call) -> tuple[int, Any]:
    query = call.query.get("query")
    if not query:
        raise bad_request("InvalidValue", "query is required")
    found = run_search(svc.store.all_tickets(), query, sort_by=None, sort_order=None, now=svc.now())
    return 200, {"count": len(found)}


ROUTING_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/api/v2/routing/attributes", list_attributes),
    ("POST", "/api/v2/routing/attributes", create_attribute),
    ("GET", "/api/v2/routing/attributes/{attribute_id}/values", list_values),
    ("POST", "/api/v2/routing/attributes/{attribute_id}/values", create_value),
    ("GET", "/api/v2/routing/agents/{id}/instance_values", _values_of("agents")),
    ("POST", "/api/v2/routing/agents/{id}/instance_values", _values_of("agents")),
    ("GET", "/api/v2/routing/tickets/{id}/instance_values", _values_of("tickets")),
    ("POST", "/api/v2/routing/tickets/{id}/instance_values", _values_of("tickets")),
    ("GET", "/api/v2/agent_availabilities", agent_availabilities),
    ("POST", "/api/v2/organizations", create_organisation),
    ("GET", "/api/v2/organizations/{id}", show_organisation),
    ("GET", "/api/v2/search/count", search_count),
]
