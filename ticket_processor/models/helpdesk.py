"""The helpdesk contract: the ``Helpdesk`` protocol, the only way the core speaks to a helpdesk,
and its value types.

The core (pipeline, ticket flow, routing, the help-centre index, ``learn``) knows a helpdesk
only through these; each kind's adapter (``registry.KINDS``) implements it, and the
adapters and their parts are the only modules that speak helpdesk HTTP. Values use ticketbot's
vocabulary (``Priority`` and ``Status`` names: an adapter maps Freshdesk's numbers
to them and back).

What an adapter promises:

- ``ticket_pages`` streams pages of tickets changed since a cursor (or ``since`` on a first
  run), oldest first; each page carries the cursor that resumes *after* it, which the core
  saves only once every ticket of the page is settled. A cursor the helpdesk refuses raises
  ``CursorRejectedError``; the core then discards it and starts again from ``since``.
- ``write_batch`` writes planned changes and reports one ``WriteOutcome`` per change, never
  two notes on one ticket and never a tag removed that someone else set (tags are merged).
  When a ticket changed since it was planned, the adapter reads it again and calls ``replan``
  with the fresh ticket (``None`` from ``replan``: nothing to do any more). Writes in flight
  are recorded in the ``WriteJournal`` first, so a killed run can be recovered (``recover``).
- ``reply_pages`` finds the customers' replies to tickets ticketbot triaged: each
  page holds the conversations of triaged, unsolved tickets that may carry a new public message
  from their requester, read whole, and the cursor that resumes after them; the core decides
  which messages are new (the notes' trailers and its own state say what was answered).
- Reads for routing (groups, agents), the help centre (articles) and a health ``probe``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ..errors import TicketBotError
from .ticket import Ticket, WriteBack


@dataclass(frozen=True)
class Cursor:
    """Where discovery resumes. Opaque to the core: only the adapter that made it reads it.

    ``kind`` says how the adapter pages (Zendesk ``incremental`` / ``search``, Freshdesk
    ``updated_since``); ``value`` is its position (an export cursor, an ISO time); ``start_time``
    the first run's starting point (Unix seconds).
    """

    kind: str
    value: str | None
    start_time: int | None = None


@dataclass(frozen=True)
class TicketPage:
    """One page of discovered tickets and the cursor that resumes after it.

    ``notices`` are things the adapter wants said in the run's log (event name, reason), e.g.
    that it switched to search or paused for a rate limit; ``malformed`` are raw records that
    did not parse (reported, never fatal); ``last`` is True on the final page of this run.
    """

    tickets: list[Ticket]
    next_cursor: Cursor | None
    malformed: list[dict[str, Any]] = field(default_factory=list)
    notices: tuple[tuple[str, str], ...] = ()
    last: bool = False


@dataclass(frozen=True)
class WriteOutcome:
    """The fate of one planned change: what was finally written (None: nothing was needed, or
    it failed) and the error, if it failed. ``updated_at``: the ticket's ``updated_at`` after
    the write, where the helpdesk's answer gives it (Freshdesk's ``PUT``), else None."""

    ticket_id: int
    writeback: WriteBack | None
    error: TicketBotError | None = None
    updated_at: str | None = None


@dataclass(frozen=True)
class Message:
    """One message of a ticket's conversation after its first one: a comment (Zendesk) or a
    conversation (Freshdesk). ``body`` is plain text as written (quoted history and signature
    still in it); ``public`` is False for internal notes; ``from_requester`` is True only for a
    message the ticket's requester wrote (an end user), never an agent's or an API user's;
    ``from_ticketbot`` is True only for one written by the user ticketbot signs in as, so a
    note an agent pasted (trailer and all) is never taken for ticketbot's own."""

    id: int
    body: str
    created_at: str | None
    public: bool
    from_requester: bool
    from_ticketbot: bool = False


@dataclass(frozen=True)
class Conversation:
    """A ticket as read now (its ``description`` the first message) and every later message,
    oldest first, ticketbot's own notes included."""

    ticket: Ticket
    messages: tuple[Message, ...]


@dataclass(frozen=True)
class AgentReply:
    """An agent's public reply on a solved ticket (never an internal note, never the
    requester's message, never ticketbot's own answer) and the help-centre articles its links
    name, as the helpdesk's own article URLs spell them."""

    body: str
    created_at: str | None
    articles: tuple[int, ...]


