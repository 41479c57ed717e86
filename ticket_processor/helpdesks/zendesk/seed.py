"""``ticketbot seed``: create realistic tickets in the configured Zendesk through ``create_many``
(Freshdesk: ``seed_freshdesk.py``, one create a ticket).

Sources: the sample tickets the project ships (``samples/tickets.jsonl``, cycled with a varied
suffix past their number so every ticket stays distinct) or a JSON-lines file in the format of
``tickets-dev.jsonl`` (``subject``, ``description``; optional ``tags``, ``priority``). Tickets go
in batches of 100, one job at a time, each job waited for, so a seed never floods Zendesk's queue
(at most 30 queued jobs an account). Pure parts (reading, shaping) are apart from the one
function that talks to Zendesk, which only does so through ``ZendeskClient``.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ...errors import ConfigError
from ...models import Priority
from ...ops.scrub import display_url
from ...settings import Settings
from .client import BATCH_LIMIT, JobResult, JobStatus, ZendeskClient
from .guide import guide_api
from .help_centre import seed_help_centre

DEFAULT_COUNT = 50
IN_FLIGHT_JOBS = 4

# The teams the sample routes (``sample_routes.toml``) send tickets to: group -> its agents.
SAMPLE_GROUPS: dict[str, tuple[tuple[str, str], ...]] = {
    "Billing": (("Bea Biller", "bea.biller@example.com"),),
    "Security": (("Sam Secure", "sam.secure@example.com"),),
    "Technical": (("Tess Tech", "tess.tech@example.com"), ("Lee Lead", "lee.lead@example.com")),
    "Shipping": (("Sid Shipper", "sid.shipper@example.com"), ("Lee Lead", "lee.lead@example.com")),
}

_PRIORITIES = frozenset(p.value for p in Priority)


@dataclass(frozen=True)
class SeedTicket:
    """One ticket to create: what a requester wrote plus what agents already set."""

    subject: str
    description: str
    tags: tuple[str, ...] = ()
    priority: str | None = None

    def to_zendesk(self) -> dict[str, Any]:
        """The ``create_many`` ticket object: status new, the body as the first comment."""
        ticket: dict[str, Any] = {
            "comment": {"body": self.description, "public": True},
            "status": "new",
        }
        if self.subject:
            ticket["subject"] = self.subject
        if self.tags:
            ticket["tags"] = list(self.tags)
        if self.priority:
            ticket["priority"] = self.priority
        return ticket


@dataclass(frozen=True)
class SeedFile:
    """Tickets read from a file, and the lines that were skipped (``line N: why``)."""

    tickets: list[SeedTicket]
    problems: list[str]


@dataclass
class SeedResult:
    created_ids: list[int] = field(default_factory=list)
    failed: list[tuple[SeedTicket, str]] = field(default_factory=list)

    @property
    def id_range(self) -> tuple[int, int] | None:
        return (min(self.created_ids), max(self.created_ids)) if self.created_ids else None


def _ticket_from(data: dict[str, Any]) -> SeedTicket:
    """A ``SeedTicket`` from one JSON object; ``ValueError`` says what is wrong with it."""
    subject = data.get("subject", "")
    description = data.get("description", "")
    if subject is None:
        subject = ""
    if not isinstance(subject, str) or not isinstance(description, str):
        raise ValueError("subject and description must be strings")
    if not subject.strip() and not description.strip():
        raise ValueError("needs a subject or a description")
    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValueError("tags must be a list of strings")
    priority = data.get("priority")
    if priority is not None and priority not in _PRIORITIES:
        raise ValueError(f"priority must be one of {', '.join(sorted(_PRIORITIES))}")
    return SeedTicket(subject.strip(), description, tuple(tags), priority)


def parse_lines(lines: Iterable[str]) -> SeedFile:
    """Parse JSON lines; a bad line is reported with its number and skipped."""
    tickets: list[SeedTicket] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not JSON ({exc.msg})")
            continue
        if not isinstance(data, dict):
            problems.append(f"line {number}: not a JSON object")
            continue
        try:
            tickets.append(_ticket_from(data))
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
    return SeedFile(tickets, problems)


def read_file(path: Path) -> SeedFile:
    """Tickets from a JSON-lines file; ``ConfigError`` when it cannot be read at all."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--from: cannot read {path}: {exc}") from None
    return parse_lines(text.splitlines())


def load_samples() -> list[SeedTicket]:
    """The sample tickets shipped with the package (the ``expected`` labels left out)."""
    text = (resources.files("ticket_processor") / "samples" / "tickets.jsonl").read_text("utf-8")
    found = parse_lines(text.splitlines())
    if found.problems:  # a packaging bug, not a user error
        raise RuntimeError(f"bad shipped samples: {'; '.join(found.problems)}")
    return found.tickets


