"""The test desks: one harness for every helpdesk's sandbox. A ``Desk`` is a running sandbox
that the fault and crash tests, the crash campaign and the benchmarks drive the same way,
whichever helpdesk it imitates (here, beside the sandboxes, so scripts need not reach into the
tests).

A desk creates tickets (each with its own requester), reads one back in ticketbot's words (tags,
priority, ticketbot's notes), adds messages as people would (the requester's public reply, an
agent's public reply, an agent's internal note), tells its request counts and history, and
injects faults: scripted ``faults`` items in the
sandbox's own ``"503 KEY"`` form for the endpoint keys in ``ops`` (``list``, ``write`` ... as
each helpdesk spells them), a 429 storm, refused updates and an agent's concurrent edit.

This module owns what every desk shares: the ``Desk`` protocol, the tickets it is given and
reads back, and ``serve_desk``. Each helpdesk's desk lives in its own sandbox folder
(``helpdesks/<kind>/sandbox/desk.py``) and its kind's descriptor names it by dotted path, so
this kit, below the adapters, names no helpdesk: the list of desks is the helpdesks' registry.
"""

from __future__ import annotations

import pkgutil
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, cast


@dataclass(frozen=True)
class NewTicket:
    subject: str
    body: str
    tags: tuple[str, ...] = ()
    priority: str | None = None  # ticketbot's words: low, normal, high, urgent
    status: str = "open"  # ticketbot's words: new, open, pending
    requester_name: str | None = None  # the customer's name (else only an email)
    cc: tuple[tuple[str, str], ...] = ()  # (name, email) of each person copied in
    agent: tuple[str, str] | None = None  # (name, email): an agent made and assigned to it
    # A ticket that came by mail from this address (else made through the API by a customer
    # with a generated address): what the spam gate's sender cues read.
    sender: str | None = None
    # The requester's own locale in the helpdesk (Zendesk's user ``locale``, Freshdesk's
    # contact ``language``); None: the account's default.
    locale: str | None = None
    # The requester's organisation (Zendesk) or company (Freshdesk) by id: a known customer.
    organization: int | None = None


@dataclass(frozen=True)
class SolvedTicket:
    """A solved ticket with how it ended (``Desk.import_solved``): the customer's rating
    (``good``, ``bad``, ``offered``, ``unoffered``), its reopens (Zendesk's metrics) and
    whether the helpdesk escalated it (Freshdesk's ``is_escalated``)."""

    subject: str
    body: str
    satisfaction: str = "unoffered"
    reopens: int = 0
    escalated: bool = False


@dataclass(frozen=True)
class ListedTicket:
    """A ticket as the desk's list shows it: its id, its subject and who asked it (the
    requester's id in the helpdesk, as text: Zendesk's and Freshdesk's ints, a sys_id)."""

    id: int
    subject: str
    requester: str


@dataclass(frozen=True)
class Snapshot:
    """A ticket as ticketbot would name it: tags, priority, and ticketbot's own notes."""

    tags: list[str]
    priority: str | None
    notes: list[str]

    @property
    def pair(self) -> tuple[list[str], str | None]:
        return self.tags, self.priority


# The agent whose replies and notes a desk writes (``agent_replies``, ``agent_notes``): a
# person, not the API user ticketbot signs in as (id 1 on both sandboxes), as on a real desk.
HUMAN_AGENT_ID = 2


