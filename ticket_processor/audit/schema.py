"""The audit store's tables (SQLAlchemy Core) and the values their columns hold.

Every table has an ``account`` column: one PostgreSQL store serves many accounts and hosts
(the embedded SQLite store holds one account, but keeps the column so rows move between the
two unchanged). Times are UTC. A ticket is named by the helpdesk's own id (``ticket_id``) and
the helpdesk's kind; ``message_id`` 0 is the ticket's opening message, else the id of the
customer's reply that was analysed.

``decisions``
    one row per ticket per analysed message per run: the values, the per-field calibrated
    confidence and apply / suggest / abstain, the route, articles, fields, the answer, and
    what was written; ``status`` says how far it got (``planned`` before the write is sent,
    then ``written``, ``failed``, ``unchanged``, or ``dry-run`` / ``shadow`` for runs that write
    nothing); ``decision`` sums its fields up (see ``overall_decision``); ``event`` keeps the
    whole log event, so a field added to the events later is stored too.
``runs``
    one row per run: its mode (``normal``, ``shadow``, ``dry-run``, ``serve``), start, end,
    status and counts; ``summary`` keeps the whole ``run_finished`` event.
``writes`` / ``reverts``
    each write to the helpdesk (a triage's, a reply's, a review's) and each revert.
``corrections``
    an agent changed a label ticketbot set, found later (the solved-ticket outcome, the
    feedback harvest): the field, ticketbot's value and the agent's.
``reviews``
    a lead's accept / correct of a decision from the dashboard.
``ratings``
    an agent's word on what ticketbot did for a ticket (``ratings/``): helped, not helped or
    wrong category, given on the dashboard's ticket page (``source`` dashboard, one per rater
    and item: a second click replaces the first) or by a feedback tag on the ticket (``source``
    tag, one per tag: a tag added again is the same rating).
``sla_clocks``
    the service-level clocks the SLA pass last read (``sla/``): one row per ticket and target,
    replaced by each run's read; the rows of a helpdesk's latest read (its newest ``at``) are
    the clocks running now, older ones are targets no longer open.
"""

from __future__ import annotations

import sqlalchemy as sa

from .sealed_columns import SealedJSON, SealedText
from .values import (
    DECISIONS,
    LABEL_FIELDS,
    MODES,
    REVIEW_ACTIONS,
    STATUSES,
    overall_decision,
    stored_decision,
)

metadata = sa.MetaData()

_ACCOUNT = 200
_NAME = 100


def _account() -> sa.Column[str]:
    return sa.Column("account", sa.String(_ACCOUNT), nullable=False, server_default="")


