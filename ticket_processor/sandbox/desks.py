"""One harness for both helpdesk sandboxes: a ``Desk`` is a running sandbox that the fault and
crash tests, the crash campaign and the benchmarks drive the same way, whichever helpdesk it
imitates (here, beside the sandboxes, so scripts need not reach into the tests).

A desk creates tickets (each with its own requester), reads one back in ticketbot's words (tags,
priority, ticketbot's notes), adds messages as people would (the requester's public reply, an
agent's public reply, an agent's internal note), tells its request counts and history, and
injects faults: scripted ``faults`` items in the
sandbox's own ``"503 KEY"`` form for the endpoint keys in ``ops`` (``list``, ``write`` ... as
each helpdesk spells them), a 429 storm, refused updates and an agent's concurrent edit.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from ticket_processor.helpdesks.freshdesk.records import (
    PRIORITY_FROM_FRESHDESK,
    PRIORITY_TO_FRESHDESK,
)
from ticket_processor.helpdesks.freshdesk.sandbox.config import FreshdeskConfig, PlanLimits
from ticket_processor.helpdesks.freshdesk.sandbox.records import SOURCE_REPLY
from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk
from ticket_processor.helpdesks.freshdesk.sandbox.serving import serve_in_thread as serve_freshdesk
from ticket_processor.helpdesks.freshdesk.sandbox.store import SANDBOX_AGENT_ID
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread as serve_zendesk
from ticket_processor.models import Priority
from ticket_processor.tags import NOTE_HEADER

KINDS = ("zendesk", "freshdesk")


@dataclass(frozen=True)
class NewTicket:
    subject: str
    body: str
    tags: tuple[str, ...] = ()
    priority: str | None = None  # ticketbot's words: low, normal, high, urgent
    status: str = "open"  # ticketbot's words: new, open, pending


@dataclass(frozen=True)
class Snapshot:
    """A ticket as ticketbot would name it: tags, priority, and ticketbot's own notes."""

    tags: list[str]
    priority: str | None
    notes: list[str]

    @property
    def pair(self) -> tuple[list[str], str | None]:
        return self.tags, self.priority


class Desk(Protocol):
    kind: str
    invalid_word: str  # what the helpdesk's refusal of an update says

    @property
    def ops(self) -> dict[str, str]:
        """Operation -> the sandbox's endpoint key; every run calls each."""
        ...

    @property
    def sandbox(self) -> RunningSandbox | RunningFreshdesk:
        """The running sandbox itself, for what only one helpdesk has."""
        ...

    @property
    def url(self) -> str: ...
    def env(self) -> dict[str, str]: ...
    def create(self, tickets: list[NewTicket]) -> list[int]: ...
    def snapshot(self, ticket_id: int) -> Snapshot: ...
    def ids(self) -> list[int]: ...
    def stats(self) -> dict[str, Any]: ...
    def reset_stats(self) -> None: ...
    def history(self) -> list[tuple[float, str, int | None]]: ...
    def faults(self) -> list[str]: ...
    def start_storm(self, seconds: float) -> None: ...
    def refuse_updates(self, ticket_ids: list[int]) -> None: ...
    def agent_edit(self, ticket_id: int, tag: str, priority: str) -> None: ...
    def requester_says(self, ticket_id: int, text: str) -> None: ...
    def agent_replies(self, ticket_id: int, text: str) -> None: ...
    def agent_notes(self, ticket_id: int, text: str) -> None: ...


class ZendeskDesk:
    kind = "zendesk"

    @property
    def ops(self) -> dict[str, str]:
        return {
            "list": "GET /api/v2/incremental/tickets/cursor",
            "write": "PUT /api/v2/tickets/update_many",
            "job": "GET /api/v2/job_statuses/{job_id}",
        }

    invalid_word = "RecordInvalid"

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

    def create(self, tickets: list[NewTicket]) -> list[int]:
        ids = []
        for n, t in enumerate(tickets):
            fields: dict[str, Any] = {
                "subject": t.subject,
                "comment": {"body": t.body},
                "status": t.status,
                "requester": {"email": f"customer{n}@example.com"},
            }
            if t.tags:
                fields["tags"] = list(t.tags)
            if t.priority:
                fields["priority"] = t.priority
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

    def ids(self) -> list[int]:
        return [int(t["id"]) for t in self.sandbox.store.all_tickets()]

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

    def agent_edit(self, ticket_id: int, tag: str, priority: str) -> None:
        self.sandbox.store.update(ticket_id, {"additional_tags": [tag], "priority": priority})

    def requester_says(self, ticket_id: int, text: str) -> None:
        """A public comment by the ticket's requester (an event in the ticket event export;
        it is more than a minute old, and exported, once the sandbox's clock moved on)."""
        author = int(self.sandbox.store.get(ticket_id)["requester_id"])
        self._comment(ticket_id, {"body": text, "public": True, "author_id": author})

    def agent_replies(self, ticket_id: int, text: str) -> None:
        self._comment(ticket_id, {"body": text, "public": True})

    def agent_notes(self, ticket_id: int, text: str) -> None:
        self._comment(ticket_id, {"body": text, "public": False})

    def _comment(self, ticket_id: int, comment: dict[str, Any]) -> None:
        self.sandbox.store.update(ticket_id, {"comment": comment})


