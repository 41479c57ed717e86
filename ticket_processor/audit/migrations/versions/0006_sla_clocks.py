"""The service-level clocks the SLA pass last read: one row per ticket and target (first
reply, next reply, resolution, periodic update) with its stage, breach time and whether the
pass holds it at risk, for the dashboard's list (sorted by breach) and ticket page.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"


def upgrade() -> None:
    op.create_table(
        "sla_clocks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(200), nullable=False, server_default=""),
        sa.Column("helpdesk", sa.String(100), nullable=False, server_default=""),
        sa.Column("ticket_id", sa.BigInteger, nullable=False),
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.String(100), nullable=False, server_default=""),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("breach_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("business_hours", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("at_risk", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("probability", sa.Float, nullable=True),
        sa.Column("queue_ahead", sa.Integer, nullable=True),
        sa.UniqueConstraint(
            "account", "helpdesk", "ticket_id", "metric", name="uq_sla_clocks_identity"
        ),
    )
    op.create_index("ix_sla_clocks_at", "sla_clocks", ["account", "helpdesk", "at"])
    op.create_index("ix_sla_clocks_ticket", "sla_clocks", ["account", "ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_sla_clocks_ticket", table_name="sla_clocks")
    op.drop_index("ix_sla_clocks_at", table_name="sla_clocks")
    op.drop_table("sla_clocks")
