"""``/api/v2/ticket_fields``: list (offset pages, as Zendesk pages them), create, show, and
delete a drop-down's option (``DELETE .../ticket_fields/{id}/options/{option_id}``, 204).

The store keeps the fields (``ticket_fields.FieldBook``); tickets carry them in
``custom_fields``. Shapes are Zendesk's: ``{"ticket_fields": [...], "next_page",
"previous_page", "count"}`` and ``{"ticket_field": {...}}``, 201 on create.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ....sandbox.httpbase import not_found
from .config import bad_request

if TYPE_CHECKING:
    from .routes import Call, Handler, Services


def list_fields(svc: Services, call: Call) -> tuple[int, Any]:
    fields = svc.store.ticket_fields()
    return 200, {
        "ticket_fields": fields,
        "count": len(fields),
        "next_page": None,
        "previous_page": None,
    }


def create_field(svc: Services, call: Call) -> tuple[int, Any]:
    if not isinstance(call.body, dict) or not isinstance(call.body.get("ticket_field"), dict):
        raise bad_request("InvalidValue", "request body must be a JSON object with 'ticket_field'")
    return 201, {"ticket_field": svc.store.create_ticket_field(call.body["ticket_field"])}


def show_field(svc: Services, call: Call) -> tuple[int, Any]:
    wanted = int(call.args[0])
    for field in svc.store.ticket_fields():
        if field["id"] == wanted:
            return 200, {"ticket_field": field}
    raise not_found()


def delete_option(svc: Services, call: Call) -> tuple[int, Any]:
    if not svc.store.delete_ticket_field_option(int(call.args[0]), int(call.args[1])):
        raise not_found()
    return 204, None


FIELD_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/api/v2/ticket_fields", list_fields),
    ("POST", "/api/v2/ticket_fields", create_field),
    ("GET", "/api/v2/ticket_fields/{id}", show_field),
    ("DELETE", "/api/v2/ticket_fields/{id}/options/{id}", delete_option),
]
