"""The values a run is started with and ends with: ``RunOptions`` and ``RunSummary``.

``RunSummary`` is what ``run_once`` returns and what the ``run_finished`` event records; its
``status`` is ``ok``, ``partial`` (some tickets failed), ``aborted`` (auth, helpdesk down, breaker
open) or ``stopped`` (SIGINT / SIGTERM), and its ``exit_code`` follows ``ExitCode``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from ..exitcodes import ExitCode
from ..helpdesks.registry import DEFAULT_KIND
from ..learned.labels import LabelSpec
from ..models import Engine, Triage, WriteBack
from ..writeback.scope import Scope

RunStatus = Literal["ok", "partial", "aborted", "stopped"]


@dataclass(frozen=True)
class RunOptions:
    dry_run: bool = False
    # Writes nothing, like a dry run, but keeps its own cursor (``<state dir>/shadow``) and logs
    # each ticket's decisions for ``report``'s shadow agreement.
    shadow: bool = False
    # Where a shadow run reads the labels agents gave solved tickets (TICKETBOT_SHADOW_LABELS).
    shadow_labels: dict[str, LabelSpec] = field(default_factory=dict)
    limit: int | None = None
    workers: int = 8
    auto_workers: bool = False  # --workers auto: LLM calls in flight follow the endpoint
    since: datetime | None = None  # first run only; default 24 hours back
    engine: Engine = "llm"
    max_runtime: float | None = None
    query: str | None = None
    ticket_ids: tuple[int, ...] = ()  # --ticket: exactly these tickets
    force: bool = False  # --force: triage them again although they carry the marker
    set_priority: bool = True
    prefix: str = "ai_"
    confidence_threshold: float = 0.5
    # Per field, the calibrated confidence to apply / suggest at (TICKETBOT_APPLY_AT,
    # TICKETBOT_SUGGEST_AT); a field not named takes its engine's calibrated threshold.
    apply_at: dict[str, float] = field(default_factory=dict)
    suggest_at: dict[str, float] = field(default_factory=dict)
    max_input_tokens: int = 2000
    # The audit store keeps subjects as the helpdesk has them (TICKETBOT_AUDIT_RAW_SUBJECTS);
    # else redacted as the LLM gets them.
    audit_raw_subjects: bool = False
    cache_tag: str = ""  # what else an analysis depends on (models, taxonomy) for the cache key
    stop_grace: float = 10.0  # seconds analyses under way get to finish after a stop
    scope: Scope = field(default_factory=Scope)
    # Re-triage triaged tickets when their customer replies (TICKETBOT_RETRIAGE).
    retriage: bool = True
    # ``backfill --shard i/n``: only the tickets whose id is i modulo n (scope.in_shard).
    shard: tuple[int, int] | None = None
    # The language of the notes (TICKETBOT_AGENT_LANGUAGE); a route's group may name its own.
    agent_language: str = "en"


@dataclass(frozen=True)
class PlannedChange:
    """One row of the dry-run table (and of the demo's result)."""

    ticket_id: int
    subject: str
    triage: Triage
    writeback: WriteBack
    # Per field of the analysis (category, urgency, ...): apply, suggest or abstain (an
    # uncalibrated engine's fields apply, as ``triage_tags`` writes them).
    decisions: dict[str, str] = field(default_factory=dict)
    # The helpdesk's own fields (fields.toml) the change fills: field title -> value.
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class RunSummary:
    run_id: str
    status: RunStatus = "ok"
    exit_code: int = ExitCode.OK
    helpdesk: str = DEFAULT_KIND
    engine: str = "llm"
    tickets_seen: int = 0
    triaged: int = 0
    failed: int = 0
    skipped: int = 0
    out_of_scope: int = 0  # TICKETBOT_SCOPE or the <prefix>skip tag
    deferred: int = 0  # taken, but the run stopped (--max-runtime, a signal) before them
    fallback: int = 0
    fallback_reasons: dict[str, int] = field(default_factory=dict)
    # The first distinct cause of a fallback, as the failing engine said it (with its fix), and
    # how many fallen-back tickets each engine took over: what the run's warning tells.
    fallback_cause: str | None = None
    fallback_engines: dict[str, int] = field(default_factory=dict)
    engines: dict[str, int] = field(default_factory=dict)
    cached: int = 0
    # What the run held back and left to an agent: tickets below the confidence threshold
    # (``<prefix>low_confidence``: no priority, no route but one for low confidence), and
    # escalations only an unsure engine asked for (``<prefix>escalation_suggested``: no page).
    low_confidence: int = 0
    escalations_suggested: int = 0
    # TICKETBOT_CASCADE: tickets the learned model decided without an LLM call, and what those
    # calls would have cost at the run's mean cost of an LLM-answered ticket.
    cascaded: int = 0
    cascade_saved_usd: float = 0.0
    second_writer: int = 0  # tickets another ticketbot marked between our read and our write
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    reason: str | None = None
    # "limit" | "max_runtime" | "caught_up" | "read_window" | "SIGTERM" ...
    stopped_early: str | None = None
    set_aside: list[str] = field(default_factory=list)  # state files that failed validation
    warnings: list[str] = field(default_factory=list)
    abandoned: int = 0  # analyses still running when a stop's grace ran out
    bound: str | None = None  # what limited the run: llm_latency, llm_rate, helpdesk_writes
    llm: dict[str, object] = field(default_factory=dict)  # the LLM pacer's figures
    planned: list[PlannedChange] = field(default_factory=list)
    categories: dict[str, int] = field(default_factory=dict)
    subcategories: dict[str, int] = field(default_factory=dict)  # "category/subcategory"
    backfill: bool = False  # a run of ``ticketbot backfill`` (its slices and its collections)
    # Customers' replies (run/replies.py): judged, by kind, notes written, sentiment changes.
    replies: int = 0
    reply_kinds: dict[str, int] = field(default_factory=dict)
    reply_notes: int = 0
    reply_failed: int = 0
    sentiment_changes: int = 0
    # Answering the customer (run/answering.py): drafted, planned, sent, cancelled, resolved,
    # re-opened; and, for a dry run's table, each reply's full text (ticket, mode, text).
    answers: dict[str, int] = field(default_factory=dict)
    # The tickets no answer was planned for, by the first refusal each met (``answers.decide``,
    # ``answers.plan``): what holds a first run's answers back, told without reading the log.
    answers_refused: dict[str, int] = field(default_factory=dict)
    answer_texts: list[tuple[int, str, str]] = field(default_factory=list)

    # The incident pass (incidents/run_pass.py): what it found and wrote, and its dry-run lines.
    incidents: dict[str, Any] = field(default_factory=dict)
    # The running summary's pass (summary/run_pass.py): its counts and its dry-run lines.
    summaries: dict[str, Any] = field(default_factory=dict)
    # The judgements running in a cautious mode this run, and why (``passes.caution``).
    cautions: dict[str, str] = field(default_factory=dict)
    # What a pass did this run, in its own one line for the run's output, by the pass's name
    # (the spam gate's verdicts): a feature says what it did without a field of its own here.
    said: dict[str, str] = field(default_factory=dict)
    # The service-level targets at risk now, by the group's id ("" without a group): the SLA
    # pass's, for the metrics' export.
    sla_at_risk: dict[str, int] = field(default_factory=dict)

    def as_event(self) -> dict[str, Any]:
        fields = {
            key: value
            for key, value in self.__dict__.items()
            if key not in {"run_id", "planned", "answer_texts"}
        }
        for key in (
            "categories",
            "subcategories",
            "engines",
            "fallback_reasons",
            "fallback_engines",
            "llm",
            "reply_kinds",
            "answers",
            "answers_refused",
            "cautions",
            "said",
            "sla_at_risk",
        ):
            fields[key] = dict(fields[key])
        fields["set_aside"] = list(self.set_aside)
        fields["warnings"] = list(self.warnings)
        return fields