class FreshdeskDesk:
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

    def create(self, tickets: list[NewTicket]) -> list[int]:
        ids = []
        for n, t in enumerate(tickets):
            fields: dict[str, Any] = {
                "subject": t.subject,
                "description": f"<p>{html.escape(t.body)}</p>",
                "email": f"customer{n}@example.com",
                "status": 3 if t.status == "pending" else 2,  # no "new" in Freshdesk
                # Every Freshdesk ticket has a priority; 1 (low) is its default.
                "priority": PRIORITY_TO_FRESHDESK[Priority(t.priority)] if t.priority else 1,
            }
            if t.tags:
                fields["tags"] = list(t.tags)
            ids.append(int(self.sandbox.store.create(fields)["id"]))
        return ids

    def snapshot(self, ticket_id: int) -> Snapshot:
        ticket = self.sandbox.store.find(ticket_id)
        notes = [
            str(c.get("body_text") or c.get("body"))
            for c in self.sandbox.store.conversations(ticket_id)
            if c.get("private") and NOTE_HEADER in str(c.get("body_text") or c.get("body"))
        ]
        return Snapshot(list(ticket["tags"]), PRIORITY_FROM_FRESHDESK[ticket["priority"]], notes)

    def ids(self) -> list[int]:
        return [int(t["id"]) for t in self.sandbox.store.all_tickets()]

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

    def agent_replies(self, ticket_id: int, text: str) -> None:
        body = f"<p>{html.escape(text)}</p>"
        self.sandbox.store.add_note(
            ticket_id, body, private=False, user_id=SANDBOX_AGENT_ID, source=SOURCE_REPLY
        )

    def agent_notes(self, ticket_id: int, text: str) -> None:
        body = f"<p>{html.escape(text)}</p>"
        self.sandbox.store.add_note(ticket_id, body, private=True, user_id=SANDBOX_AGENT_ID)

    def agent_edit(self, ticket_id: int, tag: str, priority: str) -> None:
        ticket = self.sandbox.store.find(ticket_id)
        self.sandbox.store.update(
            ticket_id,
            {
                "tags": [*ticket["tags"], tag],
                "priority": PRIORITY_TO_FRESHDESK[Priority(priority)],
            },
        )


UNLIMITED = 100_000


@contextmanager
def serve_desk(
    kind: str,
    *,
    seed: int | None = 5,
    unlimited: bool = False,
    job_delay_ms: float = 0,
    clock: Callable[[], float] = time.time,
) -> Iterator[Desk]:
    """A fresh sandbox of ``kind`` on port 0, as a ``Desk``; ``unlimited``: rate limits out of
    the way (the crash test is about crashes, not throttling); ``clock``: the sandbox's time
    (rate windows, timestamps), a fake one in tests that move time by hand."""
    if kind == "zendesk":
        config = SandboxConfig(seed=seed, job_delay_ms=job_delay_ms, clock=clock)
        if unlimited:
            config.plan = "high_volume"
            config.update_limit_per_min = config.incremental_limit_per_min = UNLIMITED
            config.max_queued_jobs = 1000
        with serve_zendesk(config) as zendesk:
            if clock is not time.time:
                # Tickets' stamps on the same clock as the rest, as Freshdesk's sandbox does.
                zendesk.store.use_clock(clock)
            yield ZendeskDesk(zendesk)
    elif kind == "freshdesk":
        limits = PlanLimits(UNLIMITED, UNLIMITED, UNLIMITED) if unlimited else None
        freshdesk_config = FreshdeskConfig(seed=seed, limits_override=limits, clock=clock)
        with serve_freshdesk(freshdesk_config) as freshdesk:
            yield FreshdeskDesk(freshdesk)
    else:
        raise ValueError(f"no desk {kind!r}")
