"""The test desks: one harness for every helpdesk's sandbox. A ``Desk`` is a running sandbox
that the fault and crash tests, the crash campaign and the benchmarks drive the same way,
whichever helpdesk it imitates (here, beside the sandboxes, so scripts need not reach into the
tests).

A desk creates tickets (each with its own requester), reads one back in ticketbot's words (tags,
priority, ticketbot's notes; its links and routing as the incidents pass leaves them), routes
and links tickets as an agent would, adds messages as people would (the requester's public reply, an
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
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, cast, runtime_checkable


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


@dataclass(frozen=True)
class Linked:
    """A ticket as the incidents pass reads and leaves it (``Desk.linked``): its tags (sorted),
    its place in a link in the helpdesk's own word (``link``: ``problem``/``incident`` a
    Zendesk ticket's type, ``tracker``/``related`` a Freshdesk association, ``parent``/``child``
    a ServiceNow parent record and its reports; None: in no link), the ticket it is a report
    under (``group``), every internal note on it, anyone's, oldest first, its status as the
    helpdesk stores it, its priority in ticketbot's words, its requester's id as ticketbot
    knows it and its description (its first message: a group ticket's is what its opener
    wrote)."""

    tags: list[str]
    link: str | None
    group: int | None
    notes: list[str]
    status: str
    priority: str | None
    requester: int
    description: str

    @property
    def linked(self) -> bool:
        """In a link of any kind (a report, or the ticket reports are linked under)."""
        return self.link is not None or self.group is not None


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
    def customer_rates(self, ticket_id: int, score: str) -> None:
        """The requester answers the helpdesk's satisfaction survey, ``good`` or ``bad``:
        Zendesk's satisfaction rating, Freshdesk's survey answer (103 / -103), ServiceNow's
        completed survey instance with its answer (5 / 1)."""

    def customer_tags(self, ticket_id: int, tag: str) -> bool:
        """The requester adds ``tag`` through a channel of theirs that allows it (Zendesk: a
        trigger on their comment; ServiceNow: the portal's tags); False, nothing done, where
        the helpdesk gives a customer no way to tag a ticket (Freshdesk)."""
        ...

    def import_solved(self, tickets: list[SolvedTicket]) -> list[int]: ...
    def linked(self, ticket_id: int) -> Linked:
        """The ticket as the incidents pass reads and leaves it."""
        ...

    def agent_links(self, ticket_id: int) -> None:
        """The human agent links the ticket their own way before ticketbot does (Zendesk: its
        type set to question; Freshdesk: a tracker of theirs with it; ServiceNow: a child of an
        incident of theirs): a link the incidents pass must leave alone."""
        ...

    def merged(self, source: int, target: int) -> bool:
        """Whether the helpdesk shows ``source`` merged into ``target``: Zendesk and Freshdesk
        close the source (their merge); ServiceNow, which has no merge, makes it the target's
        child."""
        ...

    def agent_in(self, groups: Sequence[int]) -> int:
        """A new agent, a member of each of these groups; the id ticketbot knows them by."""
        ...

    def agent_routes(self, ticket_id: int, *, group: int | None = None,
                     priority: str | None = None, assignee: int | None = None) -> None:  # fmt: skip
        """The human agent sets what is given of the ticket's group, priority (ticketbot's
        words) and assignee."""
        ...

    def field_audience(self, key: str, *, shown: bool, editable: bool) -> None:
        """The admin says whether customers see the custom field ``key`` (its key in a
        ticket's ``custom_fields``) and may edit it: Zendesk's "Visible" / "Editable for end
        users", Freshdesk's "Displayed to customers" / "Customers can edit", ServiceNow's
        field-level ACLs on the column (a read, a write ACL requiring itil unless they may)."""
        ...

    def routing(self, ticket_id: int) -> tuple[int | None, str | None, int | None]:
        """The ticket's group, priority (ticketbot's words) and assignee."""
        ...

    def import_answered(
        self, ticket: NewTicket, replies: Sequence[tuple[str, float]], solved_at: float
    ) -> int:
        """A solved ticket of the team's history, dated: the requester's message an hour
        before the first reply, each (text, moment) an agent's public reply, solved (its
        ``updated_at``) at ``solved_at``; made through the helpdesk's import path."""
        ...


