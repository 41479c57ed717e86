"""The ticket endpoints: list, show, create, update, notes, replies, conversations, search, bulk
update.

Shapes follow Freshdesk's API v2: the list and search leave out ``description`` (the list gives
it with ``include=description``, which costs 2 more credits); ``tags`` on an update replace the
whole list; a bulk update is a job whose status ``GET /api/v2/jobs/{id}`` reports.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ....sandbox.httpbase import ApiError
from .config import field_error, invalid_value, not_found, rate_limited, validation_failed
from .query import parse
from .records import SOURCE_REPLY, iso, listed, parse_iso, reply_answer
from .routes import Answer, FreshdeskCall, FreshdeskServices, body_object, paged, positive_int
from .store import SANDBOX_AGENT_ID

DEFAULT_WINDOW = 30 * 86400  # a list without updated_since shows the last 30 days
SEARCH_PAGE = 30
SEARCH_PAGES = 10
_ORDER_BY = ("created_at", "due_by", "updated_at", "status")
_FILTERS = ("new_and_my_open", "watching", "spam", "deleted")
_LIST_INCLUDES = ("description", "requester", "stats")
_SHOW_INCLUDES = ("conversations", "requester", "company", "stats")


def includes(call: FreshdeskCall, allowed: tuple[str, ...]) -> list[str]:
    raw = call.query.get("include", "")
    names = [n.strip() for n in raw.split(",") if n.strip()]
    bad = [n for n in names if n not in allowed]
    if bad:
        raise invalid_value("include", f"It should be one of these values: '{','.join(allowed)}'")
    return names


def _requester(svc: FreshdeskServices, ticket: dict[str, Any]) -> dict[str, Any]:
    """``include=requester``: the contact the ticket was made for, by its name and email."""
    rid = ticket["requester_id"]
    found: dict[str, Any] = {"name": f"Requester {rid}", "email": None}
    with contextlib.suppress(ApiError):  # a requester made elsewhere, given by id
        found = svc.store.contact(rid)
    return {
        "id": rid,
        "name": found.get("name"),
        "email": found.get("email"),
        "mobile": None,
        "phone": None,
    }


def _responded(conversations: list[dict[str, Any]]) -> dict[str, str | None]:
    """When the agents last answered (and first did), and when the requester last answered an
    agent: a customer's second message in a row leaves ``requester_responded_at`` as it was,
    as Freshdesk does."""
    agent = first = requester = None
    last_from_requester = False
    for item in conversations:
        if item["private"]:
            continue
        if item["incoming"]:
            if not last_from_requester:
                requester = item["created_at"]
            last_from_requester = True
        else:
            agent = item["created_at"]
            first = first or agent
            last_from_requester = False
    return {
        "agent_responded_at": agent,
        "requester_responded_at": requester,
        "first_responded_at": first,
    }


def _stats(ticket: dict[str, Any], conversations: list[dict[str, Any]]) -> dict[str, Any]:
    resolved = ticket["updated_at"] if ticket["status"] in (4, 5) else None
    return {
        **_responded(conversations),
        "status_updated_at": ticket["updated_at"],
        "reopened_at": None,
        "resolved_at": resolved,
        "closed_at": ticket["updated_at"] if ticket["status"] == 5 else None,
        "pending_since": ticket["updated_at"] if ticket["status"] == 3 else None,
    }


def list_tickets(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    q = call.query
    wanted = includes(call, _LIST_INCLUDES)
    order_by = q.get("order_by", "created_at")
    order_type = q.get("order_type", "desc")
    errors = []
    if order_by not in _ORDER_BY:
        errors.append(
            field_error("order_by", f"It should be one of these values: '{','.join(_ORDER_BY)}'")
        )
    if order_type not in ("asc", "desc"):
        errors.append(field_error("order_type", "It should be one of these values: 'asc,desc'"))
    if q.get("filter") is not None and q["filter"] not in _FILTERS:
        errors.append(
            field_error("filter", f"It should be one of these values: '{','.join(_FILTERS)}'")
        )
    since: float | None = None
    if q.get("updated_since"):
        since = parse_iso(q["updated_since"])
        if since is None:
            errors.append(
                field_error("updated_since", "It should be in the 'valid date-time' format")
            )
    if errors:
        raise validation_failed(*errors)
    name = q.get("filter")
    tickets = svc.store.all_tickets(trash=name == "deleted")  # the trash: ``filter=deleted``
    if since is not None:
        tickets = [t for t in tickets if (parse_iso(t["updated_at"]) or 0) >= since]
    else:
        cutoff = svc.config.clock() - DEFAULT_WINDOW
        tickets = [t for t in tickets if (parse_iso(t["created_at"]) or 0) >= cutoff]
    # As Freshdesk: the list leaves spam out unless it is what was asked for.
    if name == "spam":
        tickets = [t for t in tickets if t.get("spam")]
    else:
        tickets = [t for t in tickets if not t.get("spam")]
    if name == "watching":
        tickets = []  # nothing is watched here
    elif name == "new_and_my_open":
        tickets = [
            t for t in tickets if t["status"] == 2 and t["responder_id"] in (None, SANDBOX_AGENT_ID)
        ]
    for key in ("requester_id", "company_id"):
        if q.get(key):
            tickets = [t for t in tickets if str(t[key]) == q[key]]
    order = svc.store.write_order
    tickets.sort(key=lambda t: (t[order_by], order(t["id"])), reverse=order_type == "desc")
    status, page, headers = paged(call, tickets, max_page=svc.config.max_list_page)
    out = []
    for ticket in page:
        item = listed(ticket, description="description" in wanted)
        if "requester" in wanted:
            item["requester"] = _requester(svc, ticket)
        if "stats" in wanted:
            item["stats"] = _stats(ticket, svc.store.conversations(ticket["id"]))
        out.append(item)
    return status, out, headers


def show_ticket(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    wanted = includes(call, _SHOW_INCLUDES)
    ticket = dict(svc.store.find(call.int_arg()))
    if "conversations" in wanted:
        ticket["conversations"] = svc.store.conversations(ticket["id"])[:10]
    if "requester" in wanted:
        ticket["requester"] = _requester(svc, ticket)
    if "company" in wanted:
        ticket["company"] = None
    if "stats" in wanted:
        ticket["stats"] = _stats(ticket, svc.store.conversations(ticket["id"]))
    return 200, ticket, {}


def create_ticket(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 201, svc.store.create(body_object(call)), {}


def refused_update() -> ApiError:
    """The 400 of the ``invalid_ticket_ids`` knob: a mandatory custom field is empty."""
    return validation_failed(field_error("cf_product", "It should be a/an String", "missing_field"))


def update_ticket(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    changes = body_object(call)
    ticket_id = call.int_arg()
    svc.store.find(ticket_id)
    if ticket_id in svc.config.invalid_ticket_ids:
        raise refused_update()
    return 200, svc.store.update(ticket_id, changes), {}


def delete_ticket(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    svc.store.delete(call.int_arg())
    return 204, None, {}


def merge_tickets(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    """``PUT /tickets/merge`` ``{primary_id, ticket_ids, note_in_primary, note_in_secondary}``."""
    body = body_object(call)
    primary, ids = body.get("primary_id"), body.get("ticket_ids")
    if not isinstance(primary, int):
        raise validation_failed(
            field_error("primary_id", "It should be a/an Integer", "missing_field")
        )
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
        raise invalid_value("ticket_ids", "It should be a/an Array of Positive Integers")

    def note(key: str) -> str:
        value = body.get(key)
        return str(value.get("body", "")) if isinstance(value, dict) else ""

    svc.store.merge(primary, ids, note("note_in_primary"), note("note_in_secondary"))
    return 204, None, {}


def _checked(call: FreshdeskCall, allowed: dict[str, type]) -> dict[str, Any]:
    """The request's object, or Freshdesk's 400 naming every unknown or mistyped field."""
    body = body_object(call)
    errors = []
    for name, value in body.items():
        kind = allowed.get(name)
        if kind is None:
            errors.append(field_error(name, "Unexpected/invalid field in request", "invalid_field"))
        elif not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            word = {str: "String", bool: "Boolean", int: "Integer", list: "Array"}[kind]
            errors.append(field_error(name, f"It should be a/an {word}", "datatype_mismatch"))
    if "body" not in body:
        errors.append(field_error("body", "It should be a/an String", "missing_field"))
    if errors:
        raise validation_failed(*errors)
    return body


def create_note(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    """A note: private unless ``private: false``; ``incoming: true`` with a contact's
    ``user_id`` is a message from that contact (a requester's public reply)."""
    allowed = {
        "body": str,
        "private": bool,
        "incoming": bool,
        "user_id": int,
        "notify_emails": list,
    }
    body = _checked(call, allowed)
    note = svc.store.add_note(
        call.int_arg(),
        body["body"],
        private=body.get("private", True),
        user_id=body.get("user_id", SANDBOX_AGENT_ID),
        incoming=body.get("incoming", False),
    )
    return 201, note, {}


def create_reply(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    """``POST /tickets/{id}/reply``: an agent's public reply, mailed to the requester."""
    allowed = {
        "body": str,
        "from_email": str,
        "user_id": int,
        "cc_emails": list,
        "bcc_emails": list,
    }
    body = _checked(call, allowed)
    ticket = svc.store.find(call.int_arg())
    to_emails = [f"requester{ticket['requester_id']}@example.com"]
    reply = svc.store.add_note(
        ticket["id"],
        body["body"],
        private=False,
        user_id=body.get("user_id", SANDBOX_AGENT_ID),
        source=SOURCE_REPLY,
        from_email=body.get("from_email", svc.config.agent_email),
        to_emails=to_emails,
        cc_emails=list(body.get("cc_emails", [])),
        bcc_emails=list(body.get("bcc_emails", [])),
    )
    return 201, reply_answer(reply, to_emails), {}


def list_conversations(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return paged(call, svc.store.conversations(call.int_arg()))


def delete_conversation(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    """``DELETE /api/v2/conversations/{id}``: 204, or an empty 404 for an unknown note."""
    svc.store.delete_note(call.int_arg())
    return 204, None, {}


def search_tickets(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    if "query" not in call.query:
        raise validation_failed(field_error("query", "It should be a/an String", "missing_field"))
    matches = parse(call.query["query"])
    page = positive_int(call, "page", 1)
    if page > SEARCH_PAGES:
        raise invalid_value("page", f"Has to be between 1 and {SEARCH_PAGES}")
    found = [t for t in svc.store.all_tickets() if matches(t)]
    found.sort(key=lambda t: (t["created_at"], t["id"]), reverse=True)
    chunk = found[(page - 1) * SEARCH_PAGE : page * SEARCH_PAGE]
    return 200, {"results": [listed(t) for t in chunk], "total": len(found)}, {}


def bulk_update(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    action = body_object(call).get("bulk_action")
    if not isinstance(action, dict):
        raise validation_failed(
            field_error("bulk_action", "It should be a/an key/value pair", "missing_field")
        )
    ids, properties = action.get("ids"), action.get("properties")
    if (
        not isinstance(ids, list)
        or not ids
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
    ):
        raise invalid_value("ids", "It should be a/an Array of Positive Integers")
    if not isinstance(properties, dict) or not properties:
        raise validation_failed(
            field_error("properties", "It should be a/an key/value pair", "missing_field")
        )
    svc.store.check_properties(properties)
    store, config = svc.store, svc.config
    try:
        job = svc.jobs.submit(
            "bulk_update",
            len(ids),
            # The knob is read when the job runs, as Freshdesk validates each ticket then.
            lambda: store.bulk_update(ids, properties, refuse=set(config.invalid_ticket_ids)),
        )
    except ApiError as exc:
        raise rate_limited(1) from exc
    svc.job_created[job["id"]] = call_stamp(svc)
    return 202, {"job_id": job["id"]}, {}


def call_stamp(svc: FreshdeskServices) -> str:
    return iso(svc.config.clock())


_JOB_STATUS = {"queued": "IN PROGRESS", "working": "IN PROGRESS", "failed": "FAILED"}


def job_status(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    job_id = call.args[0]
    if job_id not in svc.job_created:
        raise not_found()
    job = svc.jobs.get(job_id)
    results = job.get("results") or []
    status = _JOB_STATUS.get(job["status"])
    if status is None:
        failed = sum(1 for r in results if not r.get("success"))
        status = "SUCCESS" if not failed else "FAILED" if failed == len(results) else "PARTIAL"
    done = job["status"] in ("completed", "failed")
    created = svc.job_created[job_id]
    stamp = call_stamp(svc)
    return (
        200,
        {
            "id": job_id,
            "status": status,
            "progress": 100 if done else 0,
            "created_at": created,
            "updated_at": stamp if done else created,
            "status_updated_at": stamp if done else created,
            "data": results,
        },
        {},
    )
