"""``AuditFeed``: how a run (or ``serve``) writes the audit store as it goes.

It listens to the run's event log (``EventLog.listen``): every event, as written to the
JSON-lines file, is turned into rows (``rows.EventRows``) and kept in a small buffer. The
recorder also hands it each decision when its change is planned (``planned``), before the
write is sent, with what the log does not carry (the subject, the drafted answer).

``flush`` writes the buffer in one transaction (the writer's ``batch``). The run flushes
before each write to the helpdesk is journalled (``run.audit``), so a decision is in the store
before its change can reach the helpdesk: a kill -9 at any point loses no decision that was
written (it may stay ``planned`` when the kill came between the store and the helpdesk's
answer). The buffer is also flushed when it holds ``batch_rows`` rows and at the end, so a run
holds at most a few hundred rows, whatever its size.

Rows of one decision met twice before a flush are merged (``planned`` then ``written``: one
row). A store that fails (the database is down, the disk is full) does not stop the run: the
feed reports it once through ``on_error``, stops writing, and the rows stay in the logs, from
which ``ticketbot audit import`` loads them later.

A server lives for days, longer than any outage: ``serve``'s feed is handed ``reopen`` (how to
open the store again). After a failure it keeps what it holds (at most ``HELD_ROWS`` rows; past
that, the oldest go, and the logs keep them), opens the store again at once and then after
waits that double up to ``RETRY_MAX`` seconds, and says once through ``on_recover`` that the
store is written again and how many rows it let go. A run's store that a later run set aside
(damaged) and replaced is written again that way, not the file set aside.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from .rows import EventRows, Outcome, RunInfo, decision_values, run_mode
from .writer import AuditStoreError

if TYPE_CHECKING:
    from .store import AuditStore

Key = tuple[object, ...]
# A failed store's feed keeps at most this many rows for it (a server's hour or so).
HELD_ROWS = 5000
# Waits between a failed store's attempts to open it again: the first at once, then doubling.
RETRY_FIRST = 1.0
RETRY_MAX = 60.0


class AuditWriter(Protocol):
    """What a feed writes through: ``store.AuditStore`` (SQLAlchemy: PostgreSQL, ``serve``,
    ``audit import``) or ``writer.SqliteWriter`` (a run's embedded store, no SQLAlchemy)."""

    where: str

    def batch(self) -> AbstractContextManager[None]: ...
    def upsert_runs(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def upsert_decisions(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def upsert_writes(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def upsert_ratings(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def upsert_sla_clocks(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
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
        reopen: Callable[[], AuditWriter] | None = None,
        on_recover: Callable[[str, int], None] = lambda where, dropped: None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self._reopen = reopen
        self._on_recover = on_recover
        self._monotonic = monotonic
        self._retry_at = 0.0
        self._wait = 0.0  # before the next attempt after a failure: none the first time
        self._recovering = False  # failed since the last write that went through
        self.dropped = 0  # rows let go while the store failed (the logs keep them)
        self._started: dict[str, Any] | None = None  # this run's row as it started
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
        self._ratings: dict[Key, dict[str, Any]] = {}
        self._clocks: dict[Key, dict[str, Any]] = {}
        self.failed: str | None = None  # why the store stopped being written, once it did
        self.stored = 0  # decisions written so far

    # -- what the run tells it ----------------------------------------------------------

    def event(self, record: Mapping[str, Any]) -> None:
        """One event as the log wrote it (the log's listener)."""
        if self._stopped():
            return
        run_id = record.get("run_id")
        if isinstance(run_id, str) and run_id not in self._runs and self.info.helpdesk:
            # A killed run's event, logged or handed over by the next run
            # (``run.discovery.record_landed``): a run of this feed's helpdesk, whose
            # ``run_started`` this feed did not see.
            self._runs[run_id] = RunInfo(self.info.helpdesk, run_mode(record))
        rows = EventRows.of(record, self._runs)
        # The feed's own run has the mode it was opened with, whatever its events say.
        self._runs[self.run_id] = self.info
        with self._lock:
            for row in rows.runs:
                if row["run_id"] == self.run_id:
                    row["mode"] = self.info.mode
                    if "started_at" in row:  # written again to a store opened anew
                        self._started = dict(row)
                row.setdefault("mode", self.info.mode)
                _merge(self._runs_rows, ("run", row["run_id"]), row)
            for row in rows.decisions:
                _merge(self._decisions, _decision_key(row), row)
            for row in rows.writes:
                _merge(self._writes, (*_decision_key(row), row["kind"]), row)
            self._outcomes.extend(rows.outcomes)
            for row in rows.ratings:
                _merge(self._ratings, (row["ticket_id"], row["source"], row["item"]), row)
            for row in rows.sla_clocks:
                _merge(self._clocks, (row["helpdesk"], row["ticket_id"], row["metric"]), row)
            full = len(self._decisions) + len(self._writes) >= self._batch_rows
        if full or rows.outcomes or rows.ratings or rows.sla_clocks or _finished(record):
            self.flush()

    def planned(self, fields: Mapping[str, Any]) -> None:
        """A decision whose change is planned, not yet written: ``ticket_triaged``'s fields
        (with ``subject`` and ``answer``, which the log leaves out)."""
        if self._stopped():
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
            if self._stopped():
                return
            if not (
                self._runs_rows
                or self._decisions
                or self._writes
                or self._outcomes
                or self._ratings
                or self._clocks
            ):
                return
            for _attempt in range(2):  # a store that fails is opened again at once, once
                if self.failed is not None and not self._opened_again():
                    self._bound()
                    return
                runs = list(self._runs_rows.values())
                found = list(self._decisions.values())
                writes = list(self._writes.values())
                outcomes = list(self._outcomes)
                rated = list(self._ratings.values())
                clocks = list(self._clocks.values())
                try:
                    # One transaction: a commit per table and outcome was most of a run's
                    # audit time (each a sync of the write-ahead log at its checkpoint).
                    with self.store.batch():
                        self.store.upsert_runs(runs)
                        self.store.upsert_decisions(found)
                        self.store.upsert_writes(writes)
                        for outcome in outcomes:
                            self.store.record_outcome(outcome)
                        self.store.upsert_ratings(rated)
                        self.store.upsert_sla_clocks(clocks)
                    break
                except Exception as exc:
                    if not _store_failure(exc):
                        raise
                    self._failing(f"the audit store {self.store.where} failed: {_reason(exc)}")
                    if self._reopen is None:
                        return
            else:
                return
            self.stored += len(found)
            self._clear()
            if self._recovering:  # written again after a failure: said once
                self._recovering, self._wait = False, 0.0
                self._on_recover(self.store.where, self.dropped)
                self.dropped = 0

    def not_opened(self, reason: str) -> None:
        """The store could not be opened at the start (already said): a feed with ``reopen``
        opens it when rows come, and says when it does."""
        self.failed = reason
        self._recovering = True

    def _stopped(self) -> bool:
        """Nothing is kept or written: the store failed and will not be opened again."""
        return self.failed is not None and self._reopen is None

    def _failing(self, reason: str) -> None:
        """The store failed: said once; without ``reopen`` the feed stops, else it keeps its rows
        (within ``HELD_ROWS``) and opens the store again: at once, then after doubling waits."""
        if self.failed is None and not self._recovering:
            self._on_error(reason)
        self.failed = reason
        if self._reopen is None:
            self._clear()
            return
        wait = self._wait
        self._retry_at = self._monotonic() + wait
        self._wait = min(max(wait * 2, RETRY_FIRST), RETRY_MAX)
        self._recovering = True

    def _bound(self) -> None:
        held = len(self._runs_rows) + len(self._decisions) + len(self._writes) + len(self._outcomes)
        if held > HELD_ROWS:
            self.dropped += held
            self._clear()

    def _opened_again(self) -> bool:
        """Open the failed store again when its wait is over; True once it is open."""
        if self._reopen is None or self._monotonic() < self._retry_at:
            return False
        try:
            store = self._reopen()
        except Exception as exc:
            if not _store_failure(exc):
                raise
            self._failing(f"the audit store failed: {_reason(exc)}")
            return False
        with contextlib.suppress(Exception):  # the old store's connection is gone anyway
            self.store.close()
        self.store = store
        self.failed = None
        if self._started is not None:
            # A store made anew (a damaged one set aside) has not seen this run start: its row
            # goes first, what is newer of it after.
            key = ("run", self.run_id)
            self._runs_rows[key] = {**self._started, **self._runs_rows.get(key, {})}
        return True

    def close(self) -> None:
        self._retry_at = 0.0  # a failed store is tried once more for the last rows
        self.flush()

    def _clear(self) -> None:
        self._runs_rows.clear()
        self._decisions.clear()
        self._writes.clear()
        self._outcomes.clear()
        self._ratings.clear()
        self._clocks.clear()


def _finished(record: Mapping[str, Any]) -> bool:
    return record.get("event") == "run_finished"


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
