"""The Freshdesk sandbox's skills and companies, in Freshdesk's shapes.

Skills (``GET /api/v2/admin/skills``: ``id``, ``name``, ``rank``, ``agents`` as ``{"id"}``
objects, stamps), an agent's ``skill_ids`` beside its ``available`` flag (the directory's
agent record), a ticket's ``skill_id`` (one skill a ticket is matched to, the ticket store's
field), and companies (``/api/v2/companies/{id}``: ``custom_fields``, ``domains``).
"""

from __future__ import annotations

from .config import not_found
from .records import iso
from .routes import Answer, FreshdeskCall, FreshdeskServices, body_object, compile_route, paged
from .staff_book import StaffBook


def _book(svc: FreshdeskServices) -> StaffBook:
    book: StaffBook = svc.store.directory.staff
    return book


def list_skills(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    book = _book(svc)
    agents = svc.store.directory.agents()
    with book._lock:
        skills = [dict(s) for s in book.skills.values()]
    for skill in skills:
        skill["agents"] = [{"id": a["id"]} for a in agents if skill["id"] in a.get("skill_ids", ())]
    return paged(call, skills)


def show_company(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    book = _book(svc)
    with book._lock:
        found = book.companies.get(call.int_arg())
    if found is None:
        raise not_found()
    return 200, dict(found), {}


def create_company(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 201, _book(svc).add_company(body_object(call), iso(svc.store.now())), {}


STAFF_ROUTES = [
    compile_route("GET", "/api/v2/admin/skills", list_skills),
    compile_route("GET", "/api/v2/companies/{id}", show_company),
    compile_route("POST", "/api/v2/companies", create_company),
]
