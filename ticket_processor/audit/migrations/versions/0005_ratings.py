"""Agents' ratings of what ticketbot did for a ticket: helped, not helped, wrong category,
from the dashboard's ticket page or a feedback tag on the ticket; one row per rater and item.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"


def upgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(200), nullable=False, server_default=""),
        sa.Column("helpdesk", sa.String(100), nullable=False, server_default=""),
        sa.Column("ticket_id", sa.BigInteger, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("rater", sa.String(200), nullable=False, server_default=""),
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("item", sa.String(200), nullable=False, server_default=""),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("value", sa.String(200), nullable=True),
        sa.Column("ticketbot", sa.String(200), nullable=True),
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
    )
    op.create_index("ix_ratings_ticket", "ratings", ["account", "ticket_id", "at"])
    op.create_index("ix_ratings_at", "ratings", ["account", "at"])


def downgrade() -> None:
    op.drop_index("ix_ratings_at", table_name="ratings")
    op.drop_index("ix_ratings_ticket", table_name="ratings")
    op.drop_table("ratings")