def cycle(samples: Sequence[SeedTicket], count: int) -> list[SeedTicket]:
    """``count`` tickets from ``samples``; past the first round each gets a distinct suffix."""
    if not samples:
        return []
    out: list[SeedTicket] = []
    for n in range(count):
        base = samples[n % len(samples)]
        round_ = n // len(samples)
        if round_ == 0:
            out.append(base)
            continue
        # Same story from another customer: a follow-up number in the subject and a reference
        # in the body keep subject and text distinct (an empty body stays empty).
        reference = f"\n\nReference: SR-{n + 1:05d}" if base.description else ""
        out.append(
            SeedTicket(
                f"{base.subject} (#{round_ + 1})",
                base.description + reference,
                base.tags,
                base.priority,
            )
        )
    return out


def create_tickets(
    client: ZendeskClient,
    tickets: Sequence[SeedTicket],
    *,
    batch_size: int = BATCH_LIMIT,
    in_flight: int = IN_FLIGHT_JOBS,
    job_timeout: float = 300.0,
    on_progress: Callable[[int], None] | None = None,
) -> SeedResult:
    """Create ``tickets`` through ``create_many`` jobs; ``on_progress(n)`` is told how many
    tickets each finished batch held.

    Up to ``in_flight`` jobs run at once (Zendesk queues at most 30 an account; we stay far
    below), so a large seed is not a chain of job-polling pauses.
    """
    batch_size = max(1, min(batch_size, BATCH_LIMIT))
    result = SeedResult()
    pending: deque[tuple[Sequence[SeedTicket], JobStatus]] = deque()

    def finish_oldest() -> None:
        batch, job = pending.popleft()
        # Look once before waiting: while later batches went out this job has likely finished.
        done = client.wait_for_job(client.job_status(job.id), timeout=job_timeout)
        _collect(result, batch, done.status, done.results)
        if on_progress is not None:
            on_progress(len(batch))

    for start in range(0, len(tickets), batch_size):
        batch = tickets[start : start + batch_size]
        pending.append((batch, client.create_many([t.to_zendesk() for t in batch])))
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


def run_seed(
    settings: Settings,
    *,
    count: int | None,
    source: Path | None,
    console: Console,
    client: ZendeskClient | None = None,
) -> SeedResult:
    """The ``seed`` command: pick the tickets, create them with a progress bar, say what
    happened. Raises ``ConfigError`` when there is nothing to create."""
    if source is not None:
        found = read_file(source)
        for problem in found.problems:
            console.print(f"[yellow]skipped[/] {escape(source.name)} {escape(problem)}")
        tickets = found.tickets[:count] if count is not None else found.tickets
        if not tickets:
            raise ConfigError(f"--from: {source} holds no usable ticket")
    else:
        tickets = cycle(load_samples(), count if count is not None else DEFAULT_COUNT)
    if settings.helpdesk == "freshdesk":
        from ..freshdesk.seed import seed_freshdesk

        result, where = seed_freshdesk(settings, tickets, console)
    else:
        zendesk = client if client is not None else ZendeskClient.from_settings(settings)
        try:
            result = _create_with_progress(zendesk, tickets, console)
            if _own_sandbox(zendesk):
                made = create_directory(zendesk)
                console.print(f"Groups with agents for routing: {escape(', '.join(made))}.")
            if source is None and zendesk.sandbox_kind == "zendesk":
                # Only ticketbot's own sandbox gets the sample help centre: published
                # articles in a real one would be visible to customers.
                articles = seed_help_centre(guide_api(zendesk))
                if articles:
                    console.print(f"Created a sample help centre of {articles} articles.")
        finally:
            if client is None:
                zendesk.close()
        where = display_url(zendesk.base_url)  # never the user:password of ZENDESK_URL
    span = result.id_range
    if span is not None:
        console.print(
            f"Created {len(result.created_ids)} tickets in {escape(where)} "
            f"(ids {span[0]}-{span[1]})."
        )
    else:
        console.print(f"Created no ticket in {escape(where)}.")
    for ticket, reason in result.failed[:10]:
        # Subjects and reasons are ticket text: never let them act as rich markup.
        console.print(f"[red]failed:[/] {escape(repr(ticket.subject[:60]))}: {escape(reason)}")
    if len(result.failed) > 10:
        console.print(f"[red]... and {len(result.failed) - 10} more failed[/]")
    return result


def _create_with_progress(
    client: ZendeskClient, tickets: Sequence[SeedTicket], console: Console
) -> SeedResult:
    if not console.is_terminal:
        return create_tickets(client, tickets)
    with Progress(
        TextColumn("creating tickets"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("seed", total=len(tickets))
        return create_tickets(client, tickets, on_progress=lambda n: progress.advance(task, n))
