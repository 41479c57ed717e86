"""The vocabulary every layer shares: tickets, analyses, write-backs, tag names, languages,
and the helpdesk contract (its values and the ``Helpdesk`` protocol).

Pure data, no I/O. The analysis enums here are the *only* values that ever become tags or
priorities: ticket text can say what it likes, it cannot add a member to these enums.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Literal, Protocol, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .errors import TicketBotError

# The closed vocabulary of language tags: only ISO 639-1 codes become ``<prefix>lang_xx`` tags,
# whoever proposed them (a model can answer ``zz``); anything else is ``und`` ("undetermined",
# the ISO 639-2 code for exactly this).

UNDETERMINED = "und"

# The 183 two-letter codes of ISO 639-1 (the Library of Congress registry), deprecated ones not.
_ISO_639_1_CODES = """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
    hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
    la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
    oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
    st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
    za zh zu
"""
ISO_639_1: frozenset[str] = frozenset(_ISO_639_1_CODES.split())
# Withdrawn codes models still produce, and the code that replaced each.
_RENAMED = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}


def closed_language(code: str) -> str:
    """``code`` if it is an ISO 639-1 code (case and a region suffix forgiven), else ``und``."""
    head = code.strip().lower().replace("_", "-").split("-", 1)[0]
    head = _RENAMED.get(head, head)
    return head if head in ISO_639_1 else UNDETERMINED


# Zendesk's values for the ticket fields ticketbot touches.


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


PRIORITY_RANK: dict[Priority, int] = {
    Priority.LOW: 0,
    Priority.NORMAL: 1,
    Priority.HIGH: 2,
    Priority.URGENT: 3,
}


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    HOLD = "hold"
    SOLVED = "solved"
    CLOSED = "closed"


# The analysis vocabulary.


class Urgency(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Sentiment(StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


Engine = Literal["llm", "learned", "rules"]
ENGINES: tuple[Engine, ...] = get_args(Engine)  # the chain's order: LLM, learned model, rules

CATEGORY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Longer: source intents run to 48 characters ("balance_not_updated_after_cheque_or_cash_deposit");
# the tag ``<prefix>subcategory_<name>`` stays under Zendesk's 80.
SUBCATEGORY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
LANGUAGE_CODE = re.compile(r"^(?:[a-z]{2}|und)$")  # ISO 639-1, or und (undetermined)

# Tag names: what any helpdesk accepts, and a long one fitted to a helpdesk's limit. Zendesk
# folds tags to lower case and turns spaces into underscores; we go further and keep only
# characters that are safe in every Zendesk tag context (views, triggers, search).
_TAG_UNSAFE = re.compile(r"[^a-z0-9_\-]+")
_TAG_MAX = 80
# The shortest tag a helpdesk ticketbot writes to takes (Freshdesk's); Zendesk takes 80.
SHORT_TAG_MAX = 32


def sanitise_tag(raw: str) -> str:
    """A Zendesk-safe tag: ASCII lower case, [a-z0-9_-], no runs of '_', at most 80 characters."""
    folded = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii")
    tag = _TAG_UNSAFE.sub("_", folded.strip().lower())
    tag = re.sub(r"_{2,}", "_", tag).strip("_-")
    return tag[:_TAG_MAX].rstrip("_-")


def fit_tag(tag: str, limit: int) -> str:
    """``tag`` within a helpdesk's length limit (Freshdesk: 32): a longer one is cut and ends
    in six hex digits of its hash, so each long tag keeps one short form, the same every run."""
    if len(tag) <= limit:
        return tag
    digest = hashlib.sha1(tag.encode("utf-8"), usedforsecurity=False).hexdigest()[:6]
    return f"{tag[: limit - 7].rstrip('_-')}_{digest}"


class Ticket(BaseModel):
    """A helpdesk ticket as ticketbot needs it (a projection of Zendesk's ticket object)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: int
    subject: str = ""
    description: str = ""
    status: str = "new"
    priority: str | None = None
    tags: tuple[str, ...] = ()
    created_at: str | None = None
    updated_at: str | None = None
    # Where the ticket sits, for routing and scope: ids as the helpdesk numbers them.
    group_id: int | None = None
    assignee_id: int | None = None
    # Who asked: the end user (Zendesk) or contact (Freshdesk) whose replies re-open triage.
    requester_id: int | None = None
    brand_id: int | None = None
    form_id: int | None = None
    channel: str | None = None
    custom_fields: dict[str, object] = Field(default_factory=dict)

    @field_validator("subject", "description", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return "" if value is None else value

    @field_validator("tags", mode="before")
    @classmethod
    def _tags_tuple(cls, value: object) -> object:
        return () if value is None else tuple(value)  # type: ignore[arg-type]


class Analysis(BaseModel):
    """What the LLM (or the rules) concluded about one ticket.

    ``category`` is checked against the configured taxonomy by whoever builds the analysis
    (``Taxonomy.validate_category``); here it only has to look like a category name.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: Annotated[str, Field(pattern=CATEGORY_NAME.pattern)]
    # Within ``category`` (``Taxonomy.validate_subcategory``, checked by whoever builds the
    # analysis); None when the taxonomy gives the category none, or none fits.
    subcategory: Annotated[str, Field(pattern=SUBCATEGORY_NAME.pattern)] | None = None
    urgency: Urgency
    sentiment: Sentiment
    language: Annotated[str, Field(pattern=LANGUAGE_CODE.pattern)]
    summary: Annotated[str, Field(max_length=300)]
    confidence: Annotated[float, Field(ge=0.0, le=1.0)]
    reply_draft: str | None = None

    @field_validator("language", mode="before")
    @classmethod
    def _lower_language(cls, value: object) -> object:
        # The closed vocabulary: whoever built the analysis, only ISO 639-1 becomes a tag.
        return closed_language(value) if isinstance(value, str) else value


class TokenUsage(BaseModel):
    model_config = ConfigDict(frozen=True)

    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Of the prompt tokens, those the provider served from its prompt cache (billed at a
    # discount): ``usage.prompt_tokens_details.cached_tokens`` where the provider reports it.
    cached_tokens: int = 0

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Suggestion(BaseModel):
    """A help-centre article that answers the ticket, as the note links it (``kb.search``).

    ``visibility``: ``everyone`` and ``signed_in`` articles may be quoted to the customer,
    ``internal`` ones only suggested to the agent. ``score``: the match's share of the
    ticket's own score (0..1), what the threshold is set on."""

    model_config = ConfigDict(frozen=True)

    article_id: int
    title: str
    url: str
    locale: str
    visibility: str
    score: float


# What the Batch API bills against the online price (OpenAI: half).
BATCH_PRICE_SHARE = 0.5


class Triage(BaseModel):
    """An analysis plus where it came from: the unit the pipeline writes back and logs."""

    model_config = ConfigDict(frozen=True)

    analysis: Analysis
    engine: Engine
    model: str | None = None
    fallback: bool = False
    fallback_reason: str | None = None
    # What made the first engine fail, as it said it (with its fix): what the run's warning tells.
    fallback_cause: str | None = None
    usage: TokenUsage = TokenUsage()
    cached: bool = False
    # "batch": answered through the Batch API (a backfill), billed at BATCH_PRICE_SHARE.
    billing: Literal["online", "batch"] = "online"
    llm_seconds: float = 0.0
    # Help-centre articles found for the ticket before its triage (``kb.retrieve``).
    suggestions: tuple[Suggestion, ...] = ()
    # Calibrated confidence per field (``triage.confidence``): the share of the engine's
    # answers of that confidence that are right. Empty: the engine is uncalibrated, and its
    # fields apply as before (``TICKETBOT_CONFIDENCE_THRESHOLD``).
    field_confidence: dict[str, float] = Field(default_factory=dict)
    # The engine's own apply threshold per field, chosen from its calibration.
    apply_at: dict[str, float] = Field(default_factory=dict)
    # The learned model's answer in the cascade (sure enough: no LLM call), not a fallback.
    cascaded: bool = False


class WriteBack(BaseModel):
    """The planned change to one ticket, whatever the helpdesk: tags to add (and, for a revert
    only, to remove), maybe a priority, a group and an assignee, custom fields, one note.

    ``updated_stamp`` is the ``updated_at`` the change was planned from: an adapter uses it to
    refuse (Zendesk ``safe_update``) or detect (a fresh read) a ticket changed since.
    """

    model_config = ConfigDict(frozen=True)

    ticket_id: int
    additional_tags: tuple[str, ...]
    remove_tags: tuple[str, ...] = ()
    priority: Priority | None = None
    clear_priority: bool = False  # a revert of a priority set where there was none
    note: str | None = None
    group_id: int | None = None
    clear_group: bool = False  # a revert of a group set where there was none
    assignee_id: int | None = None
    custom_fields: dict[str, object] = Field(default_factory=dict)
    updated_stamp: str | None = None


@dataclass(frozen=True)
class RouteDecision:
    """What routing (``triage.routing``) changes on one ticket (None: leave as is) and why.

    Here rather than beside the router because the write-back decision (``tags``) takes it
    and the run's output and events read it."""

    group_id: int | None = None
    group_name: str | None = None
    assignee_id: int | None = None
    assignee_name: str | None = None
    tags: tuple[str, ...] = ()
    escalate: bool = False
    routes: tuple[str, ...] = ()  # every matching route, in file order
    group_route: str | None = None  # the route that decided the group
    escalated_by: tuple[str, ...] = ()
    kept: str | None = None  # why the ticket keeps its group, when a route named one
    reasons: tuple[str, ...] = field(default=(), compare=False)  # route: conditions


# The helpdesk contract: the ``Helpdesk`` protocol, the only way the core speaks to a helpdesk,
# and its value types.
#
# The core (pipeline, ticket flow, routing, the help-centre index, ``learn``) knows a helpdesk
# only through these; each kind's adapter (``registry.KINDS``) implements it, and the
# adapters and their parts are the only modules that speak helpdesk HTTP. Values use ticketbot's
# vocabulary (``Priority`` and ``Status`` names: an adapter maps Freshdesk's numbers
# to them and back).
#
# What an adapter promises:
#
# - ``ticket_pages`` streams pages of tickets changed since a cursor (or ``since`` on a first
#   run), oldest first; each page carries the cursor that resumes *after* it, which the core
#   saves only once every ticket of the page is settled. A cursor the helpdesk refuses raises
#   ``CursorRejectedError``; the core then discards it and starts again from ``since``.
# - ``write_batch`` writes planned changes and reports one ``WriteOutcome`` per change, never
#   two notes on one ticket and never a tag removed that someone else set (tags are merged).
#   When a ticket changed since it was planned, the adapter reads it again and calls ``replan``
#   with the fresh ticket (``None`` from ``replan``: nothing to do any more). Writes in flight
#   are recorded in the ``WriteJournal`` first, so a killed run can be recovered (``recover``).
# - ``reply_pages`` finds the customers' replies to tickets ticketbot triaged: each
#   page holds the conversations of triaged, unsolved tickets that may carry a new public message
#   from their requester, read whole, and the cursor that resumes after them; the core decides
#   which messages are new (the notes' trailers and its own state say what was answered).
# - Reads for routing (groups, agents), the help centre (articles) and a health ``probe``.


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
    helpdesk's own type name for the kinds ticketbot does not fill."""

    key: str
    title: str
    kind: str
    options: tuple[FieldOption, ...] = ()


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
class Probe:
    """A health check's answer: reachable and authorised, who we are, and whether this is one
    of ticketbot's own sandboxes (``seed`` writes sample tickets only there without ``--yes``)."""

    ok: bool
    detail: str
    sandbox: bool = False
    account: Mapping[str, Any] = field(default_factory=dict)


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

    def close(self) -> None: ...
