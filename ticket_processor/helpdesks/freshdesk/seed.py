"""Seeding Freshdesk: the sample tickets as ``POST /api/v2/tickets``, one each.

Freshdesk has no create-many call, so each ticket is one request, a few at a time through the
adapter's transport (its pacing from ``X-RateLimit-Remaining`` and its retries). Creating is no
part of the ``Helpdesk`` protocol (the core never creates tickets): ``seed`` and ``demo`` reach
the transport here. What a ticket looks like is pure (``to_freshdesk``); the tickets themselves
and the ``seed`` command's flow are shared (``samples``, ``seeding``).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from ...errors import HelpdeskError
from ...models import Priority
from ..protocol import Helpdesk
from ..samples import SeedOutcome, SeedResult, SeedTicket
from .adapter import FreshdeskHelpdesk
from .records import PRIORITY_TO_FRESHDESK
from .wire import FreshdeskTransport

IN_FLIGHT = 4  # concurrent creates: quick against the sandbox, far below any plan's limit
OPEN = 2


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


def create_tickets(
    http: FreshdeskTransport,
    tickets: Sequence[SeedTicket],
    *,
    in_flight: int = IN_FLIGHT,
    on_progress: Callable[[int], None] | None = None,
) -> SeedResult:
    """Create ``tickets`` (one request each, ``in_flight`` at a time), ids in input order."""
    result = SeedResult()

    def create(position: int) -> tuple[int | None, str | None]:
        fields = to_freshdesk(tickets[position], requester=f"customer{position + 1}@example.com")
        try:
            # A create is not replayed after a broken connection: it could make two tickets.
            answer = http.request("POST", "/api/v2/tickets", json=fields, replay_safe=False)
        except HelpdeskError as exc:
            return None, str(exc)
        finally:
            if on_progress is not None:
                on_progress(1)
        ticket_id = answer.body.get("id") if isinstance(answer.body, dict) else None
        return (ticket_id, None) if isinstance(ticket_id, int) else (None, "no id in the answer")

    with ThreadPoolExecutor(max(1, in_flight), thread_name_prefix="seed") as pool:
        outcomes = list(pool.map(create, range(len(tickets))))
    for ticket, (ticket_id, error) in zip(tickets, outcomes, strict=True):
        if ticket_id is not None:
            result.created_ids.append(ticket_id)
        else:
            result.failed.append((ticket, error or "failed"))
    return result


def seed(
    helpdesk: Helpdesk,
    tickets: Sequence[SeedTicket],
    *,
    samples: bool,
    on_progress: Callable[[int], None] | None = None,
) -> SeedOutcome:
    """The registry's ``Seeder`` for Freshdesk: the tickets (no groups or help centre yet, so
    ``samples`` changes nothing)."""
    if not isinstance(helpdesk, FreshdeskHelpdesk):  # TICKETBOT_HELPDESK decides: a bug
        raise TypeError("the Freshdesk seed needs the Freshdesk adapter")
    return SeedOutcome(create_tickets(helpdesk.http, tickets, on_progress=on_progress))
