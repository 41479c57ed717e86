"""A first run's audit store is made with sqlite3 alone (``audit/head_schema.py``'s statements)
instead of a child interpreter running SQLAlchemy and Alembic: the store it makes is the one
Alembic makes, object for object (tables, indexes, the text search and its triggers, the
planner's figures, the version), and a store that is behind is still upgraded by the child."""

from __future__ import annotations

import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ticket_processor.audit import head_schema
from ticket_processor.audit.store import FILE_NAME, SCHEMA_VERSION, AuditStore, AuditStoreError
from ticket_processor.audit.upgrade import open_writer
from ticket_processor.audit.writer import schema_version

ACCOUNT = "zendesk:acme.zendesk.com"


def made(path: Path) -> dict[str, Any]:
    """Everything a new store holds besides rows of ours."""
    conn = sqlite3.connect(path)
    try:
        return {
            "objects": sorted(
                conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
            ),
            "version": conn.execute("SELECT version_num FROM alembic_version").fetchall(),
            "planner": sorted(conn.execute("SELECT tbl, idx, stat FROM sqlite_stat1").fetchall()),
            "search": conn.execute("SELECT k, v FROM decisions_text_config").fetchall(),
            "journal": conn.execute("PRAGMA journal_mode").fetchall(),
            "user_version": conn.execute("PRAGMA user_version").fetchall(),
        }
    finally:
        conn.close()


def test_the_statements_are_this_versions_head() -> None:
    assert head_schema.VERSION == SCHEMA_VERSION, (
        "a migration was added: python -m scripts.figures audit_head_schema writes the new "
        "statements"
    )


def test_a_new_store_is_the_one_alembic_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    AuditStore.open(None, state_dir=tmp_path / "alembic").close()
    # No interpreter can be started: the new store needs none.
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    open_writer(tmp_path / "sqlite3", account=ACCOUNT).close()
    assert made(tmp_path / "sqlite3" / FILE_NAME) == made(tmp_path / "alembic" / FILE_NAME)
    # SQLAlchemy opens it as its own, and it takes rows.
    with AuditStore.open(None, state_dir=tmp_path / "sqlite3", account=ACCOUNT) as store:
        assert store.version() == SCHEMA_VERSION
    with open_writer(tmp_path / "sqlite3", account=ACCOUNT) as writer:
        writer.upsert_decisions([{"run_id": "r1", "ticket_id": 1, "at": _now(), "subject": "Hi"}])


def test_a_store_behind_is_still_upgraded_by_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alembic import command
    from alembic.config import Config

    from ticket_processor.audit.engine import MIGRATIONS

    engine = sa.create_engine(f"sqlite:///{tmp_path / FILE_NAME}")
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    engine.dispose()
    with monkeypatch.context() as patched:
        patched.setattr(sys, "executable", str(tmp_path / "no-python"))
        with pytest.raises(AuditStoreError, match="cannot start the schema's upgrade"):
            open_writer(tmp_path, account=ACCOUNT)
    open_writer(tmp_path, account=ACCOUNT).close()
    assert schema_version(tmp_path / FILE_NAME) == SCHEMA_VERSION


def test_a_file_holding_other_tables_is_left_to_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = sqlite3.connect(tmp_path / FILE_NAME)
    with conn:
        conn.execute("CREATE TABLE notes (id INTEGER)")
    conn.close()
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    with pytest.raises(AuditStoreError, match="cannot start the schema's upgrade"):
        open_writer(tmp_path, account=ACCOUNT)


def test_writers_opening_one_new_store_at_once_make_it_once(tmp_path: Path) -> None:
    failed: list[BaseException] = []
    start = threading.Barrier(4)

    def open_one() -> None:
        try:
            start.wait()
            open_writer(tmp_path, account=ACCOUNT).close()
        except BaseException as exc:  # noqa: BLE001 - said by the assertion below
            failed.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    assert made(tmp_path / FILE_NAME)["version"] == [(SCHEMA_VERSION,)]


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
