"""A run's writer of the embedded store (``audit.writer.SqliteWriter``: sqlite3 alone) stores
what ``AuditStore`` (SQLAlchemy) stores, column for column and type for type, from the same
input; its tables are the schema's, so the two cannot drift apart; a store that is missing or
behind is created or upgraded before anything is written."""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from support.cli import invoke

from ticket_processor.audit.feed import AuditFeed, AuditWriter
from ticket_processor.audit.schema import metadata
from ticket_processor.audit.sealed_columns import SealedJSON, SealedText
from ticket_processor.audit.store import (
    FILE_NAME,
    SCHEMA_VERSION,
    AuditStore,
    AuditStoreError,
)
from ticket_processor.audit.tables import (
    BOOLEAN,
    FLOAT,
    JSON,
    PLAIN,
    SEALED,
    SEALED_JSON,
    TABLES,
    TIME,
)
from ticket_processor.audit.upgrade import open_writer
from ticket_processor.audit.writer import SqliteWriter, schema_version
from ticket_processor.sandbox.desks import Desk, NewTicket

ACCOUNT = "zendesk:acme.zendesk.com"
NOW = datetime(2026, 11, 25, 6, 0, 0, tzinfo=UTC)
RUN = "20261125T060000Z-abc123"


def dump(state: Path) -> dict[str, list[tuple[tuple[str, object], ...]]]:
    """Every row of every table, each value with its Python (that is, SQLite) type."""
    conn = sqlite3.connect(state / FILE_NAME)
    try:
        return {
            name: [
                tuple((type(value).__name__, value) for value in row)
                for row in conn.execute(f'SELECT * FROM "{name}" ORDER BY id')  # noqa: S608
            ]
            for name in sorted(metadata.tables)
        }
    finally:
        conn.close()


def _kind(column: sa.Column[Any]) -> str:
    for type_, kind in (
        (SealedText, SEALED),
        (SealedJSON, SEALED_JSON),
        (sa.DateTime, TIME),
        (sa.Boolean, BOOLEAN),
        (sa.JSON, JSON),
        (sa.Float, FLOAT),
    ):
        if isinstance(column.type, type_):
            return kind
    return PLAIN


@pytest.mark.parametrize("name", sorted(metadata.tables))
def test_the_writers_columns_and_identities_are_the_schemas(name: str) -> None:
    table = metadata.tables[name]
    spec = TABLES[name]
    assert dict(spec.columns) == {c.name: _kind(c) for c in table.columns if c.name != "id"}
    uniques = [
        tuple(column.name for column in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, sa.UniqueConstraint)
    ]
    assert uniques == ([spec.identity] if spec.identity else [])


