"""The audit store's engine and statements: SQLite's pragmas and write transactions, the
schema's version and migrations (Alembic), a database error's reason, and the upsert each
dialect says its own way. ``AuditStore`` (``store.py``) uses them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from ..common.database import postgres_engine
from ..common.sqlite_wal import enter_wal
from .damage import AuditStoreDamaged, is_damage
from .writer import BUSY_TIMEOUT_MS

MIGRATIONS = Path(__file__).parent / "migrations"


# -- the engine -----------------------------------------------------------------------------


def engine_for(url: str, state_dir: Path) -> sa.Engine:
    if url.startswith("sqlite"):
        state = Path(state_dir)
        state.mkdir(parents=True, exist_ok=True, mode=0o700)
        engine = sa.create_engine(
            url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        )
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        sa.event.listen(engine, "handle_error", _sqlite_damaged)
        return engine
    return postgres_engine(url)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is off: ``_sqlite_begin`` says BEGIN itself, so a
    # write can say IMMEDIATE (take the write lock first, wait for it for busy_timeout).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()
    enter_wal(dbapi_connection)


def _sqlite_damaged(context: sa.engine.ExceptionContext) -> None:
    """A damaged file is said as one (``AuditStoreDamaged``: what to do, exit code 2) wherever
    a reader meets it, not as SQLAlchemy's ``DatabaseError`` with a traceback."""
    if is_damage(context.original_exception):
        database = context.engine.url.database if context.engine is not None else None
        said = str(context.original_exception).strip().splitlines() or ["damaged"]
        raise AuditStoreDamaged(database or "audit.sqlite3", said[0])


def _sqlite_begin(conn: sa.Connection) -> None:
    write = conn.get_execution_options().get("audit_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def current_version(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    value = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    return str(value) if value is not None else None


def run_migrations(conn: sa.Connection, target: str) -> None:
    # Imported here: Alembic is needed only when the schema moves, not on every open.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    command.upgrade(config, target)


def reason(exc: sa.exc.SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None)
    text = str(original if original is not None else exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# -- statements -----------------------------------------------------------------------------


def upsert_statement(
    dialect: str, table: sa.Table, shape: Sequence[Mapping[str, Any]], keys: tuple[str, ...]
) -> sa.Executable:
    columns = [name for name in shape[0] if name not in keys and name != "id"]
    if dialect == "postgresql":
        # Here, not at the top: the embedded (SQLite) store does not carry the dialect (~2 MB).
        from sqlalchemy.dialects import postgresql

        pg = postgresql.insert(table)
        if not columns:
            return pg.on_conflict_do_nothing(index_elements=list(keys))
        return pg.on_conflict_do_update(
            index_elements=list(keys), set_={name: pg.excluded[name] for name in columns}
        )
    lite = sqlite.insert(table)
    if not columns:
        return lite.on_conflict_do_nothing(index_elements=list(keys))
    return lite.on_conflict_do_update(
        index_elements=list(keys), set_={name: lite.excluded[name] for name in columns}
    )
