"""Search in subjects, and sorting by confidence, that stay fast at a million decisions.

``ix_decisions_subject`` (account, at, id, subject) lets the list, newest first, test the
subject on the index alone: a common word's page is read from the index without reading the
rows it passes over. On SQLite, ``decisions_text`` (FTS5, trigram tokenizer, its own copy of
each subject, kept in step by triggers) finds the few rows of a rare word at once, where the
walk would read the whole index; it is filled from the rows already there. On every
database, ``ix_decisions_confidence`` for the list sorted by confidence.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision: str | None = "0001"

_SQLITE_UP = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS decisions_text USING fts5(subject, tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS decisions_text_insert AFTER INSERT ON decisions "
    "WHEN new.subject IS NOT NULL BEGIN "
    "INSERT INTO decisions_text(rowid, subject) VALUES (new.id, new.subject); END",
    "CREATE TRIGGER IF NOT EXISTS decisions_text_delete AFTER DELETE ON decisions BEGIN "
    "DELETE FROM decisions_text WHERE rowid = old.id; END",
    "CREATE TRIGGER IF NOT EXISTS decisions_text_update AFTER UPDATE OF subject ON decisions "
    "BEGIN DELETE FROM decisions_text WHERE rowid = old.id; "
    "INSERT INTO decisions_text(rowid, subject) SELECT new.id, new.subject "
    "WHERE new.subject IS NOT NULL; END",
    "INSERT INTO decisions_text(rowid, subject) "
    "SELECT id, subject FROM decisions WHERE subject IS NOT NULL",
)
_SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS decisions_text_update",
    "DROP TRIGGER IF EXISTS decisions_text_delete",
    "DROP TRIGGER IF EXISTS decisions_text_insert",
    "DROP TABLE IF EXISTS decisions_text",
)


def upgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_decisions_confidence", ["account", "confidence", "at"], unique=False
        )
        batch_op.create_index(
            "ix_decisions_subject", ["account", "at", "id", "subject"], unique=False
        )
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_DOWN:
            op.execute(statement)
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_decisions_subject")
        batch_op.drop_index("ix_decisions_confidence")
