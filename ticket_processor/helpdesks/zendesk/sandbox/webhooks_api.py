"""``/api/v2/webhooks`` and ``/api/v2/triggers``: the parts of Zendesk's Webhooks and Triggers
APIs an admin uses to have Zendesk call ticketbot when a ticket is created or its requester
replies. The objects and the deliveries are ``automation.py``'s; shapes are Zendesk's:
``{"webhook": {...}}`` (201 on create, 204 on update and delete), a cursor-paged webhook list
(``meta.has_more``, ``links.next``), ``{"signing_secret": {"algorithm": "SHA256", "secret"}}``,
``{"trigger": {...}}`` and an offset-paged trigger list. Both need an admin (403 otherwise), as
in Zendesk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ....sandbox.httpbase import ApiError

if TYPE_CHECKING:
    from .automation import Automation
    from .routes import Call, Services


def _admin(svc: Services) -> Automation:
    if not svc.config.admin:
        raise ApiError(
            403,
            {
                "error": "Forbidden",
                "description": "You do not have access to this page. Please contact the "
                "account owner of this help desk for further help.",
            },
        )
    return svc.automation


def list_webhooks(svc: Services, call: Call) -> tuple[int, Any]:
    hooks = _admin(svc).webhooks(
        call.query.get("filter[name_contains]", ""), call.query.get("filter[status]", "")
    )
    return 200, {
        "webhooks": hooks,
        "meta": {"has_more": False, "after_cursor": None, "before_cursor": None},
        "links": {"next": None, "prev": None},
    }


def create_webhook(svc: Services, call: Call) -> tuple[int, Any]:
    return 201, {"webhook": _admin(svc).create_webhook(call.body)}


def show_webhook(svc: Services, call: Call) -> tuple[int, Any]:
    return 200, {"webhook": _admin(svc).webhook(call.args[0])}


def update_webhook(svc: Services, call: Call) -> tuple[int, Any]:
    _admin(svc).update_webhook(call.args[0], call.body)
    return 204, None


def delete_webhook(svc: Services, call: Call) -> tuple[int, Any]:
    _admin(svc).delete_webhook(call.args[0])
    return 204, None


def show_secret(svc: Services, call: Call) -> tuple[int, Any]:
    return 200, {"signing_secret": _admin(svc).signing_secret(call.args[0])}


def reset_secret(svc: Services, call: Call) -> tuple[int, Any]:
    return 200, {"signing_secret": _admin(svc).signing_secret(call.args[0], reset=True)}


def list_triggers(svc: Services, call: Call) -> tuple[int, Any]:
    raw = call.query.get("active")
    active = None if raw is None else raw.lower() == "true"
    triggers = _admin(svc).triggers(active)
    return 200, {
        "triggers": triggers,
        "count": len(triggers),
        "next_page": None,
        "previous_page": None,
    }


def create_trigger(svc: Services, call: Call) -> tuple[int, Any]:
    return 201, {"trigger": _admin(svc).create_trigger(call.body)}


def show_trigger(svc: Services, call: Call) -> tuple[int, Any]:
    return 200, {"trigger": _admin(svc).trigger(int(call.args[0]))}


def update_trigger(svc: Services, call: Call) -> tuple[int, Any]:
    return 200, {"trigger": _admin(svc).update_trigger(int(call.args[0]), call.body)}


def delete_trigger(svc: Services, call: Call) -> tuple[int, Any]:
    _admin(svc).delete_trigger(int(call.args[0]))
    return 204, None


WEBHOOK_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/api/v2/webhooks", list_webhooks),
    ("POST", "/api/v2/webhooks", create_webhook),
    ("GET", "/api/v2/webhooks/{webhook_id}", show_webhook),
    ("PUT", "/api/v2/webhooks/{webhook_id}", update_webhook),
    ("DELETE", "/api/v2/webhooks/{webhook_id}", delete_webhook),
    ("GET", "/api/v2/webhooks/{webhook_id}/signing_secret", show_secret),
    ("POST", "/api/v2/webhooks/{webhook_id}/signing_secret", reset_secret),
    ("GET", "/api/v2/triggers", list_triggers),
    ("POST", "/api/v2/triggers", create_trigger),
    ("GET", "/api/v2/triggers/{id}", show_trigger),
    ("PUT", "/api/v2/triggers/{id}", update_trigger),
    ("DELETE", "/api/v2/triggers/{id}", delete_trigger),
]
