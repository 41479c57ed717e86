"""``AuditStore``: opening the audit store, upgrading its schema, and writing to it.

    store = AuditStore.open(None, state_dir=Path(".ticketbot"), account="zendesk:acme")
    store.upsert_decisions([{...}])  # keyed by account, run_id, ticket_id, message_id
    page = store.list_decisions(DecisionQuery(DecisionFilter(category="billing"), limit=50))
    history = store.ticket_history(4312)
    overview = store.overview(since=now - timedelta(days=1))
    store.close()

``url`` None (or empty) is the embedded store, ``<state_dir>/audit.sqlite3``; a
``postgresql://`` URL (``TICKETBOT_DATABASE_URL``) is a shared PostgreSQL store, where each
row's ``account`` keeps accounts and hosts apart. Opening upgrades the schema to this
version's (Alembic; ``SCHEMA_VERSION``), under a lock, so two processes opening an old store
at once upgrade it once.

SQLite: WAL (readers never wait for the writer), ``busy_timeout`` (a writer waits for
another instead of failing), ``synchronous=NORMAL`` (a committed transaction survives a
kill -9 of the process; WAL keeps the file consistent across a power cut), and every write
transaction ``BEGIN IMMEDIATE``: one writer at a time across processes — runs, ``serve`` and
the dashboard — each waiting its turn rather than failing halfway. Every write is one short
transaction of a batch of rows; nothing is held open between them.

Reads are in ``queries`` (the dashboard's list, a ticket's history) and ``overview`` (the
figures); this class
delegates to them so callers hold one object. Every failure of the database is an
``AuditStoreError`` naming the store (never its password) and what to do.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from . import overview as figures
from . import queries
from .batches import by_shape, chunks, utc, with_account
from .engine import current_version, engine_for, reason, run_migrations, upsert_statement
from .location import database_url, describe_url
from .overview import Overview, RunRow
from .queries import DecisionFilter, DecisionPage, DecisionQuery, TicketHistory
from .rows import Outcome
from .schema import (
    corrections,
    decisions,
    metadata,
    ratings,
    reverts,
    reviews,
    runs,
    sla_clocks,
    writes,
)
from .tables import CORRECTIONS, DECISIONS, RATINGS, REVERTS, RUNS, SLA_CLOCKS, WRITES
from .writer import (
    FILE_NAME,
    SCHEMA_VERSION,
    AuditStoreError,
    file_identity,
)


class AuditStore:
    """One audit store, for one account (``account``: the value its rows carry; reads see
    that account's rows only). Thread-safe: SQLAlchemy's pool gives each thread a connection."""

    def __init__(self, engine: sa.Engine, *, account: str = "", where: str = "") -> None:
        self.engine = engine
        self.account = account
        self.where = where or describe_url(str(engine.url))
        self.dialect = engine.dialect.name
        # One writer per process (re-entrant: a write inside ``batch`` takes it again); SQLite's
        # lock across them.
        self._write_lock = threading.RLock()
        self._batch: sa.Connection | None = None  # a ``batch`` transaction's (under the lock)
        # The embedded store's file as opened: a run that sets a damaged one aside puts a new
        # file at its path, which the pool's connections do not see (``replaced``).
        name = engine.url.database if self.dialect == "sqlite" else None
        self._path = Path(name) if name and name != ":memory:" else None
        self._file = file_identity(self._path) if self._path is not None else None

    def replaced(self) -> bool:
        """The embedded store's path names another file than the one opened (set aside and
        made anew, or removed); always False for PostgreSQL."""
        return self._path is not None and file_identity(self._path) != self._file

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls, url: str | None, *, state_dir: Path, account: str = "", upgrade: bool = True
    ) -> AuditStore:
        """Open (creating and upgrading as needed) the store the setting names."""
        full = database_url(url, state_dir)
        where = describe_url(full)
        try:
            engine = engine_for(full, state_dir)
        except ImportError as exc:
            raise AuditStoreError(
                f"cannot open the audit store {where}: {exc}; for PostgreSQL install "
                "ticketbot's postgres extra: pip install 'ticketbot[postgres]'"
            ) from None
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise AuditStoreError(
                f"cannot open the audit store {where}: {exc}; check TICKETBOT_DATABASE_URL"
            ) from None
        store = cls(engine, account=account, where=where)
        if upgrade:
            try:
                store.upgrade()
            except AuditStoreError:  # damaged (``engine``): said as such, with what to do
                engine.dispose()
                raise
            except sa.exc.SQLAlchemyError as exc:
                engine.dispose()
                raise AuditStoreError(
                    f"cannot open the audit store {where}: {reason(exc)}; check "
                    "TICKETBOT_DATABASE_URL and that the database accepts connections"
                ) from None
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> AuditStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def version(self) -> str | None:
        """The schema version the database is at (None: an empty database)."""
        with self.engine.connect() as conn:
            return current_version(conn)

    def upgrade(self, target: str = "head") -> None:
        """Bring the schema to ``target`` (the newest by default), once across processes."""
        with self._writing() as conn:
            if target == "head" and current_version(conn) == SCHEMA_VERSION:
                return
            if self.dialect == "postgresql":
                # Two hosts upgrading one shared store at once: the second waits, then finds
                # it done. The lock ends with the transaction.
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(7245130386)"))
            run_migrations(conn, target)
            # The query planner's figures for every index, the new ones too: without them
            # SQLite may take a new index over the one that gives the list its order.
            conn.exec_driver_sql("ANALYZE")

    # -- writing ---------------------------------------------------------------------------

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Every write inside is one transaction: one commit for a feed's flush, not one per
        table and outcome; all of it is stored or none."""
        with self._writing() as conn:
            self._batch = conn
            try:
                yield
            finally:
                self._batch = None

    @contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        """One write transaction: ``BEGIN IMMEDIATE`` on SQLite (one writer across processes);
        inside ``batch``, that batch's transaction."""
        with self._write_lock:
            if self._batch is not None:
                yield self._batch  # the batch commits, or rolls back, all of it
                return
            try:
                connection = self.engine.connect()
            except sa.exc.SQLAlchemyError as exc:
                # Not reached at all (a server down, a database missing): say that, not "write".
                raise AuditStoreError(
                    f"cannot reach the audit store {self.where}: {reason(exc)}"
                ) from None
            try:
                with connection as conn:
                    conn = conn.execution_options(audit_write=True)
                    with conn.begin():
                        yield conn
            except sa.exc.SQLAlchemyError as exc:
                raise AuditStoreError(
                    f"cannot write the audit store {self.where}: {reason(exc)}"
                ) from None

    def upsert_runs(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert runs, or update those already stored (by account and run id) with the
        values given (a value not given is kept)."""
        self._upsert(runs, rows, RUNS.identity)

    def upsert_decisions(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert decisions, or update the stored one of the same run, ticket and message
        with the values given: a decision stored as ``planned`` becomes ``written``."""
        self._upsert(decisions, rows, DECISIONS.identity)

    def upsert_ratings(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Agents' ratings; the same rater's rating of the same item again replaces it."""
        self._upsert(ratings, rows, RATINGS.identity)

    def upsert_sla_clocks(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """The clocks of an SLA read; a ticket's target read again replaces its row."""
        self._upsert(sla_clocks, rows, SLA_CLOCKS.identity)

    def upsert_writes(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Writes; an answer sent (kind ``answer``) also marks the ticket's decisions whose
        answer was planned to be sent as ``sent``, with the reply's id; one cancelled (kind
        ``answer_cancelled``) marks them ``cancelled``. A dry or shadow run's planned answer
        stays as it was planned: that run sent nothing."""
        self._upsert(writes, rows, WRITES.identity)
        sent = [r for r in rows if r.get("kind") == "answer" and r.get("ok")]
        cancelled = [r for r in rows if r.get("kind") == "answer_cancelled"]
        if not sent and not cancelled:
            return
        with self._writing() as conn:
            for row in [*sent, *cancelled]:
                was_sent = row.get("kind") == "answer"
                conn.execute(
                    decisions.update()
                    .where(
                        decisions.c.account == row.get("account", self.account),
                        decisions.c.ticket_id == row["ticket_id"],
                        decisions.c.answer_state == "planned",
                        # A dry or shadow run's plan sent nothing: a later real send is not its.
                        decisions.c.mode.not_in(("dry-run", "shadow")),
                    )
                    .values(
                        answer_state="sent" if was_sent else "cancelled",
                        **({"reply_id": row.get("reply_id")} if was_sent else {}),
                    )
                )

    def upsert_reverts(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._upsert(reverts, rows, REVERTS.identity)

    def upsert_corrections(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Corrections and agreements found after the fact; each marks the ticket's
        decisions of that field's disagreement as ``corrected``."""
        self._upsert(corrections, rows, CORRECTIONS.identity)
        corrected = {int(row["ticket_id"]) for row in rows if row.get("agreed") is False}
        if corrected:
            with self._writing() as conn:
                for chunk in chunks(sorted(corrected)):
                    conn.execute(
                        decisions.update()
                        .where(decisions.c.account == self.account)
                        .where(decisions.c.ticket_id.in_(chunk))
                        .values(corrected=True)
                    )

    def record_outcome(self, outcome: Outcome) -> None:
        """A ticket ticketbot triaged was solved or closed: mark the latest decision it had
        by then, and compare each label the agents left with ticketbot's value (a correction
        row per field, ``agreed`` or not)."""
        d = decisions.c
        statuses = outcome.statuses()
        with self._writing() as conn:
            row = (
                conn.execute(
                    sa.select(decisions)
                    .where(
                        d.account == self.account,
                        d.ticket_id == outcome.ticket_id,
                        d.kind == "triage",
                        d.status.in_(statuses),
                        d.at <= utc(outcome.at),
                    )
                    .order_by(d.at.desc(), d.id.desc())
                    .limit(1)
                )
                .mappings()
                .first()
            )
            if row is None:
                return
            values, found = outcome.marks(
                self.account,
                utc(outcome.at),
                lambda name: row.get(name) if name in decisions.c else None,
            )
            conn.execute(decisions.update().where(d.id == row["id"]).values(**values))
            if found:
                conn.execute(
                    upsert_statement(
                        self.dialect,
                        corrections,
                        found,
                        CORRECTIONS.identity,
                    ),
                    found,
                )

    def add_review(
        self,
        *,
        ticket_id: int,
        field: str,
        action: str,
        value: str | None,
        ticketbot: str | None = None,
        decision_id: int | None = None,
        reviewer: str = "",
        run_id: str | None = None,
        written: bool = False,
        at: datetime | None = None,
    ) -> int:
        """A lead's accept or correct of one field of a decision; returns the review's id.
        A correction (a value other than ticketbot's) also counts as a correction of the
        field, for the agreement figures and for ``learn``."""
        moment = utc(at) or datetime.now(UTC)
        row = {
            "account": self.account,
            "decision_id": decision_id,
            "ticket_id": ticket_id,
            "at": moment,
            "reviewer": reviewer,
            "action": action,
            "field": field,
            "ticketbot": ticketbot,
            "value": value,
            "run_id": run_id,
            "written": written,
        }
        with self._writing() as conn:
            result = conn.execute(reviews.insert().values(**row))
            key = result.inserted_primary_key
            review_id = int(key[0]) if key else 0
            if decision_id is not None:
                conn.execute(
                    decisions.update()
                    .where(decisions.c.id == decision_id, decisions.c.account == self.account)
                    .values(reviewed=action)
                )
        self.upsert_corrections(
            [
                {
                    "account": self.account,
                    "ticket_id": ticket_id,
                    "at": moment,
                    "run_id": f"review-{review_id}",
                    "source": "review",
                    "field": field,
                    "ticketbot": ticketbot,
                    "agent": value,
                    "agreed": action == "accept" or value == ticketbot,
                }
            ]
        )
        return review_id

    def prune(self, before: datetime) -> dict[str, int]:
        """Delete this account's rows older than ``before`` (the logs' retention); returns
        the rows deleted per table."""
        cutoff = utc(before)
        deleted: dict[str, int] = {}
        with self._writing() as conn:
            for table, column in (
                (decisions, decisions.c.at),
                (writes, writes.c.at),
                (reverts, reverts.c.at),
                (corrections, corrections.c.at),
                (reviews, reviews.c.at),
                (ratings, ratings.c.at),
                (sla_clocks, sla_clocks.c.at),
                (runs, runs.c.started_at),
            ):
                result = conn.execute(
                    table.delete().where(table.c.account == self.account, column < cutoff)
                )
                deleted[table.name] = int(result.rowcount or 0)
            if self.dialect == "sqlite":
                # Keeps the planner's figures current as the store grows (cheap: it analyses
                # only the tables that changed enough since).
                conn.exec_driver_sql("PRAGMA optimize")
        return deleted

    def _upsert(
        self, table: sa.Table, rows: Sequence[Mapping[str, Any]], keys: tuple[str, ...]
    ) -> None:
        if not rows:
            return
        with self._writing() as conn:
            for chunk in chunks(with_account(rows, self.account)):
                # Rows of one statement must have the same columns: group by shape.
                for shape in by_shape(chunk):
                    conn.execute(upsert_statement(self.dialect, table, shape, keys), shape)

    # -- reading (queries.py) --------------------------------------------------------------

    def list_decisions(self, query: DecisionQuery) -> DecisionPage:
        with self.engine.connect() as conn:
            return queries.list_decisions(conn, self.account, query)

    def count_decisions(self, where: DecisionFilter, *, cap: int = 10_000) -> int:
        with self.engine.connect() as conn:
            return queries.count_decisions(conn, self.account, where, cap=cap)

    def decision(self, decision_id: int) -> queries.Decision | None:
        with self.engine.connect() as conn:
            return queries.decision(conn, self.account, decision_id)

    def ticket_history(self, ticket_id: int, *, helpdesk: str | None = None) -> TicketHistory:
        with self.engine.connect() as conn:
            return queries.ticket_history(conn, self.account, ticket_id, helpdesk=helpdesk)

    def recent_runs(self, limit: int = 20) -> list[RunRow]:
        with self.engine.connect() as conn:
            return figures.recent_runs(conn, self.account, limit=limit)

    def overview(self, *, since: datetime, until: datetime | None = None) -> Overview:
        with self.engine.connect() as conn:
            return figures.overview(conn, self.account, since=since, until=until)

    def row_counts(self) -> dict[str, int]:
        """This account's rows per table."""
        with self.engine.connect() as conn:
            return {
                table.name: int(
                    conn.execute(
                        sa.select(sa.func.count()).where(table.c.account == self.account)
                    ).scalar_one()
                )
                for table in (runs, decisions, writes, reverts, corrections, reviews)
            }

    def accounts(self) -> list[str]:
        """Every account with decisions in the store (a shared store holds many)."""
        with self.engine.connect() as conn:
            statement = sa.select(decisions.c.account).group_by(decisions.c.account)
            return [str(value) for value in conn.execute(statement).scalars()]

    def values(self, column: str, *, limit: int = 200) -> list[str]:
        """The distinct values of a filterable column (for the filters' choices)."""
        with self.engine.connect() as conn:
            return queries.distinct_values(conn, self.account, column, limit=limit)


__all__ = [
    "FILE_NAME",
    "SCHEMA_VERSION",
    "AuditStore",
    "AuditStoreError",
    "DecisionFilter",
    "DecisionPage",
    "DecisionQuery",
    "Overview",
    "RunRow",
    "TicketHistory",
    "database_url",
    "metadata",
]
