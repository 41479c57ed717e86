"""The risk that a ticket ends badly, per decision: its level (low, medium, high) and
probability, and the index the dashboard's list filters and sorts it by.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"


def upgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("risk", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("risk_probability", sa.Float, nullable=True))
        batch_op.create_index("ix_decisions_risk", ["account", "risk", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_decisions_risk")
        batch_op.drop_column("risk_probability")
        batch_op.drop_column("risk")
