"""The audit store: every decision, write, revert, correction and review, in a database.

SQLite (``audit.sqlite3`` in the state directory) by default, PostgreSQL when
``TICKETBOT_DATABASE_URL`` says so; the schema is versioned (Alembic, ``migrations/``) and
upgrades itself when the store is opened. ``store.AuditStore`` (SQLAlchemy) is the way in;
a run writes the embedded store through ``writer.SqliteWriter`` (sqlite3 alone, the same rows;
``upgrade.open_writer`` opens it). docs/reference/audit-store.md documents the tables for
people who query them.
"""
