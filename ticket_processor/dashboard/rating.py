"""Agents rate what ticketbot did for a ticket, on its page: the note's analysis, each
suggested article, each step's suggestion in its section (a saved reply, a similar solved
ticket), the answer: helped, not helped, or (the analysis) wrong category, with an optional
reason and the right category.

``POST /tickets/{id}/ratings`` is a write: signed in, with the sign-in's CSRF token, from the
dashboard's own origin, as the review queue's. A rating names something the ticket's page
offers (anything else is refused) and is stored as the audit store's ``ratings`` row of that
rater and item (``AuditStore.upsert_ratings``): a double click, or a second opinion of the same
agent, is one rating. Ratings by feedback tag (``ratings.tags``) are shown beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from ..audit import queries as audit_queries
from ..audit.schema import ratings
from ..ratings.tags import VERDICTS
from .access import Access, Identity, same_origin
from .forms import read_form, root_of
from .queries import TicketView, ticket_page

MAX_REASON = 500


@dataclass(frozen=True)
class RateTarget:
    """Something on the ticket's page an agent may rate: ``target`` its kind, ``item`` which."""

    target: str
    item: str
    label: str

    @property
    def verdicts(self) -> tuple[str, ...]:
        return VERDICTS if self.target == "analysis" else VERDICTS[:2]


def rate_targets(view: TicketView) -> list[RateTarget]:
    """What the page offers to rate, from the latest triage and the steps' sections."""
    latest = view.latest
    found = [RateTarget("analysis", "", f"the analysis ({latest.get('category') or '–'})")]
    for article in latest.get("articles") or []:
        found.append(RateTarget("article", str(article)[:200], f"article {article}"))
    for section in view.sections:
        for row in section.rows:
            found.append(RateTarget(section.step, row.value[:200], f"{section.title}: {row.label}"))
    if latest.get("answer"):
        found.append(RateTarget("answer", "", "the answer"))
    return found


def ticket_ratings(
    conn: sa.Connection, account: str, ticket_id: int, helpdesk: str | None = None
) -> list[dict[str, Any]]:
    """The ticket's ratings, newest first."""
    statement = (
        sa.select(ratings)
        .where(ratings.c.account == account, ratings.c.ticket_id == ticket_id)
        .order_by(ratings.c.at.desc(), ratings.c.id.desc())
    )
    if helpdesk is not None:
        statement = statement.where(ratings.c.helpdesk == helpdesk)
    return [dict(row) for row in conn.execute(statement).mappings()]


class RatingDesk:
    """The rating form's handler over the dashboard's store (``web.LazyStore``)."""

    def __init__(self, store: Any, access: Access, categories: Sequence[str]) -> None:
        self.store = store
        self.access = access
        self.categories = list(categories)

    async def post(self, request: Request) -> Response:
        found = request.scope.get("state", {}).get("identity")
        who = found if isinstance(found, Identity) else Identity("anonymous", "")
        form = await read_form(request)
        if form is None:
            return PlainTextResponse("the form is too large", status_code=413)
        if not who.signed_in or not self.access.csrf_ok(who, _one(form, "csrf")):
            return PlainTextResponse("refused: missing or wrong CSRF token", status_code=403)
        if not same_origin(request.headers, who):
            return PlainTextResponse("refused: the request comes from another origin", 403)
        ticket_id = int(request.path_params["ticket_id"])
        helpdesk = _one(form, "helpdesk")[:100] or None
        verdict, target, item = _one(form, "verdict"), _one(form, "target"), _one(form, "item")
        value = _one(form, "value")[:200] or None
        view = await run_in_threadpool(
            self.store.read,
            lambda conn, account: ticket_page(
                audit_queries.ticket_history(conn, account, ticket_id, helpdesk=helpdesk)
            ),
        )
        offered = {(t.target, t.item): t for t in rate_targets(view)} if view else {}
        chosen = offered.get((target, item))
        if view is None or chosen is None or verdict not in chosen.verdicts:
            return PlainTextResponse("refused: nothing on this ticket's page to rate so", 400)
        if value is not None and (verdict != "wrong_category" or value not in self.categories):
            return PlainTextResponse("refused: not one of the taxonomy's categories", 400)
        row = {
            "helpdesk": view.helpdesk,
            "ticket_id": ticket_id,
            "at": datetime.now(UTC),
            "source": "dashboard",
            "rater": who.name,
            "target": target,
            "item": item,
            "verdict": verdict,
            "reason": _one(form, "reason").strip()[:MAX_REASON] or None,
            "value": value,
            "ticketbot": view.latest.get("category"),
            "decision_id": view.latest.get("id"),
        }
        await run_in_threadpool(lambda: self.store.get().upsert_ratings([row]))
        back = f"{root_of(request)}/tickets/{ticket_id}?helpdesk={quote_plus(view.helpdesk)}"
        told = quote_plus(f"rated {chosen.label}: {verdict.replace('_', ' ')}")
        return RedirectResponse(f"{back}&done={told}", status_code=303)


def _one(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0]