@dataclass(frozen=True)
class HistoryTicket:
    """A solved (or closed) ticket of the team's history and its agents' public replies,
    oldest first: what ``answers calibrate --from-helpdesk`` learns the help centre from."""

    ticket: Ticket
    replies: tuple[AgentReply, ...]


@dataclass(frozen=True)
class ReplyPage:
    """Conversations that may hold a new reply, and the cursor that resumes after them (saved
    once every one of them is settled); ``notices`` as for ``TicketPage``."""

    conversations: list[Conversation]
    next_cursor: Cursor | None
    notices: tuple[tuple[str, str], ...] = ()
    last: bool = False


Replan = Callable[[Ticket], WriteBack | None]
"""Given a freshly read ticket, the change to make now (None: already done, nothing to do)."""


class WriteJournal(Protocol):
    """The durable record of writes in flight (``RunLedger`` implements it)."""

    def begin(self, ticket_ids: Sequence[int]) -> None: ...
    def job_sent(self, job_id: str, ticket_ids: Sequence[int]) -> None: ...
    def end(self, ticket_ids: Sequence[int], job_ids: Sequence[str]) -> None: ...


@dataclass(frozen=True)
class Group:
    id: int
    name: str


@dataclass(frozen=True)
class FieldOption:
    """A drop-down's option: ``name`` as agents see it, ``value`` as it is written (Zendesk:
    the option's tag; Freshdesk: its label)."""

    name: str
    value: str


@dataclass(frozen=True)
class HelpdeskField:
    """A custom ticket field: ``key`` is what a ticket's ``custom_fields`` is keyed by (Zendesk:
    the id as text; Freshdesk: the ``cf_`` name); ``kind`` is ``text``, ``dropdown`` or the
    helpdesk's own type name for the kinds ticketbot does not fill. ``shown_to_customers``:
    the helpdesk shows the field to the requester (Zendesk's ``visible_in_portal``,
    Freshdesk's ``displayed_to_customers``); ``customers_can_edit``: the requester may write it
    (``editable_in_portal``, ``customers_can_edit``). ServiceNow's come from the column's
    field-level ACLs; ``audience_hint``: why the adapter could not tell who sees the field (and
    took it that customers may), with the fix, or "" when it could."""

    key: str
    title: str
    kind: str
    options: tuple[FieldOption, ...] = ()
    shown_to_customers: bool = False
    customers_can_edit: bool = False
    audience_hint: str = ""


@dataclass(frozen=True)
class Agent:
    id: int
    name: str
    email: str | None = None
    group_ids: tuple[int, ...] = ()


ArticleVisibility = Literal["everyone", "signed_in", "internal"]


@dataclass(frozen=True)
class Article:
    """A help-centre article as the index keeps it. ``removed``: deleted, archived or a draft —
    it must leave the index. ``visibility`` decides whether a customer-facing draft may quote
    it (``everyone`` and ``signed_in`` may; ``internal`` is for agents only)."""

    id: int
    title: str
    body: str
    url: str
    locale: str
    updated_at: str
    visibility: ArticleVisibility = "everyone"
    removed: bool = False


@dataclass(frozen=True)
class ArticleListing:
    """Articles from the help centre; ``complete`` means this is all of it (anything the index
    holds that is not listed is gone), else only what changed since the given time."""

    articles: Iterator[Article]
    complete: bool
    next_since: int | None = None


@dataclass(frozen=True)
class WriteLimits:
    """How the adapter wants writes shaped: tickets per ``write_batch`` call, and the most
    tickets a minute the helpdesk's write limits let through (None: not known)."""

    batch_size: int
    tickets_per_minute: float | None = None


@dataclass(frozen=True)
class TicketOutcome:
    """How a solved ticket ended, as the helpdesk tells it: the customer's satisfaction
    (``good``, ``bad``, ``offered``, ``unoffered``: Zendesk's scores, Freshdesk's ratings
    mapped to them), how often it was reopened (Zendesk's ticket metrics) and whether the
    helpdesk escalated it (Freshdesk's ``is_escalated`` / ``fr_escalated``)."""

    satisfaction: str | None = None
    reopens: int = 0
    escalated: bool = False


@dataclass(frozen=True)
class Probe:
    """A health check's answer: reachable and authorised, who we are, and whether this is one
    of ticketbot's own sandboxes (``seed`` writes sample tickets only there without ``--yes``)."""

    ok: bool
    detail: str
    sandbox: bool = False
    account: Mapping[str, Any] = field(default_factory=dict)
    # The helpdesk rejected the credentials (an ``AuthError``), not merely unreachable: nothing
    # will work until someone fixes them, so ``serve`` refuses to start on it as a run aborts.
    refused: bool = False


