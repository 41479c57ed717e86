"""Seeding Freshdesk: the sample tickets as ``POST /api/v2/tickets``, one each, and in
ticketbot's own sandbox the sample groups with their agents and a Solutions help centre.

Freshdesk has no create-many call, so each ticket is one request, a few at a time through the
adapter's transport (its pacing from ``X-RateLimit-Remaining`` and its retries). Creating is no
part of the ``Helpdesk`` protocol (the core never creates tickets): ``seed`` and ``demo`` reach
the transport here. What a ticket looks like is pure (``to_freshdesk``); the tickets themselves
and the ``seed`` command's flow are shared (``samples``, ``seeding``).

The help centre is the Zendesk sample's English articles as Freshdesk shapes them: one
category, a folder per section (its ``visibility`` is the article's), published articles.
Freshdesk keeps other languages as translations of an article, which the sandbox does not
serve, so the few German, French and Spanish samples stay out.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from ...errors import AuthError, HelpdeskError
from ...models import Helpdesk, Priority
from ..sample_replies import sample_agent
from ..samples import (
    SAMPLE_GROUPS,
    SeedOutcome,
    SeedResult,
    SeedTicket,
    requester_of,
)
from ..zendesk.help_centre import HelpCentreArticle, sample_articles
from .adapter import FreshdeskHelpdesk
from .records import PRIORITY_TO_FRESHDESK
from .seed_macros import seed_canned_responses
from .wire import FreshdeskTransport

OPEN = 2
ALL_TICKETS = 1  # an agent's ticket_scope: global access
FOLDER_VISIBILITY = {"everyone": 1, "signed_in": 2, "internal": 3}
PUBLISHED = 2


def to_freshdesk(ticket: SeedTicket, *, requester: str) -> dict[str, object]:
    """The create body: an open ticket from ``requester``, the text as HTML, the agent's tags.

    Freshdesk requires a priority; a sample without one gets ``low`` (1), Freshdesk's default.
    """
    paragraphs = [html.escape(p) for p in ticket.description.split("\n\n") if p.strip()]
    body = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs) or "<p></p>"
    fields: dict[str, object] = {
        "subject": ticket.subject or "(no subject)",
        "description": body,
        "email": requester,
        "status": OPEN,
        "priority": PRIORITY_TO_FRESHDESK[Priority(ticket.priority)] if ticket.priority else 1,
    }
    if ticket.tags:
        fields["tags"] = list(ticket.tags)
    return fields


def _seeded(http: FreshdeskTransport) -> set[tuple[str, str]]:
    """(requester's email, subject) of every ticket there: Freshdesk keeps no external id on a
    ticket, and a seeded ticket's requester is its own (``requester_of``). One
    list page per 100 tickets, from the start (the list alone shows the last 30 days)."""
    params = {"include": "requester", "updated_since": "2000-01-01T00:00:00Z", "per_page": 100}
    found: set[tuple[str, str]] = set()
    for page in http.pages("/api/v2/tickets", params):
        for item in page:
            requester = item.get("requester") if isinstance(item, dict) else None
            if isinstance(requester, dict) and isinstance(requester.get("email"), str):
                found.add((requester["email"].lower(), str(item.get("subject") or "")))
    return found


def create_tickets(
    http: FreshdeskTransport,
    tickets: Sequence[SeedTicket],
    *,
    on_progress: Callable[[int], None] | None = None,
) -> SeedResult:
    """Create the ``tickets`` an earlier seed did not, one request each and one at a time, so
    that their ids follow the input's order (as Zendesk's ``create_many`` gives them): the demo
    and the tutorial name the samples by id, and creates made at once took ids in the order
    they were answered. A plan's credits a minute pace a real account's creates anyway. A
    ticket Freshdesk refuses is reported failed and the rest go on: run again, the seed makes
    only what is missing."""
    result = SeedResult()
    there = _seeded(http)
    wanted: list[int] = []
    for position, ticket in enumerate(tickets, start=1):
        fields = to_freshdesk(ticket, requester=requester_of(position, ticket))
        if (str(fields["email"]), str(fields["subject"])) not in there:
            wanted.append(position - 1)
    result.existing = len(tickets) - len(wanted)
    if on_progress is not None and result.existing:
        on_progress(result.existing)

    def create(position: int) -> tuple[int | None, str | None]:
        fields = to_freshdesk(
            tickets[position], requester=requester_of(position + 1, tickets[position])
        )
        try:
            # A create is not replayed after a broken connection: it could make two tickets.
            answer = http.request("POST", "/api/v2/tickets", json=fields, replay_safe=False)
        except HelpdeskError as exc:
            if isinstance(exc, AuthError):
                raise
            return None, str(exc)
        finally:
            if on_progress is not None:
                on_progress(1)
        ticket_id = answer.body.get("id") if isinstance(answer.body, dict) else None
        return (ticket_id, None) if isinstance(ticket_id, int) else (None, "no id in the answer")

    for position in wanted:
        ticket_id, error = create(position)
        if ticket_id is not None:
            result.created_ids.append(ticket_id)
        else:
            result.failed.append((tickets[position], error or "failed"))
    return result


def _post(http: FreshdeskTransport, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = http.request("POST", path, json=body, replay_safe=False)
    if not isinstance(answer.body, dict) or not isinstance(answer.body.get("id"), int):
        raise HelpdeskError(f"Freshdesk answered POST {path} without an id")
    return answer.body


def create_directory(
    http: FreshdeskTransport, groups: dict[str, tuple[tuple[str, str], ...]] = SAMPLE_GROUPS
) -> dict[str, int]:
    """Create the sample agents and the groups with them as members (what exists is reused);
    returns group name -> id. Only for a sandbox: on a real account agents are paid seats."""
    group_ids = {
        str(g["name"]): int(g["id"])
        for page in http.pages("/api/v2/groups", {"per_page": 100})
        for g in page
        if isinstance(g, dict)
    }
    agent_ids = {
        str(a["contact"]["email"]): int(a["id"])
        for page in http.pages("/api/v2/agents", {"per_page": 100})
        for a in page
        if isinstance(a, dict) and isinstance(a.get("contact"), dict)
    }
    for group, agents in groups.items():
        if group in group_ids:
            continue
        for name, email in agents:
            if email not in agent_ids:
                agent = {"email": email, "name": name, "ticket_scope": ALL_TICKETS}
                agent_ids[email] = int(_post(http, "/api/v2/agents", agent)["id"])
        members = [agent_ids[email] for _, email in agents]
        made = _post(http, "/api/v2/groups", {"name": group, "agent_ids": members})
        group_ids[group] = int(made["id"])
    return group_ids


def publish_solutions(
    http: FreshdeskTransport,
    articles: Sequence[HelpCentreArticle],
    *,
    category: str = "Help centre",
) -> list[int]:
    """Create ``articles`` as published Solutions articles in a new category, a folder per
    section and visibility; their Freshdesk ids, in order."""
    category_id = int(_post(http, "/api/v2/solutions/categories", {"name": category})["id"])
    folders: dict[tuple[str, str], int] = {}
    ids = []
    for article in articles:
        key = (article.section, article.visibility)
        if key not in folders:
            name = (
                article.section
                if article.visibility == "everyone"
                else (f"{article.section} ({article.visibility.replace('_', '-')})")
            )
            folder = {"name": name, "visibility": FOLDER_VISIBILITY[article.visibility]}
            path = f"/api/v2/solutions/categories/{category_id}/folders"
            folders[key] = int(_post(http, path, folder)["id"])
        body = {"title": article.title, "description": article.body, "status": PUBLISHED}
        made = _post(http, f"/api/v2/solutions/folders/{folders[key]}/articles", body)
        ids.append(int(made["id"]))
    return ids


def seed_solutions(http: FreshdeskTransport) -> int:
    """Publish the sample help centre's English articles unless Solutions already has a
    category; how many were created."""
    if any(page for page in http.pages("/api/v2/solutions/categories")):
        return 0
    english = [a for a in sample_articles() if a.locale.startswith("en")]
    return len(publish_solutions(http, english))


def _own_sandbox(http: FreshdeskTransport) -> bool:
    """ticketbot's sandbox (it says so in a header, and it only listens on this machine)."""
    host = urlsplit(http.base_url).hostname or ""
    return http.sandbox_kind == "freshdesk" or host in ("127.0.0.1", "localhost", "::1")


def seed(
    helpdesk: Helpdesk,
    tickets: Sequence[SeedTicket],
    *,
    samples: bool,
    on_progress: Callable[[int], None] | None = None,
) -> SeedOutcome:
    """The registry's ``Seeder`` for Freshdesk: the tickets; on this machine the sample groups
    (routing needs them); with ``samples``, in ticketbot's own sandbox, the help centre."""
    if not isinstance(helpdesk, FreshdeskHelpdesk):  # TICKETBOT_HELPDESK decides: a bug
        raise TypeError("the Freshdesk seed needs the Freshdesk adapter")
    http = helpdesk.http
    outcome = SeedOutcome(create_tickets(http, tickets, on_progress=on_progress))
    if _own_sandbox(http):
        outcome.groups = create_directory(http)
    if samples and http.sandbox_kind == "freshdesk":
        # Only ticketbot's own sandbox gets the sample help centre: published articles in a
        # real one would be visible to customers.
        outcome.articles = seed_solutions(http)
        outcome.said += seed_canned_responses(http, sample_agent(helpdesk.agents())).lines()
    return outcome
