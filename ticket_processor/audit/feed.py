"""``AuditFeed``: how a run (or ``serve``) writes the audit store as it goes.

It listens to the run's event log (``EventLog.listen``): every event, as written to the
JSON-lines file, is turned into rows (``rows.EventRows``) and kept in a small buffer. The
recorder also hands it each decision when its change is planned (``planned``), before the
write is sent, with what the log does not carry (the subject, the drafted answer).

``flush`` writes the buffer in one transaction. The run flushes before each write to the
helpdesk is journalled (``run.audit``), so a decision is in the store before its change can
reach the helpdesk: a kill -9 at any point loses no decision that was written (it may stay
``planned`` when the kill came between the store and the helpdesk's answer). The buffer is
also flushed when it holds ``batch_rows`` rows and at the end, so a run holds at most a few
hundred rows, whatever its size.

Rows of one decision met twice before a flush are merged (``planned`` then ``written``: one
row). A store that fails (the database is down, the disk is full) does not stop the run: the
feed reports it once through ``on_error``, stops writing, and the rows stay in the logs, from
which ``ticketbot audit import`` loads them later.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from .rows import EventRows, Outcome, RunInfo, decision_values
from .writer import AuditStoreError

if TYPE_CHECKING:
    from .store import AuditStore

Key = tuple[object, ...]


class AuditWriter(Protocol):
    """What a feed writes through: ``store.AuditStore`` (SQLAlchemy: PostgreSQL, ``serve``,
    ``audit import``) or ``writer.SqliteWriter`` (a run's embedded store, no SQLAlchemy)."""

    where: str

    def upsert_runs(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def upsert_decisions(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def upsert_writes(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def record_outcome(self, outcome: Outcome) -> None: ...
    def prune(self, before: datetime) -> dict[str, int]: ...
    def close(self) -> None: ...


class AuditFeed:
    """Buffers a run's rows and writes them in batches. Thread-safe."""

    def __init__(
        self,
        store: AuditWriter,
        *,
        run_id: str,
        helpdesk: str,
        mode: str,
        on_error: Callable[[str], None] = lambda message: None,
        batch_rows: int = 200,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.info = RunInfo(helpdesk, mode)
        self._runs: dict[str, RunInfo] = {run_id: self.info}
        self._on_error = on_error
        self._batch_rows = batch_rows
        self._clock = clock
        self._lock = threading.RLock()
        self._runs_rows: dict[Key, dict[str, Any]] = {}
        self._decisions: dict[Key, dict[str, Any]] = {}
        self._writes: dict[Key, dict[str, Any]] = {}
        self._outcomes: list[Outcome] = []
        self.failed: str | None = None  # why the store stopped being written, once it did
        self.stored = 0  # decisions written so far

    # -- what the run tells it ----------------------------------------------------------

    def event(self, record: Mapping[str, Any]) -> None:
        """One event as the log wrote it (the log's listener)."""
        if self.failed is not None:
            return
        rows = EventRows.of(record, self._runs)
        # The feed's own run has the mode it was opened with, whatever its events say.
        self._runs[self.run_id] = self.info
        with self._lock:
            for row in rows.runs:
                if row["run_id"] == self.run_id:
                    row["mode"] = self.info.mode
                row.setdefault("mode", self.info.mode)
                _merge(self._runs_rows, ("run", row["run_id"]), row)
            for row in rows.decisions:
                _merge(self._decisions, _decision_key(row), row)
            for row in rows.writes:
                _merge(self._writes, (*_decision_key(row), row["kind"]), row)
            self._outcomes.extend(rows.outcomes)
            full = len(self._decisions) + len(self._writes) >= self._batch_rows
        if full or rows.outcomes or record.get("event") == "run_finished":
            self.flush()

    def planned(self, fields: Mapping[str, Any]) -> None:
        """A decision whose change is planned, not yet written: ``ticket_triaged``'s fields
        (with ``subject`` and ``answer``, which the log leaves out)."""
        if self.failed is not None:
            return
        ticket = fields.get("ticket_id")
        if not isinstance(ticket, int):
            return
        row = {
            "run_id": self.run_id,
            "ticket_id": ticket,
            "message_id": 0,
            "at": self._clock(),
            "helpdesk": self.info.helpdesk,
            "mode": self.info.mode,
            "status": "planned",
            **decision_values(fields),
        }
        with self._lock:
            _merge(self._decisions, _decision_key(row), row)

    # -- writing ------------------------------------------------------------------------

    def flush(self) -> None:
        """Write what is buffered, in one go. Safe to call from any thread, at any time."""
        with self._lock:
            if self.failed is not None:
                return
            runs = list(self._runs_rows.values())
            found = list(self._decisions.values())
            writes = list(self._writes.values())
            outcomes = list(self._outcomes)
            if not (runs or found or writes or outcomes):
                return
            try:
                self.store.upsert_runs(runs)
                self.store.upsert_decisions(found)
                self.store.upsert_writes(writes)
                for outcome in outcomes:
                    self.store.record_outcome(outcome)
            except Exception as exc:
                if not _store_failure(exc):
                    raise
                self.failed = f"the audit store {self.store.where} failed: {_reason(exc)}"
                self._clear()
                self._on_error(self.failed)
                return
            self.stored += len(found)
            self._clear()

    def close(self) -> None:
        self.flush()

    def _clear(self) -> None:
        self._runs_rows.clear()
        self._decisions.clear()
        self._writes.clear()
        self._outcomes.clear()


def _decision_key(row: Mapping[str, Any]) -> Key:
    return (row["run_id"], row["ticket_id"], row.get("message_id", 0))


def _merge(into: dict[Key, dict[str, Any]], key: Key, row: dict[str, Any]) -> None:
    """A later row of the same identity wins field by field; what it lacks stays."""
    earlier = into.get(key)
    into[key] = {**earlier, **row} if earlier is not None else row


def _store_failure(exc: Exception) -> bool:
    if isinstance(exc, AuditStoreError):
        return True
    # Only a store on SQLAlchemy raises its errors; a run on ``SqliteWriter`` never loads it.
    sa = sys.modules.get("sqlalchemy")
    return sa is not None and isinstance(exc, sa.exc.SQLAlchemyError)


def _reason(exc: BaseException) -> str:
    original = getattr(exc, "orig", None)
    lines = str(original if original is not None else exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


class CorrectionFeed:
    """What agents left on tickets against what ticketbot wrote, found after the fact (the
    feedback harvest of ``learn --from-helpdesk``): a ``corrections`` row per field ticketbot
    wrote, ``agreed`` or not, written in batches. ``source`` names who found them; a ticket
    found again replaces its rows (their identity has no run)."""

    def __init__(self, store: AuditStore, *, source: str = "feedback", batch_rows: int = 500):
        self.store = store
        self.source = source
        self._batch_rows = batch_rows
        self._rows: dict[Key, dict[str, Any]] = {}
        self.stored = 0

    def __call__(
        self, ticket_id: int, written: Mapping[str, str], agent: Mapping[str, str]
    ) -> None:
        now = datetime.now(UTC)
        for name, ours in written.items():
            if name not in agent:
                continue
            self._rows[(ticket_id, name)] = {
                "ticket_id": ticket_id,
                "at": now,
                "run_id": "",
                "source": self.source,
                "field": name,
                "ticketbot": ours,
                "agent": agent[name],
                "agreed": ours == agent[name],
            }
        if len(self._rows) >= self._batch_rows:
            self.flush()

    def flush(self) -> None:
        rows = list(self._rows.values())
        self._rows.clear()
        if rows:
            self.store.upsert_corrections(rows)
            self.stored += len(rows)
