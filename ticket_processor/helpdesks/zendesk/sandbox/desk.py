"""Zendesk's test desk: its sandbox as a ``Desk`` (``sandbox/desks.py``), for the tests, the
crash campaign and the benchmarks; ``serve`` is what Zendesk's descriptor names as its desk."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

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
from .config import SandboxConfig
from .deletion_desk import ZendeskDeletionDesk
from .records import VIA_MAIL, iso
from .server import RunningSandbox, serve_in_thread
from .sla_desk import ZendeskSlaDesk
from .staff_desk import ZendeskStaffDesk


class ZendeskDesk(ZendeskSlaDesk, ZendeskStaffDesk, ZendeskDeletionDesk):
    kind = "zendesk"

    @property
    def ops(self) -> dict[str, str]:
        return {
            "list": "GET /api/v2/incremental/tickets/cursor",
            "write": "PUT /api/v2/tickets/update_many",
            "job": "GET /api/v2/job_statuses/{job_id}",
        }

    invalid_word = "RecordInvalid"
    first_id = 1
    outcomes: tuple[str, ...] = ("rating", "reopen")  # no escalation flag

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox

    @property
    def url(self) -> str:
        return self.sandbox.url

    def env(self) -> dict[str, str]:
        return {
            "ZENDESK_URL": self.sandbox.url,
            "ZENDESK_EMAIL": self.sandbox.config.email,
            "ZENDESK_API_TOKEN": self.sandbox.config.token,
        }

    def api_auth(self) -> tuple[str, str]:
        return f"{self.sandbox.config.email}/token", self.sandbox.config.token

    def create(self, tickets: list[NewTicket]) -> list[int]:
        ids = []
        for n, t in enumerate(tickets):
            fields: dict[str, Any] = {
                "subject": t.subject,
                "comment": {"body": t.body},
                "status": t.status,
                "requester": {"email": t.sender or f"customer{n}@example.com"},
            }
            if t.sender:
                fields["via_id"] = VIA_MAIL
            if t.organization is not None:
                fields["organization_id"] = t.organization
            if t.requester_name:
                fields["requester"]["name"] = t.requester_name
            if t.locale:
                fields["requester"]["locale"] = t.locale
            if t.tags:
                fields["tags"] = list(t.tags)
            if t.priority:
                fields["priority"] = t.priority
            if t.cc:
                fields["email_ccs"] = [{"user_name": n, "user_email": e} for n, e in t.cc]
            if t.agent:
                who = {"name": t.agent[0], "email": t.agent[1], "role": "agent"}
                agent = self.sandbox.store.directory.create_agent(who, self.sandbox.url)
                fields["assignee_id"] = agent["id"]
            ids.append(int(self.sandbox.store.create(fields)["id"]))
        return ids

    def snapshot(self, ticket_id: int) -> Snapshot:
        ticket = self.sandbox.store.get(ticket_id)
        notes = [
            str(c["body"])
            for c in self.sandbox.store.comments(ticket_id)
            if not c["public"] and NOTE_HEADER in str(c["body"])
        ]
        return Snapshot(list(ticket["tags"]), ticket["priority"], notes)

    def linked(self, ticket_id: int) -> Linked:
        """A report is an ``incident`` under its ``problem_id``; the problem is a ``problem``."""
        store = self.sandbox.store
        ticket = store.get(ticket_id)
        comments = store.comments(ticket_id)
        kind = ticket.get("type")
        problem = ticket.get("problem_id") if kind == "incident" else None
        return Linked(
            tags=sorted(ticket["tags"]),
            link=kind,
            group=None if problem is None else int(problem),
            notes=[str(c["body"]) for c in comments[1:] if not c["public"]],
            status=str(ticket["status"]),
            priority=ticket["priority"],
            requester=int(ticket["requester_id"]),
            description=str(comments[0]["body"]) if comments else "",
        )

    def agent_links(self, ticket_id: int) -> None:
        self.sandbox.store.update(ticket_id, {"type": "question"})

    def merged(self, source: int, target: int) -> bool:
        """Zendesk's merge closes the source."""
        return bool(self.sandbox.store.get(source)["status"] == "closed")

    def agent_in(self, groups: Sequence[int]) -> int:
        """An agent, a member of each group (Zendesk assigns only within the ticket's group)."""
        directory, url = self.sandbox.store.directory, self.sandbox.store.base_url
        n = len(directory.agents) + 1
        who = {"name": f"Agent {n}", "email": f"agent{n}@example.com", "role": "agent"}
        agent = int(directory.create_agent(who, url)["id"])
        for group in groups:
            directory.create_membership({"user_id": agent, "group_id": group}, url)
        return agent

    def agent_routes(self, ticket_id: int, *, group: int | None = None,
                     priority: str | None = None, assignee: int | None = None) -> None:  # fmt: skip
        change = {"group_id": group, "priority": priority, "assignee_id": assignee}
        self.sandbox.store.update(ticket_id, {k: v for k, v in change.items() if v is not None})

    def field_audience(self, key: str, *, shown: bool, editable: bool) -> None:
        self.sandbox.store.set_field_audience(int(key), visible=shown, editable=editable)

    def routing(self, ticket_id: int) -> tuple[int | None, str | None, int | None]:
        ticket = self.sandbox.store.get(ticket_id)
        group, assignee = ticket.get("group_id"), ticket.get("assignee_id")
        return (
            None if group is None else int(group),
            ticket["priority"],
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
        for group_id, group in directory.groups.items():
            if group["name"] == name and not group["deleted"]:
                return int(group_id)
        return int(directory.create_group({"name": name}, self.url)["id"])

    def delete_group(self, group_id: int) -> None:
        if not self.sandbox.store.directory.delete_group(group_id):
            raise KeyError(f"no group {group_id}")

    def group_of(self, ticket_id: int) -> int | None:
        group_id = self.sandbox.store.get(ticket_id).get("group_id")
        return None if group_id is None else int(group_id)

    def held(self, ticket_id: int) -> dict[str, Any]:
        store = self.sandbox.store
        return {"ticket": dict(store.get(ticket_id)), "comments": store.comments(ticket_id)}

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

    def agent_solves(self, ticket_id: int, *, tags: Sequence[str] | None = None) -> None:
        change: dict[str, Any] = {"status": "solved"}
        if tags is not None:
            change["tags"] = list(tags)
        self.sandbox.store.update(ticket_id, change)

    def agent_edit(self, ticket_id: int, tag: str, priority: str) -> None:
        self.sandbox.store.update(ticket_id, {"additional_tags": [tag], "priority": priority})

    def requester_says(self, ticket_id: int, text: str) -> None:
        """A public comment by the ticket's requester (an event in the ticket event export;
        it is more than a minute old, and exported, once the sandbox's clock moved on)."""
        author = int(self.sandbox.store.get(ticket_id)["requester_id"])
        self._comment(ticket_id, {"body": text, "public": True, "author_id": author})

    def agent_replies(self, ticket_id: int, text: str, *, author: int = HUMAN_AGENT_ID) -> None:
        self._comment(ticket_id, {"body": text, "public": True, "author_id": author})

    def customer_tags(self, ticket_id: int, tag: str) -> bool:
        """The requester's comment, and a trigger acting on it adds ``tag``: Zendesk's audit
        names the requester as the update's author."""
        author = int(self.sandbox.store.get(ticket_id)["requester_id"])
        comment = {"body": "I approve it myself.", "public": True, "author_id": author}
        self.sandbox.store.update(ticket_id, {"additional_tags": [tag], "comment": comment})
        return True

    def agent_notes(self, ticket_id: int, text: str) -> None:
        self._comment(ticket_id, {"body": text, "public": False, "author_id": HUMAN_AGENT_ID})

    def customer_rates(self, ticket_id: int, score: str) -> None:
        store = self.sandbox.store
        store.rate(ticket_id, score, reopens=store.reopens.get(ticket_id, 0))

    def import_solved(self, tickets: list[SolvedTicket]) -> list[int]:
        """Solved tickets through the Ticket Import API, then their rating and reopens."""
        ids = []
        store = self.sandbox.store
        for n, t in enumerate(tickets):
            fields = {
                "subject": t.subject,
                "description": t.body,
                "status": "solved",
                "requester": {"email": f"solved{n}@example.com"},
            }
            ticket_id = int(store.import_ticket(fields)["id"])
            store.rate(ticket_id, t.satisfaction, reopens=t.reopens)
            ids.append(ticket_id)
        return ids

    def import_answered(
        self, ticket: NewTicket, replies: Sequence[tuple[str, float]], solved_at: float
    ) -> int:
        """Through the Ticket Import API's own handling (``imports/tickets``)."""
        asked = min((moment for _, moment in replies), default=solved_at) - 3600
        requester: dict[str, Any] = {"email": ticket.sender or f"history{asked:.0f}@example.com"}
        if ticket.requester_name:
            requester["name"] = ticket.requester_name
        comments: list[dict[str, Any]] = [{"value": ticket.body, "created_at": iso(asked)}]
        comments += [
            {"value": text, "public": True, "author_id": HUMAN_AGENT_ID, "created_at": iso(at)}
            for text, at in replies
        ]
        made = self.sandbox.store.import_ticket(
            {
                "subject": ticket.subject,
                "requester": requester,
                "status": "solved",
                "created_at": iso(asked),
                "updated_at": iso(solved_at),
                "comments": comments,
            }
        )
        return int(made["id"])

    def _comment(self, ticket_id: int, comment: dict[str, Any]) -> None:
        self.sandbox.store.update(ticket_id, {"comment": comment})


@contextmanager
def serve(
    *,
    seed: int | None = 5,
    unlimited: bool = False,
    job_delay_ms: float = 0,
    clock: Callable[[], float] = time.time,
) -> Iterator[ZendeskDesk]:
    """A fresh Zendesk sandbox on port 0 as a desk (the options: ``desks.serve_desk``)."""
    config = SandboxConfig(seed=seed, job_delay_ms=job_delay_ms, clock=clock)
    if unlimited:
        config.plan = "high_volume"
        config.update_limit_per_min = config.incremental_limit_per_min = UNLIMITED
        config.max_queued_jobs = 1000
    with serve_in_thread(config) as zendesk:
        if clock is not time.time:
            # Tickets' stamps on the same clock as the rest, as Freshdesk's sandbox does.
            zendesk.store.use_clock(clock)
        yield ZendeskDesk(zendesk)