class Desk(Protocol):
    kind: str
    invalid_word: str  # what the helpdesk's refusal of an update says
    # A fresh desk's first ticket id (ServiceNow's first incident is INC0010001).
    first_id: int
    # Which of a ``SolvedTicket``'s bad outcomes the helpdesk keeps ("rating", "reopen",
    # "escalation"), the first the one a test gives a ticket whose outcome it cannot keep.
    outcomes: tuple[str, ...]

    @property
    def ops(self) -> dict[str, str]:
        """Operation -> the sandbox's endpoint key; every run calls each."""
        ...

    @property
    def sandbox(self) -> Any:
        """The running sandbox itself, for what only one helpdesk has (its type is the kind's:
        a test that reaches it knows which helpdesk it drives)."""
        ...

    @property
    def url(self) -> str: ...
    def env(self) -> dict[str, str]: ...
    def api_auth(self) -> tuple[str, str]:
        """The basic-auth pair the sandbox's API takes for the account ``env`` names, for a
        test that calls that API as ticketbot's account."""
        ...

    def create(self, tickets: list[NewTicket]) -> list[int]: ...
    def snapshot(self, ticket_id: int) -> Snapshot: ...
    def ids(self) -> list[int]: ...
    def asked(self) -> list[ListedTicket]:
        """Every ticket on the desk, in the order the desk made them."""
        ...

    def group(self, name: str) -> int:
        """The id ticketbot knows the helpdesk group ``name`` by (a team of agents that
        routing names), the group made if the helpdesk has none of that name."""
        ...

    def delete_group(self, group_id: int) -> None:
        """An admin deletes the group (Zendesk marks it deleted, Freshdesk and ServiceNow
        remove it); the tickets in it keep the id."""
        ...

    def group_of(self, ticket_id: int) -> int | None:
        """The id of the group the ticket is assigned to (None: no group)."""
        ...

    def held(self, ticket_id: int) -> dict[str, Any]:
        """Everything the sandbox holds of the ticket, as it stores it (every field, every
        message, its tags): what a test compares to show that nothing was written."""
        ...

    def stats(self) -> dict[str, Any]: ...
    def reset_stats(self) -> None: ...
    def history(self) -> list[tuple[float, str, int | None]]: ...
    def faults(self) -> list[str]: ...
    def start_storm(self, seconds: float) -> None: ...
    def refuse_updates(self, ticket_ids: list[int]) -> None: ...
    def agent_edit(self, ticket_id: int, tag: str, priority: str) -> None: ...
    def agent_solves(self, ticket_id: int, *, tags: Sequence[str] | None = None) -> None:
        """The human agent solves the ticket (Zendesk's solved, Freshdesk's resolved,
        ServiceNow's Resolved state); ``tags``: its tags set to exactly these as well (an agent
        correcting ticketbot's labels as they close it)."""
        ...

    def requester_says(self, ticket_id: int, text: str) -> None: ...
    def agent_replies(self, ticket_id: int, text: str, *, author: int = HUMAN_AGENT_ID) -> None:
        """A public reply by agent ``author`` (ticketbot's own API user is 1 on both sandboxes:
        an agent who shares that login)."""
        ...

    def agent_notes(self, ticket_id: int, text: str) -> None: ...
    def customer_tags(self, ticket_id: int, tag: str) -> bool:
        """The requester adds ``tag`` through a channel of theirs that allows it (Zendesk: a
        trigger on their comment; ServiceNow: the portal's tags); False, nothing done, where
        the helpdesk gives a customer no way to tag a ticket (Freshdesk)."""
        ...

    def import_solved(self, tickets: list[SolvedTicket]) -> list[int]: ...
    def import_answered(
        self, ticket: NewTicket, replies: Sequence[tuple[str, float]], solved_at: float
    ) -> int:
        """A solved ticket of the team's history, dated: the requester's message an hour
        before the first reply, each (text, moment) an agent's public reply, solved (its
        ``updated_at``) at ``solved_at``; made through the helpdesk's import path."""
        ...


# Rate limits a desk served ``unlimited`` gets: far beyond what any test or benchmark sends.
UNLIMITED = 100_000


class DeskServer(Protocol):
    """What a kind's desk module offers (``helpdesks/<kind>/sandbox/desk.py:serve``): a fresh
    sandbox on port 0, as a ``Desk``, closed on leaving the context."""

    def __call__(
        self,
        *,
        seed: int | None = 5,
        unlimited: bool = False,
        job_delay_ms: float = 0,
        clock: Callable[[], float] = time.time,
    ) -> AbstractContextManager[Desk]: ...


class DeskKind(Protocol):
    """A helpdesk kind as the desks see it (the registry's ``HelpdeskKind`` is one): ``desk``
    names its ``DeskServer`` as ``module:function``, imported only when a desk is served."""

    @property
    def desk(self) -> str: ...


def serve_desk(
    kind: DeskKind,
    *,
    seed: int | None = 5,
    unlimited: bool = False,
    job_delay_ms: float = 0,
    clock: Callable[[], float] = time.time,
) -> AbstractContextManager[Desk]:
    """A fresh sandbox of ``kind`` on port 0, as a ``Desk``; ``unlimited``: rate limits out of
    the way (the crash test is about crashes, not throttling); ``job_delay_ms``: how long a
    background job takes where the helpdesk has them; ``clock``: the sandbox's time (rate
    windows, timestamps), a fake one in tests that move time by hand."""
    server = cast(DeskServer, pkgutil.resolve_name(kind.desk))
    return server(seed=seed, unlimited=unlimited, job_delay_ms=job_delay_ms, clock=clock)
