"""The ServiceNow sandbox's control endpoints (``/sandbox/*``, no auth, as the other sandboxes'):
``GET /sandbox/stats``, ``POST /sandbox/reset_stats``, ``GET``/``POST /sandbox/config`` (the
run-time knobs), ``GET /sandbox/outbox`` (what callers were mailed: ``outbox.py``),
``POST /sandbox/agent_edit`` (``{"table"?, "ticket_id", "tag"?, "urgency"?}``)
and ``POST /sandbox/acl`` (``{"table"?, "ticket_id", "readable": false}``: a read ACL hides the
record from the API user), ``POST /sandbox/journal`` (``{"table"?, "ticket_id", "element"?,
"value", "user_name"}``: a journal entry written as that user, as an agent's comment in the
instance's UI is, which the Table API cannot do: there every entry is the API user's; what
``ticketbot seed`` makes the sample solved history with); ``/sandbox/webhooks`` (``GET``,
``POST`` a rule, ``DELETE``: the business rules of ``automation.py``) and
``/sandbox/deliveries`` (``GET``, ``DELETE``)."""

from __future__ import annotations

from typing import Any

from .automation import BusinessRuleError
from .outbox import outbox
from .server import ServiceNowSandbox


def control(sandbox: ServiceNowSandbox, method: str, path: str, body: Any) -> tuple[int, Any]:
    """``(status, body)`` for one control request."""
    if method == "GET" and path == "/sandbox/stats":
        return 200, sandbox.stats()
    if method == "POST" and path == "/sandbox/reset_stats":
        sandbox.reset_stats()
        return 200, sandbox.stats()
    if method == "GET" and path == "/sandbox/config":
        return 200, sandbox.config.public()
    if method == "GET" and path == "/sandbox/outbox":
        return 200, {"outbox": outbox(sandbox.store, sandbox.config.user)}
    if method == "POST" and path == "/sandbox/config":
        try:
            if not isinstance(body, dict):
                raise ValueError("config must be a JSON object")
            sandbox.config.apply(body)
        except ValueError as exc:
            return 400, _refusal(str(exc))
        return 200, sandbox.config.public()
    if method == "POST" and path in ("/sandbox/agent_edit", "/sandbox/acl"):
        ticket = body.get("ticket_id") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(ticket, int) or isinstance(ticket, bool):
            return 400, _refusal("ticket_id (int) is required")
        table = str(body.get("table") or "incident")
        sys_id = sandbox.record_of(table, ticket) if sandbox.store.has_table(table) else None
        if sys_id is None:
            return 404, _refusal(f"no {table} record with number digits {ticket}")
        if path == "/sandbox/acl":
            sandbox.store.hide(sys_id, not bool(body.get("readable", False)))
            return 200, {"sys_id": sys_id, "readable": not sandbox.store.hidden(sys_id)}
        tag, urgency = body.get("tag"), body.get("urgency")
        if not (tag is None or isinstance(tag, str)) or not (
            urgency is None or isinstance(urgency, str)
        ):
            return 400, _refusal("tag and urgency are strings")
        sandbox.agent_edit(table, sys_id, tag, urgency)
        return 200, sandbox.store.find(table, sys_id)
    if method == "POST" and path == "/sandbox/journal":
        return _journal(sandbox, body)
    if path in ("/sandbox/webhooks", "/sandbox/deliveries"):
        return _webhooks(sandbox, method, path, body)
    return 404, _refusal(f"no control endpoint {method} {path}")


def _journal(sandbox: ServiceNowSandbox, body: Any) -> tuple[int, Any]:
    """A ``comments`` or ``work_notes`` entry on a record, by a user of the instance."""
    if not isinstance(body, dict):
        return 400, _refusal("the body must be a JSON object")
    ticket, value, user = body.get("ticket_id"), body.get("value"), body.get("user_name")
    element = body.get("element", "comments")
    if not isinstance(ticket, int) or isinstance(ticket, bool) or not isinstance(value, str):
        return 400, _refusal("ticket_id (int) and value (str) are required")
    if element not in ("comments", "work_notes"):
        return 400, _refusal("element is comments or work_notes")
    store = sandbox.store
    if not isinstance(user, str) or store.user_named(user) is None:
        return 400, _refusal(f"user_name {user!r} is no user of the instance")
    table = str(body.get("table") or "incident")
    sys_id = sandbox.record_of(table, ticket) if store.has_table(table) else None
    if sys_id is None:
        return 404, _refusal(f"no {table} record with number digits {ticket}")
    return 200, store.update(table, sys_id, {element: value}, user)


def _webhooks(sandbox: ServiceNowSandbox, method: str, path: str, body: Any) -> tuple[int, Any]:
    rules = sandbox.rules
    if path == "/sandbox/deliveries" and method == "GET":
        return 200, rules.dispatcher.view()
    if path == "/sandbox/deliveries" and method == "DELETE":
        rules.dispatcher.clear()
        return 204, None
    if path == "/sandbox/webhooks" and method == "GET":
        return 200, {"webhooks": rules.rules()}
    if path == "/sandbox/webhooks" and method == "DELETE":
        rules.clear_rules()
        return 204, None
    if path == "/sandbox/webhooks" and method == "POST":
        try:
            return 201, {"webhook": rules.add_rule(body)}
        except BusinessRuleError as exc:
            return 400, _refusal(str(exc))
    return 405, _refusal(f"{method} is not allowed on {path}")


def _refusal(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "detail": None}, "status": "failure"}