@runtime_checkable
class SlaDesk(Protocol):
    """A desk whose sandbox serves its helpdesk's service levels (every registered kind's): what
    the helpdesk's own SLA engine would have set, written in its shapes. ``targets``: metric
    (``first_reply``, ``next_reply``, ``resolution``) -> ticketbot's priority -> minutes;
    ``weekly``: (weekday from Monday 0, start minute, end minute) in ``time_zone`` (IANA);
    ``holidays``: ISO dates; ``stage``: active, paused, achieved or breached."""

    def sla_policy(
        self, targets: Mapping[str, Mapping[str, float]], *, business_hours: bool = False
    ) -> None: ...

    def sla_schedule(
        self, time_zone: str, weekly: Sequence[tuple[int, int, int]], holidays: Sequence[str] = ()
    ) -> None: ...

    def sla_clock(
        self, ticket_id: int, *, metric: str, breach_at: float | None, stage: str = "active"
    ) -> None: ...

    def sla_history(
        self,
        group_id: int | None,
        asked_at: float,
        reply_minutes: float | None,
        *,
        due_at: float | None = None,
    ) -> int:
        """A solved ticket of the group's history, asked at ``asked_at`` and first answered
        ``reply_minutes`` later (None: never answered); ``due_at``: when its first-reply
        target was due, as the helpdesk's SLA engine set it (met or missed by the reply)."""
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


class StaffedDesk(Desk, Protocol):
    """A desk with people who answer (every kind's desk is one): the skills it routes by,
    agents in a group with skills, availability and capacity, an organisation with a tier, and
    agents' own notes and public replies, in ticketbot's words."""

    def define_skills(self, languages: Sequence[str], others: Sequence[str]) -> None:
        """The skills the helpdesk routes by: each language by its English name (a routing
        attribute ``Language``'s values, or skills named after languages) and the others."""
        ...

    def hire(
        self,
        name: str,
        group_id: int,
        skills: Sequence[str],
        *,
        available: bool = True,
        capacity: int | None = None,
    ) -> int:
        """An agent in the group with these skills (their id); ``capacity`` where the helpdesk
        keeps one (else the team's setting applies)."""
        ...

    def set_away(self, agent_id: int, away: bool) -> None: ...
    def keep_no_availability(self) -> None:
        """The helpdesk keeps no agent availability (Zendesk without omnichannel routing,
        agents without Freshdesk's ``available``, ServiceNow without AWA presence)."""
        ...

    def assignee_of(self, ticket_id: int) -> int | None: ...
    def put_in_group(self, ticket_id: int, group_id: int) -> None:
        """The ticket lands in the group (a trigger, or a person), with no assignee."""
        ...

    def person_assigns(self, ticket_id: int, agent_id: int, group_id: int) -> None: ...
    def skills_on(self, ticket_id: int) -> list[str]:
        """The skills set on the ticket for the helpdesk's own routing."""
        ...

    def organisation(self, name: str, tier: str) -> int:
        """A customer organisation whose ``tier`` field (Zendesk, Freshdesk) or ``u_tier``
        column (ServiceNow) holds ``tier``: the id a ``NewTicket``'s ``organization`` takes."""
        ...

    def note_by(self, ticket_id: int, agent_id: int, text: str) -> None:
        """An internal note written by agent ``agent_id``."""
        ...

    def public_replies(self, ticket_id: int) -> list[tuple[int | None, str]]:
        """The ticket's public messages after its first: (author, text), oldest first."""
        ...

    def internal_notes(self, ticket_id: int) -> list[str]:
        """Every internal note's text on the ticket, oldest first (ticketbot's and people's)."""
        ...
