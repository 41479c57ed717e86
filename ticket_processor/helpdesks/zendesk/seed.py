"""Seeding Zendesk: sample tickets through ``create_many``, and in ticketbot's own sandbox the
sample groups with their agents and a help centre.

Tickets go in batches of 100, up to ``IN_FLIGHT_JOBS`` jobs at a time, each job waited for, so
a seed never floods Zendesk's queue (at most 30 queued jobs an account). What a ticket looks
like is pure (``to_zendesk``); the rest talks to Zendesk only through ``ZendeskClient``. The
tickets themselves and the ``seed`` command's flow are shared (``samples``, ``seeding``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from ...errors import AuthError, HelpdeskError
from ...models import Helpdesk
from ..sample_replies import sample_agent
from ..samples import (
    SAMPLE_GROUPS,
    SeedOutcome,
    SeedResult,
    SeedTicket,
    requester_email,
    requester_of,
    seed_key,
)
from .adapter import ZendeskHelpdesk
from .client import BATCH_LIMIT, ZendeskClient
from .guide import guide_api
from .help_centre import seed_help_centre
from .records import JobResult, JobStatus
from .seed_macros import seed_macros

IN_FLIGHT_JOBS = 4


def customer(position: int, ticket: SeedTicket | None = None) -> dict[str, str]:
    """The end user who asks the ``position``-th seeded ticket (from 1), as real tickets are
    asked: Zendesk creates the user on first sight of the email (``example.com`` is reserved,
    so no mail reaches anyone). Without a requester every ticket would be the API user's own,
    an admin's, and "an agent's reply triggers nothing" could not be tried on seeded tickets."""
    email = requester_of(position, ticket) if ticket is not None else requester_email(position)
    return {"name": f"Sample Customer {position}", "email": email}


def to_zendesk(
    ticket: SeedTicket,
    *,
    requester: dict[str, str] | None = None,
    external_id: str | None = None,
) -> dict[str, Any]:
    """The ``create_many`` ticket object: status new, the body as the first comment (written
    by ``requester``, an end user, when given); ``external_id``: what a later seed knows it by."""
    fields: dict[str, Any] = {
        "comment": {"body": ticket.description, "public": True},
        "status": "new",
    }
    if requester is not None:
        fields["requester"] = dict(requester)
    if external_id is not None:
        fields["external_id"] = external_id
    if ticket.subject:
        fields["subject"] = ticket.subject
    if ticket.tags:
        fields["tags"] = list(ticket.tags)
    if ticket.priority:
        fields["priority"] = ticket.priority
    return fields


def create_tickets(
    client: ZendeskClient,
    tickets: Sequence[SeedTicket],
    *,
    batch_size: int = BATCH_LIMIT,
    in_flight: int = IN_FLIGHT_JOBS,
    job_timeout: float = 300.0,
    on_progress: Callable[[int], None] | None = None,
) -> SeedResult:
    """Create the ``tickets`` an earlier seed did not (their external id, ``seed_key``, is not
    on any ticket) through ``create_many`` jobs; ``on_progress(n)`` is told how many tickets
    each finished batch held, the ones found already at once.

    Up to ``in_flight`` jobs run at once (Zendesk queues at most 30 an account; we stay far
    below), so a large seed is not a chain of job-polling pauses. A batch Zendesk refuses, or
    whose job cannot be followed, is reported failed and the rest go on: run again, the seed
    makes only what is missing.
    """
    batch_size = max(1, min(batch_size, BATCH_LIMIT))
    result = SeedResult()
    there = {t.get("external_id") for t in client.paged("/api/v2/tickets.json", "tickets")}
    wanted = [(n, t) for n, t in enumerate(tickets, start=1) if seed_key(n, t) not in there]
    result.existing = len(tickets) - len(wanted)
    if on_progress is not None and result.existing:
        on_progress(result.existing)
    pending: deque[tuple[Sequence[SeedTicket], JobStatus]] = deque()

    def finish_oldest() -> None:
        batch, job = pending.popleft()
        try:
            # Look once before waiting: while later batches went out this job has likely
            # finished.
            done = client.wait_for_job(client.job_status(job.id), timeout=job_timeout)
        except HelpdeskError as exc:
            if isinstance(exc, AuthError):
                raise
            result.failed += [(t, f"job {job.id} not followed: {exc}") for t in batch]
        else:
            _collect(result, batch, done.status, done.results)
        if on_progress is not None:
            on_progress(len(batch))

    for start in range(0, len(wanted), batch_size):
        chunk = wanted[start : start + batch_size]
        batch = [t for _, t in chunk]
        objects = [
            to_zendesk(t, requester=customer(n, t), external_id=seed_key(n, t)) for n, t in chunk
        ]
        try:
            pending.append((batch, client.create_many(objects)))
        except HelpdeskError as exc:
            if isinstance(exc, AuthError):
                raise
            result.failed += [(t, str(exc)) for t in batch]
            if on_progress is not None:
                on_progress(len(batch))
        if len(pending) >= max(1, in_flight):
            finish_oldest()
    while pending:
        finish_oldest()
    return result