class Helpdesk(Protocol):
    """A helpdesk as the core uses it. Thread-safe; ``close`` it when done."""

    @property
    def kind(self) -> str:
        """The kind's name in ``registry.KINDS`` (``TICKETBOT_HELPDESK``)."""
        ...

    @property
    def base_url(self) -> str: ...

    @property
    def limits(self) -> WriteLimits: ...

    def ticket_pages(
        self, cursor: Cursor | None, *, since: int, query: str | None = None
    ) -> Iterator[TicketPage]:
        """Pages of tickets changed since ``cursor`` (or Unix time ``since`` without one), or
        matching ``query`` (the helpdesk's own search syntax) when given."""
        ...

    def reply_pages(
        self,
        cursor: Cursor | None,
        *,
        since: int,
        prefix: str,
        written: Callable[[int], str | None],
    ) -> Iterator[ReplyPage]:
        """Conversations of tickets carrying the processed marker (``prefix``), not solved or
        closed, with a public message from their requester since ``cursor`` (or Unix time
        ``since``), cheaply: no per-ticket read for a ticket without one. ``written(id)`` is
        the ``updated_at`` ticketbot's last write left on a ticket (None: not known); a
        helpdesk that cannot see comments in its change feed (Freshdesk) reads only the
        conversations of tickets changed since then."""
        ...

    def conversation(self, ticket_id: int) -> Conversation | None:
        """One ticket's conversation, read now (None: no such ticket)."""
        ...

    def count_open_before(self, moment: int) -> int | None:
        """How many unsolved tickets (without the processed marker, where the helpdesk can
        filter on it) were last changed before Unix time ``moment`` (Freshdesk: before that
        day, its filter's granularity), in one request; None when the helpdesk does not say.
        A first run tells what its window leaves behind."""
        ...

    def tickets(self, ids: Sequence[int]) -> list[Ticket]:
        """The tickets with these ids, read now, in as few requests as the helpdesk allows;
        ids the helpdesk does not know are left out."""
        ...

    def requester_known(self, requester_id: int) -> bool | None:
        """Whether the requester had a ticket solved before (an agent answered them: a
        customer the team knows, whom the spam gate never gates on a guess), in one request;
        None when the helpdesk does not say."""
        ...

    def write_batch(
        self,
        changes: Sequence[WriteBack],
        *,
        replan: Replan,
        journal: WriteJournal,
        report: Callable[[WriteOutcome], None],
    ) -> None:
        """Write up to ``limits.batch_size`` changes, calling ``report`` once per change as it
        settles. Raises ``AuthError`` or ``BreakerOpenError`` (after reporting what settled)
        when writing any further is pointless; the caller fails the rest."""
        ...

    def recover(self, jobs: Mapping[str, Sequence[int]], inflight: Sequence[int]) -> list[int]:
        """Settle what a killed run left in flight before anything is read again; the tickets
        that stay in flight (the journal keeps them until they are written)."""
        ...

    def notes(self, ticket_id: int) -> list[str]:
        """The bodies of the ticket's internal notes, oldest first (as plain text)."""
        ...

    def notes_and_field(self, ticket_id: int, field_key: str) -> tuple[list[str], object]:
        """The ticket's internal notes (as ``notes``) and the current value of its custom
        field ``field_key`` (None when unset), in one request where the helpdesk allows: what
        the dashboard's ticket page shows of the helpdesk."""
        ...

    def groups(self) -> list[Group]: ...

    def agents(self) -> list[Agent]: ...

    def ticket_fields(self) -> list[HelpdeskField]:
        """The custom ticket fields (one request on each helpdesk; ``TICKETBOT_FIELDS``)."""
        ...

    def articles(self, since: int | None) -> ArticleListing: ...

    def probe(self) -> Probe: ...

    def ticket_url(self, ticket_id: int) -> str:
        """The agent-facing link to a ticket, for notes, alerts and reports."""
        ...

    def outcomes(self, since: int) -> dict[int, TicketOutcome]:
        """How the tickets rated, reopened or escalated since ``since`` (Unix seconds) ended,
        per ticket id, from the helpdesk's satisfaction ratings and metrics (the risk head's
        truth, ``learn --from-helpdesk``); a ticket it says nothing of is absent."""
        ...

    def close(self) -> None: ...
