"""The endpoints of many tickets about one thing: the Ticket Import API, a problem's incidents
and the ticket merge.

``POST /api/v2/imports/tickets`` takes one ticket with its own ``created_at``,
``updated_at``, ``status`` and ``comments`` (each with its ``created_at``);
``/imports/tickets/create_many`` up to 100 as a job. An imported ticket enters the incremental
export at the moment of the import, whatever its ``created_at``, as on Zendesk.
``GET /api/v2/tickets/{id}/incidents`` lists the incidents linked to a problem (``problem_id``);
``POST /api/v2/tickets/{id}/merge`` (``{"ids": [...], "target_comment", "source_comment"}``)
closes the sources into the target as a job, as Zendesk's merge does.
"""

from __future__ import annotations

from typing import Any

from .config import bad_request, too_many_values
from .routes import Call, Handler, Services

MAX_IMPORT = 100


def _body(call: Call, key: str) -> Any:
    if not isinstance(call.body, dict) or key not in call.body:
        raise bad_request("InvalidValue", f"request body must be a JSON object with {key!r}")
    return call.body[key]


def import_ticket(svc: Services, call: Call) -> tuple[int, Any]:
    fields = _body(call, "ticket")
    if not isinstance(fields, dict):
        raise bad_request("InvalidValue", "ticket must be an object")
    return 201, {"ticket": svc.store.import_ticket(fields)}


def import_many(svc: Services, call: Call) -> tuple[int, Any]:
    items = _body(call, "tickets")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise bad_request("InvalidValue", "tickets must be a list of objects")
    if len(items) > MAX_IMPORT:
        raise too_many_values(MAX_IMPORT)
    store = svc.store
    job = svc.jobs.submit("bulk_import_tickets", len(items), lambda: store.import_many(items))
    return 200, {"job_status": job}


def incidents(svc: Services, call: Call) -> tuple[int, Any]:
    found = svc.store.incidents_of(int(call.args[0]))
    return 200, {"tickets": found, "count": len(found), "next_page": None, "previous_page": None}


def merge(svc: Services, call: Call) -> tuple[int, Any]:
    body = call.body if isinstance(call.body, dict) else {}
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
        raise bad_request("InvalidValue", "ids must be a non-empty list of ticket ids")
    if len(ids) > 5:  # Zendesk merges at most five tickets at once
        raise too_many_values(5)
    target = int(call.args[0])
    svc.store.find(target)  # 404 before a job is queued
    store = svc.store
    target_comment = str(body.get("target_comment") or "")
    source_comment = str(body.get("source_comment") or "")
    job = svc.jobs.submit(
        "merge_tickets",
        len(ids),
        lambda: store.merge(target, list(ids), target_comment, source_comment),
    )
    return 200, {"job_status": job}


INCIDENT_ROUTES: list[tuple[str, str, Handler, bool, bool]] = [
    ("POST", "/api/v2/imports/tickets", import_ticket, False, False),
    ("POST", "/api/v2/imports/tickets/create_many", import_many, False, False),
    ("GET", "/api/v2/tickets/{id}/incidents", incidents, False, False),
    ("POST", "/api/v2/tickets/{id}/merge", merge, True, False),
]
