"""The first schema: runs, decisions, writes, reverts, corrections, reviews.

Written out in full (not read from ``schema.py``), so that it stays what the first version
was whatever the tables become.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None


def upgrade() -> None:
    # One function: Alembic runs a revision's upgrade() as the schema of that revision, written
    # once and never edited after it shipped; split, the revision would no longer read as the
    # schema it created.
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account", sa.String(length=200), server_default="", nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.String(length=100), server_default="", nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("ticketbot", sa.String(length=200), nullable=True),
        sa.Column("agent", sa.String(length=200), nullable=True),
        sa.Column("agreed", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "account", "ticket_id", "field", "source", "run_id", name="uq_corrections_identity"
        ),
    )
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.create_index("ix_corrections_field", ["account", "field", "at"], unique=False)
        batch_op.create_index("ix_corrections_ticket", ["account", "ticket_id", "at"], unique=False)

    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account", sa.String(length=200), server_default="", nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("helpdesk", sa.String(length=100), server_default="", nullable=False),
        sa.Column("mode", sa.String(length=16), server_default="normal", nullable=False),
        sa.Column("kind", sa.String(length=16), server_default="triage", nullable=False),
        sa.Column("status", sa.String(length=16), server_default="planned", nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("engine", sa.String(length=100), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("fallback", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("subcategory", sa.String(length=100), nullable=True),
        sa.Column("urgency", sa.String(length=32), nullable=True),
        sa.Column("sentiment", sa.String(length=32), nullable=True),
        sa.Column("language", sa.String(length=32), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("category_confidence", sa.Float(), nullable=True),
        sa.Column("subcategory_confidence", sa.Float(), nullable=True),
        sa.Column("urgency_confidence", sa.Float(), nullable=True),
        sa.Column("sentiment_confidence", sa.Float(), nullable=True),
        sa.Column("language_confidence", sa.Float(), nullable=True),
        sa.Column("category_decision", sa.String(length=16), nullable=True),
        sa.Column("subcategory_decision", sa.String(length=16), nullable=True),
        sa.Column("urgency_decision", sa.String(length=16), nullable=True),
        sa.Column("sentiment_decision", sa.String(length=16), nullable=True),
        sa.Column("language_decision", sa.String(length=16), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("field_confidence", sa.JSON(), nullable=True),
        sa.Column("field_decisions", sa.JSON(), nullable=True),
        sa.Column("route", sa.JSON(), nullable=True),
        sa.Column("escalated", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("articles", sa.JSON(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answer_state", sa.String(length=16), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=True),
        sa.Column("previous_priority", sa.String(length=16), nullable=True),
        sa.Column("group_id", sa.BigInteger(), nullable=True),
        sa.Column("group_name", sa.String(length=200), nullable=True),
        sa.Column("note_id", sa.String(length=100), nullable=True),
        sa.Column("reply_id", sa.String(length=100), nullable=True),
        sa.Column("ticket_url", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("corrected", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("reviewed", sa.String(length=16), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("event", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "account", "run_id", "ticket_id", "message_id", name="uq_decisions_identity"
        ),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index("ix_decisions_at", ["account", "at"], unique=False)
        batch_op.create_index("ix_decisions_category", ["account", "category", "at"], unique=False)
        batch_op.create_index("ix_decisions_decision", ["account", "decision", "at"], unique=False)
        batch_op.create_index("ix_decisions_engine", ["account", "engine", "at"], unique=False)
        batch_op.create_index("ix_decisions_run", ["account", "run_id", "at"], unique=False)
        batch_op.create_index("ix_decisions_ticket", ["account", "ticket_id", "at"], unique=False)
        batch_op.create_index("ix_decisions_urgency", ["account", "urgency", "at"], unique=False)

    op.create_table(
        "reverts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account", sa.String(length=200), server_default="", nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column("reverted_run_id", sa.String(length=100), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "account", "run_id", "reverted_run_id", "ticket_id", name="uq_reverts_identity"
        ),
    )
    with op.batch_alter_table("reverts", schema=None) as batch_op:
        batch_op.create_index("ix_reverts_ticket", ["account", "ticket_id", "at"], unique=False)

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account", sa.String(length=200), server_default="", nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewer", sa.String(length=200), server_default="", nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("ticketbot", sa.String(length=200), nullable=True),
        sa.Column("value", sa.String(length=200), nullable=True),
        sa.Column("run_id", sa.String(length=100), nullable=True),
        sa.Column("written", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index("ix_reviews_decision", ["decision_id"], unique=False)
        batch_op.create_index("ix_reviews_ticket", ["account", "ticket_id", "at"], unique=False)

    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account", sa.String(length=200), server_default="", nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column("helpdesk", sa.String(length=100), server_default="", nullable=False),
        sa.Column("mode", sa.String(length=16), server_default="normal", nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("tickets_seen", sa.Integer(), server_default="0", nullable=False),
        sa.Column("triaged", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("skipped", sa.Integer(), server_default="0", nullable=False),
        sa.Column("fallback", sa.Integer(), server_default="0", nullable=False),
        sa.Column("cost_usd", sa.Float(), server_default="0", nullable=False),
        sa.Column("engine", sa.String(length=100), nullable=True),
        sa.Column("version", sa.String(length=100), nullable=True),
        sa.Column("started", sa.JSON(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account", "run_id", name="uq_runs_account_run"),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index("ix_runs_started", ["account", "started_at"], unique=False)

    op.create_table(
        "writes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account", sa.String(length=200), server_default="", nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("helpdesk", sa.String(length=100), server_default="", nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("tags_added", sa.JSON(), nullable=True),
        sa.Column("tags_removed", sa.JSON(), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=True),
        sa.Column("group_id", sa.BigInteger(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=True),
        sa.Column("note", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("note_id", sa.String(length=100), nullable=True),
        sa.Column("reply_id", sa.String(length=100), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "account", "run_id", "ticket_id", "message_id", "kind", name="uq_writes_identity"
        ),
    )
    with op.batch_alter_table("writes", schema=None) as batch_op:
        batch_op.create_index("ix_writes_ticket", ["account", "ticket_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("writes", schema=None) as batch_op:
        batch_op.drop_index("ix_writes_ticket")

    op.drop_table("writes")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_started")

    op.drop_table("runs")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_reviews_ticket")
        batch_op.drop_index("ix_reviews_decision")

    op.drop_table("reviews")
    with op.batch_alter_table("reverts", schema=None) as batch_op:
        batch_op.drop_index("ix_reverts_ticket")

    op.drop_table("reverts")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_decisions_urgency")
        batch_op.drop_index("ix_decisions_ticket")
        batch_op.drop_index("ix_decisions_run")
        batch_op.drop_index("ix_decisions_engine")
        batch_op.drop_index("ix_decisions_decision")
        batch_op.drop_index("ix_decisions_category")
        batch_op.drop_index("ix_decisions_at")

    op.drop_table("decisions")
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.drop_index("ix_corrections_ticket")
        batch_op.drop_index("ix_corrections_field")

    op.drop_table("corrections")
