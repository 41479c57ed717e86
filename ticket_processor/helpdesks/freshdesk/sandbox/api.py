"""The Freshdesk endpoints the sandbox serves: the routing table and the directory endpoints.

Ticket endpoints are in ``api_tickets.py``; groups, agents and Solutions are here. ``resolve``
maps a request to its route (a trailing slash ignored).
"""

from __future__ import annotations

from . import api_tickets as t
from .canned_api import CANNED_ROUTES
from .config import invalid_value
from .contacts_api import delete_contact, deleted_contacts, list_contacts
from .records import iso
from .routes import (
    Answer,
    FreshdeskCall,
    FreshdeskEndpoint,
    FreshdeskServices,
    body_object,
    compile_route,
    paged,
)
from .sla_api import SLA_ROUTES
from .staff_api import STAFF_ROUTES
from .store import SANDBOX_AGENT_ID


def satisfaction_ratings(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    """``GET /api/v2/surveys/satisfaction_ratings`` (``created_since``: an ISO time; pages of
    up to 100): the customers' survey answers, oldest first, each naming its ``ticket_id``."""
    since = call.query.get("created_since")
    ratings = svc.store.satisfaction_ratings()
    if since:
        ratings = [r for r in ratings if str(r["created_at"]) >= since]
    return paged(call, ratings)


# Freshdesk's survey scale: extremely happy (103) ... neutral (100) ... extremely unhappy (-103).
SURVEY_SCALE = (103, 102, 101, 100, -101, -102, -103)


def create_satisfaction_rating(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    """``POST /api/v2/tickets/{id}/satisfaction_ratings`` (``ratings.default_question`` on the
    survey's scale, optional ``feedback``): the customer's answer to the ticket's survey, made
    from outside as the helpdesk's own survey link would; stamped now, listed by the GET."""
    ticket = svc.store.find(call.int_arg())
    body = body_object(call)
    ratings = body.get("ratings")
    answer = ratings.get("default_question") if isinstance(ratings, dict) else None
    if answer not in SURVEY_SCALE or isinstance(answer, bool):
        scale = ", ".join(map(str, SURVEY_SCALE))
        raise invalid_value("ratings", f"default_question must be one of {scale}")
    feedback = body.get("feedback")
    at = iso(svc.store.now())
    made = {
        "id": 1000 + len(svc.store.ratings) + 1,
        "survey_id": 1,
        "user_id": ticket.get("requester_id"),
        "agent_id": ticket.get("responder_id"),
        "group_id": ticket.get("group_id"),
        "ticket_id": ticket["id"],
        "feedback": feedback if isinstance(feedback, str) else "",
        "ratings": {"default_question": answer},
        "created_at": at,
        "updated_at": at,
    }
    svc.store.ratings.append(made)
    return 201, made, {}


def list_groups(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return paged(call, svc.store.directory.groups())


def show_group(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 200, svc.store.directory.group(call.int_arg()), {}


def create_group(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 201, svc.store.directory.create_group(body_object(call)), {}


def delete_group(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    svc.store.directory.delete_group(call.int_arg())
    return 204, None, {}


def list_agents(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return paged(call, svc.store.directory.agents())


def show_agent(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 200, svc.store.directory.agent(call.int_arg()), {}


def show_contact(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    trash = deleted_contacts(svc.store)
    with trash.lock:
        gone = trash.contacts.get(call.int_arg())
    return 200, gone if gone is not None else svc.store.contact(call.int_arg()), {}


def me(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 200, svc.store.directory.agent(SANDBOX_AGENT_ID), {}


def create_agent(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 201, svc.store.directory.create_agent(body_object(call)), {}


def list_categories(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return paged(call, svc.store.solutions.categories())


def show_category(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 200, svc.store.solutions.category(call.int_arg()), {}


def create_category(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 201, svc.store.solutions.create_category(body_object(call)), {}


def list_folders(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return paged(call, svc.store.solutions.folders(call.int_arg()))


def show_folder(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 200, svc.store.solutions.folder(call.int_arg()), {}


def create_folder(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 201, svc.store.solutions.create_folder(call.int_arg(), body_object(call)), {}


def list_articles(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return paged(call, svc.store.solutions.articles(call.int_arg()))


def show_article(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 200, svc.store.solutions.article(call.int_arg()), {}


def create_article(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 201, svc.store.solutions.create_article(call.int_arg(), body_object(call)), {}


def list_fields(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 200, svc.store.fields.listing(), {}


def list_admin_fields(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 200, svc.store.fields.admin_listing(), {}


def create_field(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 201, svc.store.fields.create(body_object(call)), {}


def update_field(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 200, svc.store.fields.update(call.int_arg(), body_object(call)), {}


_V2 = "/api/v2"
ROUTES: list[FreshdeskEndpoint] = [
    compile_route("GET", f"{_V2}/tickets", t.list_tickets, "list"),
    compile_route("POST", f"{_V2}/tickets", t.create_ticket),
    compile_route("POST", f"{_V2}/tickets/bulk_update", t.bulk_update, "update"),
    compile_route("PUT", f"{_V2}/tickets/merge", t.merge_tickets, "update"),
    compile_route("DELETE", f"{_V2}/tickets/{{id}}", t.delete_ticket),
    compile_route("GET", f"{_V2}/tickets/{{id}}", t.show_ticket),
    compile_route("PUT", f"{_V2}/tickets/{{id}}", t.update_ticket, "update"),
    compile_route("POST", f"{_V2}/tickets/{{id}}/notes", t.create_note),
    compile_route("POST", f"{_V2}/tickets/{{id}}/reply", t.create_reply),
    compile_route("GET", f"{_V2}/tickets/{{id}}/conversations", t.list_conversations),
    compile_route("DELETE", f"{_V2}/conversations/{{id}}", t.delete_conversation),
    compile_route("GET", f"{_V2}/search/tickets", t.search_tickets),
    compile_route("GET", f"{_V2}/jobs/{{job_id}}", t.job_status),
    compile_route("GET", f"{_V2}/ticket_fields", list_fields),
    compile_route("GET", f"{_V2}/admin/ticket_fields", list_admin_fields),
    compile_route("POST", f"{_V2}/admin/ticket_fields", create_field),
    compile_route("PUT", f"{_V2}/admin/ticket_fields/{{id}}", update_field),
    compile_route("GET", f"{_V2}/surveys/satisfaction_ratings", satisfaction_ratings),
    compile_route("POST", f"{_V2}/tickets/{{id}}/satisfaction_ratings", create_satisfaction_rating),
    compile_route("GET", f"{_V2}/groups", list_groups),
    compile_route("POST", f"{_V2}/groups", create_group),
    compile_route("GET", f"{_V2}/groups/{{id}}", show_group),
    compile_route("DELETE", f"{_V2}/groups/{{id}}", delete_group),
    compile_route("GET", f"{_V2}/agents", list_agents),
    compile_route("POST", f"{_V2}/agents", create_agent),
    compile_route("GET", f"{_V2}/agents/me", me),
    compile_route("GET", f"{_V2}/agents/{{id}}", show_agent),
    compile_route("GET", f"{_V2}/contacts", list_contacts),
    compile_route("GET", f"{_V2}/contacts/{{id}}", show_contact),
    compile_route("DELETE", f"{_V2}/contacts/{{id}}", delete_contact),
    compile_route("GET", f"{_V2}/solutions/categories", list_categories),
    compile_route("POST", f"{_V2}/solutions/categories", create_category),
    compile_route("GET", f"{_V2}/solutions/categories/{{id}}", show_category),
    compile_route("GET", f"{_V2}/solutions/categories/{{id}}/folders", list_folders),
    compile_route("POST", f"{_V2}/solutions/categories/{{id}}/folders", create_folder),
    compile_route("GET", f"{_V2}/solutions/folders/{{id}}", show_folder),
    compile_route("GET", f"{_V2}/solutions/folders/{{id}}/articles", list_articles),
    compile_route("POST", f"{_V2}/solutions/folders/{{id}}/articles", create_article),
    compile_route("GET", f"{_V2}/solutions/articles/{{id}}", show_article),
    *CANNED_ROUTES,
    *SLA_ROUTES,
    *STAFF_ROUTES,
]


def resolve(method: str, path: str) -> tuple[FreshdeskEndpoint, tuple[str, ...]] | None:
    """The route for a request path, with its arguments; None when nothing serves it."""
    path = path.rstrip("/") or "/"
    for route in ROUTES:
        if route.method == method:
            match = route.regex.match(path)
            if match:
                return route, match.groups()
    return None