def _at(name: str = "at") -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _account(),
    sa.Column("run_id", sa.String(_NAME), nullable=False),
    sa.Column("helpdesk", sa.String(_NAME), nullable=False, server_default=""),
    sa.Column("mode", sa.String(16), nullable=False, server_default="normal"),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("status", sa.String(16), nullable=True),  # ok, partial, aborted, stopped, locked
    sa.Column("exit_code", sa.Integer, nullable=True),
    sa.Column("tickets_seen", sa.Integer, nullable=False, server_default="0"),
    sa.Column("triaged", sa.Integer, nullable=False, server_default="0"),
    sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("skipped", sa.Integer, nullable=False, server_default="0"),
    sa.Column("fallback", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cost_usd", sa.Float, nullable=False, server_default="0"),
    sa.Column("engine", sa.String(_NAME), nullable=True),
    sa.Column("version", sa.String(_NAME), nullable=True),
    sa.Column("started", sa.JSON, nullable=True),  # the run_started event
    sa.Column("summary", sa.JSON, nullable=True),  # the run_finished event
    sa.UniqueConstraint("account", "run_id", name="uq_runs_account_run"),
    sa.Index("ix_runs_started", "account", "started_at"),
)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _account(),
    sa.Column("run_id", sa.String(_NAME), nullable=False),
    sa.Column("ticket_id", sa.BigInteger, nullable=False),
    sa.Column("message_id", sa.BigInteger, nullable=False, server_default="0"),
    _at(),
    sa.Column("helpdesk", sa.String(_NAME), nullable=False, server_default=""),
    sa.Column("mode", sa.String(16), nullable=False, server_default="normal"),
    sa.Column("kind", sa.String(16), nullable=False, server_default="triage"),  # or "reply"
    sa.Column("status", sa.String(16), nullable=False, server_default="planned"),
    sa.Column("subject", SealedText, nullable=True),
    sa.Column("engine", sa.String(_NAME), nullable=True),
    sa.Column("model", sa.String(_NAME), nullable=True),
    sa.Column("fallback", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("category", sa.String(_NAME), nullable=True),
    sa.Column("subcategory", sa.String(_NAME), nullable=True),
    sa.Column("urgency", sa.String(32), nullable=True),
    sa.Column("sentiment", sa.String(32), nullable=True),
    sa.Column("language", sa.String(32), nullable=True),
    sa.Column("confidence", sa.Float, nullable=True),
    *(sa.Column(f"{name}_confidence", sa.Float, nullable=True) for name in LABEL_FIELDS),
    *(sa.Column(f"{name}_decision", sa.String(16), nullable=True) for name in LABEL_FIELDS),
    sa.Column("decision", sa.String(16), nullable=True),
    sa.Column("field_confidence", sa.JSON, nullable=True),
    sa.Column("field_decisions", sa.JSON, nullable=True),
    sa.Column("route", sa.JSON, nullable=True),  # list of route names
    sa.Column("escalated", sa.Boolean, nullable=False, server_default=sa.false()),
    # The risk that the ticket ends badly (``risk/``): low | medium | high, and its probability.
    sa.Column("risk", sa.String(16), nullable=True),
    sa.Column("risk_probability", sa.Float, nullable=True),
    sa.Column("articles", sa.JSON, nullable=True),
    sa.Column("fields", sa.JSON, nullable=True),  # custom fields set
    sa.Column("answer", SealedText, nullable=True),
    sa.Column("answer_state", sa.String(16), nullable=True),  # drafted | sent | None
    sa.Column("tags", sa.JSON, nullable=True),  # tags added
    sa.Column("priority", sa.String(16), nullable=True),
    sa.Column("previous_priority", sa.String(16), nullable=True),
    sa.Column("group_id", sa.BigInteger, nullable=True),
    sa.Column("group_name", sa.String(_NAME * 2), nullable=True),
    sa.Column("note_id", sa.String(_NAME), nullable=True),
    sa.Column("reply_id", sa.String(_NAME), nullable=True),
    sa.Column("ticket_url", sa.Text, nullable=True),
    sa.Column("error", SealedText, nullable=True),
    sa.Column("corrected", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reviewed", sa.String(16), nullable=True),  # accept | correct | None
    sa.Column("outcome", sa.String(16), nullable=True),  # solved | closed, seen later
    sa.Column("event", SealedJSON, nullable=True),  # the log event, whole
    sa.UniqueConstraint(
        "account", "run_id", "ticket_id", "message_id", name="uq_decisions_identity"
    ),
    # The dashboard's filters, each with the time for its sort (newest first).
    sa.Index("ix_decisions_at", "account", "at"),
    sa.Index("ix_decisions_ticket", "account", "ticket_id", "at"),
    sa.Index("ix_decisions_run", "account", "run_id", "at"),
    sa.Index("ix_decisions_category", "account", "category", "at"),
    sa.Index("ix_decisions_decision", "account", "decision", "at"),
    sa.Index("ix_decisions_engine", "account", "engine", "at"),
    sa.Index("ix_decisions_urgency", "account", "urgency", "at"),
    sa.Index("ix_decisions_confidence", "account", "confidence", "at"),
    sa.Index("ix_decisions_sentiment", "account", "sentiment", "at"),
    sa.Index("ix_decisions_language", "account", "language", "at"),
    sa.Index("ix_decisions_risk", "account", "risk", "at"),
    # The search, newest first, tests the subject on this index alone (no row read).
    sa.Index("ix_decisions_subject", "account", "at", "id", "subject"),
)
# On SQLite, ``decisions_text`` (FTS5, trigram) indexes ``decisions.subject`` for a rare
# word's search; the second migration makes it (SQLAlchemy describes no FTS5 table).
TEXT_INDEX = "decisions_text"

writes = sa.Table(
    "writes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _account(),
    sa.Column("run_id", sa.String(_NAME), nullable=False),
    sa.Column("ticket_id", sa.BigInteger, nullable=False),
    sa.Column("message_id", sa.BigInteger, nullable=False, server_default="0"),
    _at(),
    sa.Column("helpdesk", sa.String(_NAME), nullable=False, server_default=""),
    sa.Column("kind", sa.String(16), nullable=False),  # triage | reply | review | revert
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("tags_added", sa.JSON, nullable=True),
    sa.Column("tags_removed", sa.JSON, nullable=True),
    sa.Column("priority", sa.String(16), nullable=True),
    sa.Column("group_id", sa.BigInteger, nullable=True),
    sa.Column("fields", sa.JSON, nullable=True),
    sa.Column("note", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("note_id", sa.String(_NAME), nullable=True),
    sa.Column("reply_id", sa.String(_NAME), nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.UniqueConstraint(
        "account", "run_id", "ticket_id", "message_id", "kind", name="uq_writes_identity"
    ),
    sa.Index("ix_writes_ticket", "account", "ticket_id", "at"),
)

reverts = sa.Table(
    "reverts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _account(),
    sa.Column("run_id", sa.String(_NAME), nullable=False),  # the run that reverted
    sa.Column("reverted_run_id", sa.String(_NAME), nullable=False),  # the run undone
    sa.Column("ticket_id", sa.BigInteger, nullable=False),
    _at(),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("detail", SealedJSON, nullable=True),
    sa.UniqueConstraint(
        "account", "run_id", "reverted_run_id", "ticket_id", name="uq_reverts_identity"
    ),
    sa.Index("ix_reverts_ticket", "account", "ticket_id", "at"),
)

corrections = sa.Table(
    "corrections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _account(),
    sa.Column("ticket_id", sa.BigInteger, nullable=False),
    _at(),
    sa.Column("run_id", sa.String(_NAME), nullable=False, server_default=""),  # who found it
    sa.Column("source", sa.String(32), nullable=False),  # outcome | feedback | agreement
    sa.Column("field", sa.String(_NAME), nullable=False),
    sa.Column("ticketbot", sa.String(_NAME * 2), nullable=True),
    sa.Column("agent", sa.String(_NAME * 2), nullable=True),
    sa.Column("agreed", sa.Boolean, nullable=True),
    sa.UniqueConstraint(
        "account", "ticket_id", "field", "source", "run_id", name="uq_corrections_identity"
    ),
    sa.Index("ix_corrections_ticket", "account", "ticket_id", "at"),
    sa.Index("ix_corrections_field", "account", "field", "at"),
)

reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _account(),
    sa.Column("decision_id", sa.Integer, nullable=True),  # decisions.id reviewed
    sa.Column("ticket_id", sa.BigInteger, nullable=False),
    _at(),
    sa.Column("reviewer", sa.String(_NAME * 2), nullable=False, server_default=""),
    sa.Column("action", sa.String(16), nullable=False),  # accept | correct
    sa.Column("field", sa.String(_NAME), nullable=False),
    sa.Column("ticketbot", sa.String(_NAME * 2), nullable=True),  # the suggestion
    sa.Column("value", sa.String(_NAME * 2), nullable=True),  # what the lead chose
    sa.Column("run_id", sa.String(_NAME), nullable=True),  # the write it made, if any
    sa.Column("written", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_reviews_ticket", "account", "ticket_id", "at"),
    sa.Index("ix_reviews_decision", "decision_id"),
)

ratings = sa.Table(
    "ratings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _account(),
    sa.Column("helpdesk", sa.String(_NAME), nullable=False, server_default=""),
    sa.Column("ticket_id", sa.BigInteger, nullable=False),
    _at(),
    sa.Column("source", sa.String(16), nullable=False),  # dashboard | tag
    sa.Column("rater", sa.String(_NAME * 2), nullable=False, server_default=""),
    sa.Column("target", sa.String(32), nullable=False),  # analysis | article | <step> | answer
    sa.Column("item", sa.String(_NAME * 2), nullable=False, server_default=""),
    sa.Column("verdict", sa.String(16), nullable=False),  # helped | not_helped | wrong_category
    sa.Column("reason", SealedText, nullable=True),  # an agent's free text: sealed with a key
    sa.Column("value", sa.String(_NAME * 2), nullable=True),  # the right category, if given
    sa.Column("ticketbot", sa.String(_NAME * 2), nullable=True),  # ticketbot's category then
    sa.Column("decision_id", sa.Integer, nullable=True),
    sa.UniqueConstraint(
        "account",
        "helpdesk",
        "ticket_id",
        "source",
        "rater",
        "target",
        "item",
        name="uq_ratings_identity",
    ),
    sa.Index("ix_ratings_ticket", "account", "ticket_id", "at"),
    sa.Index("ix_ratings_at", "account", "at"),
)

sla_clocks = sa.Table(
    "sla_clocks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _account(),
    sa.Column("helpdesk", sa.String(_NAME), nullable=False, server_default=""),
    sa.Column("ticket_id", sa.BigInteger, nullable=False),
    sa.Column("metric", sa.String(32), nullable=False),  # first_reply | next_reply | ...
    _at(),  # the read's time: the same for every clock of one read
    sa.Column("run_id", sa.String(_NAME), nullable=False, server_default=""),
    sa.Column("stage", sa.String(16), nullable=False),  # active | paused | achieved | breached
    sa.Column("breach_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("business_hours", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("at_risk", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("probability", sa.Float, nullable=True),  # None: not predicted, or cautious
    sa.Column("queue_ahead", sa.Integer, nullable=True),
    sa.UniqueConstraint(
        "account", "helpdesk", "ticket_id", "metric", name="uq_sla_clocks_identity"
    ),
    sa.Index("ix_sla_clocks_at", "account", "helpdesk", "at"),
    sa.Index("ix_sla_clocks_ticket", "account", "ticket_id"),
)


__all__ = [
    "DECISIONS",
    "LABEL_FIELDS",
    "MODES",
    "REVIEW_ACTIONS",
    "STATUSES",
    "TEXT_INDEX",
    "corrections",
    "decisions",
    "metadata",
    "overall_decision",
    "ratings",
    "reverts",
    "reviews",
    "runs",
    "sla_clocks",
    "stored_decision",
    "writes",
]
