"""Domain values shared by every module: tickets, analyses, write-backs.

Pure data, no I/O. The analysis enums here are the *only* values that ever become tags or
priorities: ticket text can say what it likes, it cannot add a member to these enums.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .triage.language import closed_language

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

CATEGORY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Longer: source intents run to 48 characters ("balance_not_updated_after_cheque_or_cash_deposit");
# the tag ``<prefix>subcategory_<name>`` stays under Zendesk's 80.
SUBCATEGORY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
LANGUAGE_CODE = re.compile(r"^(?:[a-z]{2}|und)$")  # ISO 639-1, or und (undetermined)


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

    Here rather than beside the router because the write-back decision (``tags``) takes it,
    and the router itself depends on ``tags``."""

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