def _ts(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


EVENTS: list[dict[str, Any]] = [
    {
        "event": "run_started",
        "ts": _ts(NOW),
        "run_id": RUN,
        "helpdesk": "zendesk",
        "engine": "rules",
        "version": "0.1.0",
    },
    {
        "event": "ticket_triaged",
        "ts": _ts(NOW + timedelta(seconds=1, microseconds=250_000)),
        "run_id": RUN,
        "ticket_id": 1,
        "category": "billing",
        "urgency": "high",
        "sentiment": "negative",
        "language": "en",
        "confidence": 0.8,
        "field_confidence": {"category": 0.9, "urgency": 1},
        "decisions": {"category": "apply", "urgency": "suggest"},
        "engine": "rules",
        "fallback": False,
        "escalated": True,
        "route": "billing-team",
        "tags_added": ["billing", "ai_processed"],
        "priority": "high",
        "previous_priority": None,
        "group_id": 42,
        "group": "Billing",
        "fields_set": {"order": "4411"},
        "articles": [{"id": 7, "title": "Refunds"}],
        "ticket_url": "https://acme.zendesk.com/agent/tickets/1",
    },
    # Another time zone, no fraction of a second: stored in UTC, as SQLAlchemy stores it.
    {
        "event": "ticket_triaged",
        "ts": "2026-11-25T08:00:02+02:00",
        "run_id": RUN,
        "ticket_id": 2,
        "category": "technical",
        "engine": "rules",
        "tags_added": [],
    },
    {
        "event": "ticket_failed",
        "ts": _ts(NOW + timedelta(seconds=3)),
        "run_id": RUN,
        "ticket_id": 3,
        "stage": "write",
        "error_type": "HTTPError",
        "error": "503 from the helpdesk",
    },
    {
        "event": "ticket_already_marked",
        "ts": _ts(NOW + timedelta(seconds=4)),
        "run_id": RUN,
        "ticket_id": 4,
    },
    {
        "event": "reply_triaged",
        "ts": _ts(NOW + timedelta(seconds=5)),
        "run_id": RUN,
        "ticket_id": 1,
        "reply_id": 55,
        "wrote": True,
        "engine": "rules",
        "tags_added": ["reply"],
        "tags_removed": ["waiting"],
        "escalated": False,
        "note": True,
    },
    # Agreed on the category, not on the urgency: the decision is marked corrected.
    {
        "event": "ticket_outcome",
        "ts": _ts(NOW + timedelta(seconds=6)),
        "run_id": RUN,
        "ticket_id": 1,
        "status": "solved",
        "labels": {"category": "billing", "urgency": "low", "escalated": "True"},
    },
    {  # no shadow decision of ticket 2: nothing to mark
        "event": "shadow_outcome",
        "ts": _ts(NOW + timedelta(seconds=7)),
        "run_id": RUN,
        "ticket_id": 2,
        "status": "closed",
        "labels": {"category": "billing"},
    },
    {
        "event": "run_finished",
        "ts": _ts(NOW + timedelta(seconds=8)),
        "run_id": RUN,
        "status": "partial",
        "exit_code": 3,
        "tickets_seen": 4,
        "triaged": 2,
        "failed": 1,
        "skipped": 1,
        "cost_usd": 0.0125,
    },
]


def _feed(store: AuditWriter) -> None:
    feed = AuditFeed(
        store, run_id=RUN, helpdesk="zendesk", mode="normal", clock=lambda: NOW, batch_rows=3
    )
    feed.event(EVENTS[0])
    for ticket, extra in ((1, {"subject": "Refund", "answer": "We are on it."}), (2, {})):
        feed.planned({"ticket_id": ticket, "category": "billing", "subject": f"#{ticket}", **extra})
    for record in EVENTS[1:]:
        feed.event(record)
    feed.close()
    assert feed.failed is None


@pytest.fixture
def both(tmp_path: Path) -> Iterator[tuple[AuditStore, SqliteWriter]]:
    store = AuditStore.open(None, state_dir=tmp_path / "sqlalchemy", account=ACCOUNT)
    writer = open_writer(tmp_path / "sqlite3", account=ACCOUNT)
    yield store, writer
    store.close()
    writer.close()


def test_the_feed_stores_the_same_rows_through_either(
    tmp_path: Path, both: tuple[AuditStore, SqliteWriter]
) -> None:
    store, writer = both
    # Values the events never carry, given directly: JSON None, 1 for True, an int for a float.
    direct = {"run_id": "direct", "ticket_id": 8, "at": NOW, "route": None, "confidence": 1}
    for target in (store, writer):
        _feed(target)
        target.upsert_decisions([{**direct, "fallback": 1}])
    expected = dump(tmp_path / "sqlalchemy")
    assert len(expected["decisions"]) == 6  # (so the comparison compares something)
    assert len(expected["corrections"]) == 3
    assert dump(tmp_path / "sqlite3") == expected
    # Retention deletes the same rows.
    cutoff = NOW + timedelta(seconds=3, microseconds=1)
    assert writer.prune(cutoff) == store.prune(cutoff)
    assert dump(tmp_path / "sqlite3") == dump(tmp_path / "sqlalchemy")


@pytest.mark.parametrize(
    "row",
    [
        {"ok": "yes"},  # not a boolean
        {"ok": True, "at": "2026-11-25 06:00:00"},  # a time as text
    ],
)
def test_a_value_sqlalchemy_refuses_is_refused_and_nothing_is_written(
    tmp_path: Path, both: tuple[AuditStore, SqliteWriter], row: dict[str, Any]
) -> None:
    good = {"run_id": RUN, "ticket_id": 9, "at": NOW, "kind": "triage", "ok": True}
    for target in both:
        with pytest.raises(AuditStoreError):
            target.upsert_writes([good, {**good, "ticket_id": 10, **row}])
    assert dump(tmp_path / "sqlite3")["writes"] == dump(tmp_path / "sqlalchemy")["writes"] == []


def test_a_missing_or_old_store_is_brought_to_the_newest_schema_first(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from ticket_processor.audit.engine import MIGRATIONS

    old = tmp_path / "old"
    old.mkdir()
    engine = sa.create_engine(f"sqlite:///{old / FILE_NAME}")
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    engine.dispose()
    assert schema_version(old / FILE_NAME) == "0001"
    for state in (old, tmp_path / "new"):
        with open_writer(state, account=ACCOUNT) as writer:
            writer.upsert_decisions([{"run_id": RUN, "ticket_id": 1, "at": NOW}])
        assert schema_version(state / FILE_NAME) == SCHEMA_VERSION


def test_a_store_of_a_newer_version_is_refused_with_the_reason(tmp_path: Path) -> None:
    open_writer(tmp_path, account=ACCOUNT).close()
    conn = sqlite3.connect(tmp_path / FILE_NAME)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    with pytest.raises(AuditStoreError, match=r"cannot open the audit store sqlite:///.*9999"):
        open_writer(tmp_path, account=ACCOUNT)


def test_the_upgrade_child_is_this_package_whatever_the_working_directory_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A checkout of another version (or a planted package) where ticketbot is started: the
    # child that creates the store imports this package, as the run did.
    decoy = tmp_path / "cwd" / "ticket_processor"
    decoy.mkdir(parents=True)
    (decoy / "__init__.py").write_text("raise SystemExit('the decoy package was imported')\n")
    monkeypatch.chdir(decoy.parent)
    state = tmp_path / "state"
    with open_writer(state, account=ACCOUNT) as writer:
        writer.upsert_decisions([{"run_id": RUN, "ticket_id": 1, "at": NOW}])
    assert schema_version(state / FILE_NAME) == SCHEMA_VERSION


def test_the_upgrade_child_leaves_without_the_teardown_once_the_store_is_at_the_head(
    tmp_path: Path,
) -> None:
    # The child that creates the store is a first run's: it ends as soon as the store is at the
    # head and its answer is out, without freeing SQLAlchemy and Alembic one object at a time.
    import subprocess
    import sys
    import textwrap

    from ticket_processor.audit.upgrade import CHILD, OK

    code = textwrap.dedent(
        """
        import os, sys

        class Torn:
            def __del__(self, write=os.write):
                write(1, b"torn down\\n")

        kept = Torn()
        """
    )
    package_root = str(Path(__file__).resolve().parents[2])
    for state, said in ((tmp_path / "new", OK), (tmp_path / "file", "ticketbot-audit-upgrade: ")):
        if state.name == "file":
            state.write_text("not a directory")
        ended = subprocess.run(
            [sys.executable, "-c", code + CHILD, package_root, str(state)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert ended.stdout.splitlines()[-1].startswith(said), ended.stderr
        assert "torn down" not in ended.stdout
        assert ended.returncode == (0 if said == OK else 1)
    assert schema_version(tmp_path / "new" / FILE_NAME) == SCHEMA_VERSION


def test_the_writers_page_cache_is_small(tmp_path: Path) -> None:
    # A run appends; SQLite's default 2 MB page cache was 1.5 MB of its peak memory.
    from ticket_processor.audit.writer import CACHE_KIB

    with open_writer(tmp_path, account=ACCOUNT) as writer:
        assert writer._conn.execute("PRAGMA cache_size").fetchone() == (-CACHE_KIB,)
    assert CACHE_KIB <= 256


def test_the_writers_statement_journals_stay_in_memory(tmp_path: Path) -> None:
    # The full-text trigger made each upsert's statement journal spill to SQLite's temporary
    # files with the small cache above: tens of thousands of writes to /var/tmp a run.
    with open_writer(tmp_path, account=ACCOUNT) as writer:
        assert writer._conn.execute("PRAGMA temp_store").fetchone() == (2,)  # 2: MEMORY


Call = tuple[str, tuple[Any, ...]]


@pytest.mark.desk(configure=True)
def test_a_runs_rows_are_the_ones_sqlalchemy_stores_from_its_writes(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Call] = []
    accounts: list[str] = []

    def recorded(name: str) -> Callable[..., Any]:
        original = getattr(SqliteWriter, name)

        def call(self: SqliteWriter, *args: Any) -> Any:
            calls.append((name, copy.deepcopy(args)))
            accounts.append(self.account)
            return original(self, *args)

        return call

    for name in ("upsert_runs", "upsert_decisions", "upsert_writes", "record_outcome", "prune"):
        monkeypatch.setattr(SqliteWriter, name, recorded(name))
    desk.create(
        [
            NewTicket("Refund please", "I want a refund for order 4411, money back please."),
            NewTicket("App crash", "The app crashes with an error when I save."),
        ]
    )
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    assert {name for name, _ in calls} >= {"upsert_runs", "upsert_decisions", "upsert_writes"}
    [account] = set(accounts)
    with AuditStore.open(None, state_dir=tmp_path / "replayed", account=account) as store:
        for name, args in calls:
            getattr(store, name)(*args)
    live = dump(tmp_path / "state")
    assert len(live["decisions"]) == 2
    assert live == dump(tmp_path / "replayed")


def test_a_feeds_own_run_keeps_its_mode_whatever_its_events_say(tmp_path: Path) -> None:
    """serve's feed is opened with mode ``serve``; a ``run_started`` that names no mode (an
    older server's) must not turn its decisions into ``normal`` ones, whether the decision's
    planned row or its logged one reaches the feed first."""
    writer = open_writer(tmp_path / "sqlite3", account=ACCOUNT)
    feed = AuditFeed(writer, run_id=RUN, helpdesk="zendesk", mode="serve", clock=lambda: NOW)
    feed.event({**EVENTS[0], "mode": None, "dry_run": False, "shadow": False})
    triaged = {"event": "ticket_triaged", "ts": _ts(NOW), "run_id": RUN, "category": "billing"}
    feed.event({**triaged, "ticket_id": 1})  # logged first, then planned
    feed.planned({"ticket_id": 1, "category": "billing"})
    feed.planned({"ticket_id": 2, "category": "billing"})  # planned first, then logged
    feed.event({**triaged, "ticket_id": 2})
    feed.close()
    writer.close()
    conn = sqlite3.connect(tmp_path / "sqlite3" / FILE_NAME)
    try:
        modes = dict(conn.execute("SELECT ticket_id, mode FROM decisions").fetchall())
        runs = dict(conn.execute("SELECT run_id, mode FROM runs").fetchall())
    finally:
        conn.close()
    assert modes == {1: "serve", 2: "serve"}
    assert runs == {RUN: "serve"}


def test_a_batch_is_stored_whole_or_not_at_all_by_either_writer(
    tmp_path: Path, both: tuple[AuditStore, SqliteWriter]
) -> None:
    """A feed's flush is one transaction: a write that fails takes the batch's run and
    decisions with it, where a commit per table had kept them."""
    run = {"run_id": RUN, "started_at": NOW, "helpdesk": "zendesk", "mode": "normal"}
    decision = {"run_id": RUN, "ticket_id": 9, "at": NOW, "status": "planned"}
    refused = {"run_id": RUN, "ticket_id": 9, "at": NOW, "kind": "triage", "ok": "yes"}

    def flush(target: AuditStore | SqliteWriter) -> None:
        with target.batch():
            target.upsert_runs([run])
            target.upsert_decisions([decision])
            target.upsert_writes([refused])

    for target in both:
        with pytest.raises(AuditStoreError):
            flush(target)
    for name in ("sqlite3", "sqlalchemy"):
        held = dump(tmp_path / name)
        assert (held["runs"], held["decisions"], held["writes"]) == ([], [], []), name
    for target in both:  # and a batch that succeeds is all there
        with target.batch():
            target.upsert_runs([run])
            target.upsert_decisions([decision])
    assert len(dump(tmp_path / "sqlite3")["decisions"]) == 1
    assert dump(tmp_path / "sqlite3") == dump(tmp_path / "sqlalchemy")


def test_a_feeds_flush_commits_once(tmp_path: Path) -> None:
    """A flush holding a run, decisions, writes and an outcome: one COMMIT on the writer's
    connection (the statements SQLite is asked to run, traced), not one per table and
    outcome."""
    outcome = next(i for i, e in enumerate(EVENTS) if e["event"] == "ticket_outcome")
    assert not {e["event"] for e in EVENTS[:outcome]} & {"run_finished", "shadow_outcome"}
    with open_writer(tmp_path, account=ACCOUNT) as writer:
        statements: list[str] = []
        writer._conn.set_trace_callback(statements.append)
        feed = AuditFeed(writer, run_id=RUN, helpdesk="zendesk", mode="normal", clock=lambda: NOW)
        for record in EVENTS[:outcome]:
            feed.event(record)  # held: the batch is not full
        assert statements == []
        feed.event(EVENTS[outcome])  # an outcome flushes
        writer._conn.set_trace_callback(None)
        assert feed.failed is None
    held = dump(tmp_path)
    assert all(held[name] for name in ("runs", "decisions", "writes", "corrections"))
    assert statements.count("BEGIN IMMEDIATE") == statements.count("COMMIT") == 1
