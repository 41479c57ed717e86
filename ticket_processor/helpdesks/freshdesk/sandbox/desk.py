"""Freshdesk's test desk: its sandbox as a ``Desk`` (``sandbox/desks.py``), for the tests, the
crash campaign and the benchmarks; ``serve`` is what Freshdesk's descriptor names as its desk."""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ....models import Priority
from ....sandbox.desks import (
    HUMAN_AGENT_ID,
    UNLIMITED,
    Linked,
    ListedTicket,
    NewTicket,
    Snapshot,
    SolvedTicket,
)
from ....writeback.note import NOTE_HEADER
from ..records import PRIORITY_FROM_FRESHDESK, PRIORITY_TO_FRESHDESK
from .config import FreshdeskConfig, PlanLimits
from .deletion_desk import FreshdeskDeletionDesk
from .records import SOURCE_REPLY
from .serving import RunningFreshdesk, serve_in_thread
from .sla_desk import FreshdeskSlaDesk
from .staff_desk import FreshdeskStaffDesk

# Freshdesk's association types, by their names in its API docs.
_ASSOCIATIONS = {1: "parent", 2: "child", 3: "tracker", 4: "related"}


class FreshdeskDesk(FreshdeskSlaDesk, FreshdeskStaffDesk, FreshdeskDeletionDesk):
    kind = "freshdesk"

    @property
    def ops(self) -> dict[str, str]:
        return {
            "list": "GET /api/v2/tickets",
            "read": "GET /api/v2/tickets/{id}",
            "note": "POST /api/v2/tickets/{id}/notes",
            "write": "PUT /api/v2/tickets/{id}",
        }

    invalid_word = "Validation failed"
    first_id = 1
    outcomes: tuple[str, ...] = ("escalation", "rating")  # no reopen count

    def __init__(self, sandbox: RunningFreshdesk) -> None:
        self.sandbox = sandbox

    @property
    def url(self) -> str:
        return self.sandbox.url

    def env(self) -> dict[str, str]:
        return {
            "TICKETBOT_HELPDESK": "freshdesk",
            "FRESHDESK_URL": self.sandbox.url,
            "FRESHDESK_API_KEY": self.sandbox.config.api_key,
        }

    def api_auth(self) -> tuple[str, str]:
        return self.sandbox.config.api_key, "X"  # Freshdesk ignores the password

    def create(self, tickets: list[NewTicket]) -> list[int]:
        ids = []
        for n, t in enumerate(tickets):
            fields: dict[str, Any] = {
                "subject": t.subject,
                "description": f"<p>{html.escape(t.body)}</p>",
                "email": t.sender or f"customer{n}@example.com",
                "status": 3 if t.status == "pending" else 2,  # no "new" in Freshdesk
                # Every Freshdesk ticket has a priority; 1 (low) is its default.
                "priority": PRIORITY_TO_FRESHDESK[Priority(t.priority)] if t.priority else 1,
            }
            if t.tags:
                fields["tags"] = list(t.tags)
            if t.requester_name:
                fields["name"] = t.requester_name
            if t.cc:
                fields["cc_emails"] = [email for _, email in t.cc]
            if t.agent:
                who = {"name": t.agent[0], "email": t.agent[1], "ticket_scope": 1}
                fields["responder_id"] = self.sandbox.store.directory.create_agent(who)["id"]
            if t.sender:
                fields["source"] = 1  # Freshdesk's source: Email
            if t.organization is not None:
                fields["company_id"] = t.organization
            made = self.sandbox.store.create(fields)
            if t.locale:  # a contact's language is the contact's, set apart from the ticket
                self.sandbox.store.set_contact_language(int(made["requester_id"]), t.locale)
            ids.append(int(made["id"]))
        return ids

    def import_answered(
        self, ticket: NewTicket, replies: Sequence[tuple[str, float]], solved_at: float
    ) -> int:
        asked = min((moment for _, moment in replies), default=solved_at) - 3600
        fields: dict[str, Any] = {
            "subject": ticket.subject,
            "description": ticket.body,
            "email": ticket.sender or f"history{asked:.0f}@example.com",
            "priority": 1,
        }
        if ticket.requester_name:
            fields["name"] = ticket.requester_name
        made = self.sandbox.store.import_answered(
            fields, list(replies), created=asked, solved=solved_at
        )
        return int(made["id"])

    def snapshot(self, ticket_id: int) -> Snapshot:
        ticket = self.sandbox.store.find(ticket_id)
        notes = [
            str(c.get("body_text") or c.get("body"))
            for c in self.sandbox.store.conversations(ticket_id)
            if c.get("private") and NOTE_HEADER in str(c.get("body_text") or c.get("body"))
        ]
        return Snapshot(list(ticket["tags"]), PRIORITY_FROM_FRESHDESK[ticket["priority"]], notes)

    def linked(self, ticket_id: int) -> Linked:
        """A report is ``related`` to the ``tracker`` ticketbot opened (association types 4
        and 3), the tracker first in its associated tickets."""
        store = self.sandbox.store
        ticket = store.find(ticket_id)
        association = ticket.get("association_type")
        listed = ticket.get("associated_tickets_list") or []
        return Linked(
            tags=sorted(ticket["tags"]),
            link=_ASSOCIATIONS.get(association) if association is not None else None,
            group=int(listed[0]) if association == 4 and listed else None,
            notes=[str(c["body_text"]) for c in store.conversations(ticket_id) if c["private"]],
            status=str(ticket["status"]),
            priority=PRIORITY_FROM_FRESHDESK[ticket["priority"]],
            requester=int(ticket["requester_id"]),
            description=str(ticket.get("description_text") or ticket.get("description") or ""),
        )

    def agent_links(self, ticket_id: int) -> None:
        """A tracker ticket of the agent's, the ticket related to it."""
        tracker = {"subject": "agent's tracker", "description": "x", "email": "a@example.com"}
        self.sandbox.store.create({**tracker, "related_ticket_ids": [ticket_id]})

    def merged(self, source: int, target: int) -> bool:
        """Freshdesk's merge closes the source (status 5)."""
        return bool(self.sandbox.store.find(source)["status"] == 5)

    def agent_in(self, groups: Sequence[int]) -> int:
        directory = self.sandbox.store.directory
        n = len(directory.agents()) + 1
        who = {"email": f"agent{n}@example.com", "ticket_scope": 1}
        agent = int(directory.create_agent(who)["id"])
        for group in groups:
            directory.add_member(group, agent)
        return agent

    def agent_routes(self, ticket_id: int, *, group: int | None = None,
                     priority: str | None = None, assignee: int | None = None) -> None:  # fmt: skip
        change: dict[str, Any] = {"group_id": group, "responder_id": assignee}
        if priority is not None:
            change["priority"] = PRIORITY_TO_FRESHDESK[Priority(priority)]
        self.sandbox.store.update(ticket_id, {k: v for k, v in change.items() if v is not None})

    def field_audience(self, key: str, *, shown: bool, editable: bool) -> None:
        fields = self.sandbox.store.fields
        [field] = [f for f in fields.admin_listing() if f["name"] == key]
        change = {"displayed_to_customers": shown, "customers_can_edit": editable}
        fields.update(int(field["id"]), change)

    def routing(self, ticket_id: int) -> tuple[int | None, str | None, int | None]:
        ticket = self.sandbox.store.find(ticket_id)
        group, assignee = ticket.get("group_id"), ticket.get("responder_id")
        return (
            None if group is None else int(group),
            PRIORITY_FROM_FRESHDESK[ticket["priority"]],
            None if assignee is None else int(assignee),
        )

    def ids(self) -> list[int]:
        return [int(t["id"]) for t in self.sandbox.store.all_tickets()]

    def asked(self) -> list[ListedTicket]:
        return [
            ListedTicket(int(t["id"]), str(t["subject"]), str(t["requester_id"]))
            for t in self.sandbox.store.all_tickets()
        ]

    def group(self, name: str) -> int:
        directory = self.sandbox.store.directory
        for group in directory.groups():
            if group["name"] == name:
                return int(group["id"])
        return int(directory.create_group({"name": name})["id"])

    def delete_group(self, group_id: int) -> None:
        self.sandbox.store.directory.delete_group(group_id)

    def group_of(self, ticket_id: int) -> int | None:
        group_id = self.sandbox.store.find(ticket_id).get("group_id")
        return None if group_id is None else int(group_id)

    def held(self, ticket_id: int) -> dict[str, Any]:
        store = self.sandbox.store
        return {"ticket": dict(store.find(ticket_id)), "notes": store.conversations(ticket_id)}

    def stats(self) -> dict[str, Any]:
        return self.sandbox.stats()

    def reset_stats(self) -> None:
        self.sandbox.sandbox.reset_stats()

    def history(self) -> list[tuple[float, str, int | None]]:
        return self.sandbox.sandbox.history()

    def faults(self) -> list[str]:
        return self.sandbox.config.faults

    def start_storm(self, seconds: float) -> None:
        self.sandbox.config.start_storm(seconds)

    def refuse_updates(self, ticket_ids: list[int]) -> None:
        self.sandbox.config.invalid_ticket_ids = list(ticket_ids)

    def requester_says(self, ticket_id: int, text: str) -> None:
        """An incoming public note from the ticket's requester, as the API records one."""
        requester = int(self.sandbox.store.find(ticket_id)["requester_id"])
        body = f"<p>{html.escape(text)}</p>"
        self.sandbox.store.add_note(
            ticket_id, body, private=False, user_id=requester, incoming=True
        )

    def customer_tags(self, ticket_id: int, tag: str) -> bool:
        """Freshdesk gives a contact no way to tag a ticket (the portal shows no tags)."""
        return False

    def agent_replies(self, ticket_id: int, text: str, *, author: int = HUMAN_AGENT_ID) -> None:
        body = f"<p>{html.escape(text)}</p>"
        self.sandbox.store.add_note(
            ticket_id, body, private=False, user_id=author, source=SOURCE_REPLY
        )

    def customer_rates(self, ticket_id: int, score: str) -> None:
        store = self.sandbox.store
        escalated = bool(store.find(ticket_id).get("is_escalated"))
        store.rate(ticket_id, {"good": 103, "bad": -103}[score], escalated=escalated)

    def import_solved(self, tickets: list[SolvedTicket]) -> list[int]:
        """Resolved tickets (status 4), then their survey answer and escalation."""
        ids = []
        store = self.sandbox.store
        scale = {"good": 103, "bad": -103}
        for n, t in enumerate(tickets):
            fields = {
                "subject": t.subject,
                "description": f"<p>{html.escape(t.body)}</p>",
                "email": f"solved{n}@example.com",
                "status": 4,
                "priority": 1,
            }
            ticket_id = int(store.create(fields)["id"])
            store.rate(ticket_id, scale.get(t.satisfaction), escalated=t.escalated)
            ids.append(ticket_id)
        return ids

    def agent_notes(self, ticket_id: int, text: str) -> None:
        body = f"<p>{html.escape(text)}</p>"
        self.sandbox.store.add_note(ticket_id, body, private=True, user_id=HUMAN_AGENT_ID)

    def agent_solves(self, ticket_id: int, *, tags: Sequence[str] | None = None) -> None:
        change: dict[str, Any] = {"status": 4}  # Freshdesk's Resolved
        if tags is not None:
            change["tags"] = list(tags)
        self.sandbox.store.update(ticket_id, change)

    def agent_edit(self, ticket_id: int, tag: str, priority: str) -> None:
        ticket = self.sandbox.store.find(ticket_id)
        self.sandbox.store.update(
            ticket_id,
            {
                "tags": [*ticket["tags"], tag],
                "priority": PRIORITY_TO_FRESHDESK[Priority(priority)],
            },
        )


@contextmanager
def serve(
    *,
    seed: int | None = 5,
    unlimited: bool = False,
    job_delay_ms: float = 0,
    clock: Callable[[], float] = time.time,
) -> Iterator[FreshdeskDesk]:
    """A fresh Freshdesk sandbox on port 0 as a desk (the options: ``desks.serve_desk``;
    ``job_delay_ms`` is not passed on: ticketbot never uses Freshdesk's bulk jobs)."""
    limits = PlanLimits(UNLIMITED, UNLIMITED, UNLIMITED) if unlimited else None
    config = FreshdeskConfig(seed=seed, limits_override=limits, clock=clock)
    with serve_in_thread(config) as freshdesk:
        yield FreshdeskDesk(freshdesk)