def _collect(
    result: SeedResult, batch: Sequence[SeedTicket], status: str, results: Sequence[JobResult]
) -> None:
    by_index = {r.index: r for r in results if r.index is not None}
    for position, ticket in enumerate(batch):
        outcome = by_index.get(position)
        if outcome is None and position < len(results) and results[position].index is None:
            outcome = results[position]
        if outcome is not None and outcome.success and outcome.ticket_id is not None:
            result.created_ids.append(outcome.ticket_id)
        elif outcome is not None:
            result.failed.append((ticket, outcome.details or outcome.error or "failed"))
        else:
            result.failed.append((ticket, f"job {status} without a result for it"))


def create_directory(
    client: ZendeskClient, groups: dict[str, tuple[tuple[str, str], ...]] = SAMPLE_GROUPS
) -> dict[str, int]:
    """Create the sample groups, their agents and memberships (what exists is reused);
    returns group name -> id. Only for a sandbox: on a real account agents are paid seats."""

    def post(path: str, key: str, obj: dict[str, Any]) -> dict[str, Any]:
        # ZendeskClient has no public create for these yet; the transport is the one it uses.
        body = client._http.request("POST", path, json={key: obj}, replay_safe=False)
        created: dict[str, Any] = body[key]
        return created

    group_ids = {g["name"]: int(g["id"]) for g in client.paged("/api/v2/groups.json", "groups")}
    users = client.paged("/api/v2/users.json", "users", params={"role[]": ["agent", "admin"]})
    agent_ids = {u["email"]: int(u["id"]) for u in users}
    members = {
        (m["user_id"], m["group_id"])
        for m in client.paged("/api/v2/group_memberships.json", "group_memberships")
    }
    for group, agents in groups.items():
        if group not in group_ids:
            group_ids[group] = int(post("/api/v2/groups.json", "group", {"name": group})["id"])
        for name, email in agents:
            if email not in agent_ids:
                user = {"name": name, "email": email, "role": "agent"}
                agent_ids[email] = int(post("/api/v2/users.json", "user", user)["id"])
            pair = (agent_ids[email], group_ids[group])
            if pair not in members:
                link = {"user_id": pair[0], "group_id": pair[1]}
                post("/api/v2/group_memberships.json", "group_membership", link)
                members.add(pair)
    return group_ids


def _own_sandbox(client: ZendeskClient) -> bool:
    """ticketbot's sandbox (it says so in a header, and it only listens on this machine)."""
    host = urlsplit(client.base_url).hostname or ""
    return client.sandbox_kind == "zendesk" or host in ("127.0.0.1", "localhost", "::1")


def seed(
    helpdesk: Helpdesk,
    tickets: Sequence[SeedTicket],
    *,
    samples: bool,
    on_progress: Callable[[int], None] | None = None,
) -> SeedOutcome:
    """The registry's ``Seeder`` for Zendesk: the tickets; on this machine the sample groups
    (routing needs them); with ``samples``, in ticketbot's own sandbox, the help centre."""
    if not isinstance(helpdesk, ZendeskHelpdesk):  # TICKETBOT_HELPDESK decides: a bug
        raise TypeError("the Zendesk seed needs the Zendesk adapter")
    client = helpdesk.client
    outcome = SeedOutcome(create_tickets(client, tickets, on_progress=on_progress))
    if _own_sandbox(client):
        outcome.groups = create_directory(client)
    if samples and client.sandbox_kind == "zendesk":
        # Only ticketbot's own sandbox gets the sample help centre: published articles in a
        # real one would be visible to customers.
        outcome.articles = seed_help_centre(guide_api(client))
        outcome.said += seed_macros(client, sample_agent(helpdesk.agents())).lines()
    return outcome
