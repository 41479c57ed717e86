"""What an engine concludes about a ticket: the analysis vocabulary (urgency, sentiment, the
engines), the ``Analysis``, the ``Triage`` that says where it came from, and routing's decision.

The enums here are the *only* values that ever become tags or priorities: ticket text can say
what it likes, it cannot add a member to these enums."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .names import CATEGORY_NAME, LANGUAGE_CODE, SUBCATEGORY_NAME, closed_language

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
# What the spam gate (``spam/``) may call a new ticket that no customer wrote: unsolicited offers
# (``spam``), credential or payment bait (``phishing``), mail a machine sent (bounces,
# out-of-office replies, no-reply notifications: ``auto_sender``). ``none``: a customer's ticket.
SpamKind = Literal["spam", "phishing", "auto_sender"]
SPAM_KINDS: tuple[SpamKind, ...] = get_args(SpamKind)
ENGINES: tuple[Engine, ...] = get_args(Engine)  # the chain's order: LLM, learned model, rules
# Each engine as a sentence names it: the run's fallback warning and the breaker's alert say
# the engine that took over in the same words.
ENGINE_LABELS: dict[str, str] = {
    "llm": "the LLM",
    "learned": "the learned model",
    "rules": "the keyword rules",
}


def engines_named(taken: dict[str, int]) -> str:
    """The engines that took tickets over, as every message about a fallback says them: ``the
    learned model``, or ``the learned model (30) and the keyword rules (2)``."""
    ranked = sorted(taken.items(), key=lambda item: -item[1])
    if len(ranked) == 1:
        return ENGINE_LABELS.get(ranked[0][0], ranked[0][0])
    return " and ".join(f"{ENGINE_LABELS.get(e, e)} ({n})" for e, n in ranked) or "another engine"


class AgentText(BaseModel):
    """What the note shows the agents in their language, written by the LLM in the triage call
    itself (no second call): untrusted text, screened by the note as a translation is.
    ``language``: the ISO 639-1 code it was asked in; ``message``: the customer's words in it
    (empty: the model says the customer wrote in it); ``summary``: the summary in it (None: not
    asked, the agents read English)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    language: Annotated[str, Field(pattern=LANGUAGE_CODE.pattern)]
    message: str
    summary: str | None = None


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
    # The LLM's view of whether a customer wrote the ticket (its answer's ``spam`` key, asked
    # for by the spam gate); None: not asked, or an engine that has no view.
    spam: SpamKind | Literal["none"] | None = None
    # The LLM's view of whether the ticket reports a fault (something broken, failing or
    # unavailable) rather than asks for something (its answer's ``fault`` key, asked for when
    # incidents are grouped); None: not asked, not a true/false answer, or no LLM.
    fault: bool | None = None
    # The LLM's view of whether a person must act before the ticket is settled (a refund, a
    # cancellation, a change to the account, a fault to fix) rather than an article answering
    # it (its answer's ``person_needed`` key, asked for when answers are on), and its short
    # reason; None: not asked, or no LLM (the person-needed head decides alone).
    person_needed: bool | None = None
    person_reason: Annotated[str, Field(max_length=160)] | None = None
    # The note's texts in the agents' language, from the same answer; None: not asked (no LLM,
    # the Batch API), or the model left them out.
    for_agents: AgentText | None = None

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

    @property
    def in_help_centre(self) -> bool:
        """Whether it is one of the helpdesk's own articles. The team's documents and other
        sources' entries are in the index too, under made-up negative ids (``kb.documents``,
        ``kb.sources``) that name nothing in the helpdesk: the note shows their titles, and
        the trailer and the audit store, which keep help-centre article ids, leave them out."""
        return self.article_id > 0


# What the Batch API bills against the online price (OpenAI: half).
BATCH_PRICE_SHARE = 0.5


class SpamVerdict(BaseModel):
    """The spam gate's verdict: the kind, whether it is applied (the ticket is kept away from
    answers, escalation and incidents), only suggested (``<prefix>suggested_spam``) or lifted
    (``lift``: the requester of a ticket gated as ``kind`` wrote again as a customer, so the
    gate's tag goes and the reply is triaged as a customer's), the head's probability that no
    customer wrote it, and the reasons the note gives."""

    model_config = ConfigDict(frozen=True)

    kind: SpamKind
    decision: Literal["apply", "suggest", "lift"]
    probability: float
    reasons: tuple[str, ...] = ()

    @property
    def applied(self) -> bool:
        return self.decision == "apply"

    @property
    def lifted(self) -> bool:
        return self.decision == "lift"


RiskLevel = Literal["low", "medium", "high"]
RISK_LEVELS: tuple[RiskLevel, ...] = get_args(RiskLevel)


class RiskVerdict(BaseModel):
    """How likely the ticket is to end badly (reopened, escalated or rated bad by the
    customer): the probability, its level, where it came from (``rules``: the fallback from
    sentiment, urgency, trend, repeat contacts and waiting time; ``learned``: the head fitted
    on the helpdesk's own outcomes) and its main reasons, as the note gives them (``risk/``)."""

    model_config = ConfigDict(frozen=True)

    level: RiskLevel
    probability: float
    source: Literal["rules", "learned"] = "rules"
    reasons: tuple[str, ...] = ()


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
    # The spam gate's verdict on a new ticket (``spam/``); None: judged a customer's, or not
    # judged (a reply, a run without the gate).
    spam: SpamVerdict | None = None
    # The risk that the ticket ends badly (``risk/``); None: not scored (spam, no scorer).
    risk: RiskVerdict | None = None
    # The text forwards or quotes a mail below its sender's words (``triage.prepare``), which
    # the engines read without it: the note says so. Set per ticket, never from the cache.
    forwards: bool = False


def is_spam(triage: Triage | None) -> bool:
    """The gate applied a spam verdict: the ticket is answered, escalated and grouped by nobody."""
    return triage is not None and triage.spam is not None and triage.spam.applied


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
    # The language of the group's agents, when the deciding route names one (routes.toml).
    agent_language: str | None = None
    reasons: tuple[str, ...] = field(default=(), compare=False)  # route: conditions
    # The escalating routes that matched on the ticket's own tags only (a VIP tag): a signal
    # the helpdesk gave, not the engine's judgement (``triage.escalation_hold``).
    escalated_on_tags: tuple[str, ...] = ()
    # Why an escalation the routes asked for was held as a suggestion (None: not held).
    escalation_held: str | None = None
