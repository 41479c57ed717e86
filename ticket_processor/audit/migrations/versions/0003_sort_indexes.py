"""The ticket list sorted by sentiment or language stays an index walk at a million decisions.

Every other column the list sorts by (time, ticket id, category, urgency, engine, confidence,
decision) already has an index that ends in the time; these two are the ones it lacked.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision: str | None = "0002"


def upgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_decisions_sentiment", ["account", "sentiment", "at"], unique=False
        )
        batch_op.create_index("ix_decisions_language", ["account", "language", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_decisions_language")
        batch_op.drop_index("ix_decisions_sentiment")
