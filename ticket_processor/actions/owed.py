"""The changes' memory: each proposed change, and each approved one owed to the API, in one
SQLite file (``<state dir>/actions.sqlite3``) that every run and ``serve`` share.

A change is proposed (``proposed``, or ``refused`` with its reason when over a limit); an
agent's approval makes it ``owed`` — written and committed *before* the first byte of its call
goes out, as the escalations' outbox does — and it becomes ``done`` (or ``failed``, for an
answer that no retry changes) once the API answered. A process killed between leaves it
``owed``: the next run calls again with the same idempotency key, which the API answers with
the change it already made, so a kill -9 neither loses nor repeats one. ``noted`` says the
result's note reached the ticket: 0 not yet, 2 its write begun (committed before the write, so
a run killed while it went out leaves 2: the next run reads the ticket for the note's marker
before it writes again), 1 written.

A done change's undo (``ticketbot revert``, where the action declares one) is kept the same
way in ``undo``: ``owed`` on disk before its call's first byte, ``done`` or ``failed`` once the
API answered; a revert run again calls an owed one again, under its own idempotency key.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson

from ..common.sealed import open_text, seal_text
from ..common.sqlite_wal import enter_wal

STORE_FILE = "actions.sqlite3"
# A proposal no agent approved in this many days is no longer read by each run (its ticket's
# note still shows it; an agent who wants it asks again).
WAIT_DAYS = 14

_SCHEMA = """
CREATE TABLE IF NOT EXISTS change (
    ticket_id INTEGER NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    inputs TEXT NOT NULL,
    reason TEXT,
    proposed_at REAL NOT NULL,
    approver TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    result TEXT,
    noted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (ticket_id, action)
);
CREATE TABLE IF NOT EXISTS undo (
    ticket_id INTEGER NOT NULL,
    action TEXT NOT NULL,
    run_id TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    noted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (ticket_id, action)
);
"""


@dataclass(frozen=True)
class Change:
    ticket_id: int
    action: str
    status: str  # proposed, approved (serve's API), refused, owed, done, failed
    inputs: dict[str, str]
    reason: str | None
    approver: str | None
    attempts: int
    result: dict[str, object] | None
    noted: bool
    noting: bool = False  # its note's write was begun and not confirmed (a kill, perhaps)


class ChangeStore:
    """The changes of one state directory; each method its own short transaction."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / STORE_FILE
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            enter_wal(db)
            db.executescript(_SCHEMA)  # its own transaction
        finally:
            db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            enter_wal(db)
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def propose(
        self, ticket_id: int, action: str, inputs: Mapping[str, str], refused: str | None
    ) -> bool:
        """Record a proposal once (True: new; False: the ticket already has one for it)."""
        status = "refused" if refused else "proposed"
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO change (ticket_id, action, status, inputs, reason, "
                "proposed_at, noted) VALUES (?, ?, ?, ?, ?, ?, 1)",
                (
                    ticket_id,
                    action,
                    status,
                    # The inputs (an order number, the requester's address) and a refusal's
                    # reason: encrypted when a key is set (``common.sealed``).
                    seal_text(orjson.dumps(dict(inputs)).decode()),
                    seal_text(refused) if refused is not None else None,
                    time.time(),
                ),
            )
            return cursor.rowcount == 1

    def approve(self, ticket_id: int, action: str, approver: str) -> str | None:
        """An agent's approval given outside the helpdesk (``serve``'s API): the proposal
        becomes ``approved``, which the next run carries out as a tag's approval. The status
        it found (None: no such proposal); only a ``proposed`` one moves."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT status FROM change WHERE ticket_id = ? AND action = ?", (ticket_id, action)
            ).fetchone()
            if row is not None and row[0] == "proposed":
                db.execute(
                    "UPDATE change SET status = 'approved', approver = ? "
                    "WHERE ticket_id = ? AND action = ?",
                    (approver, ticket_id, action),
                )
        return str(row[0]) if row is not None else None

    def waiting(self, *, now: float | None = None) -> list[Change]:
        """Every change still waiting for an approval (proposed in the last ``WAIT_DAYS``), or
        approved, or owed, or whose result is not noted."""
        since = (time.time() if now is None else now) - WAIT_DAYS * 86400
        with self._transaction() as db:
            rows = db.execute(
                "SELECT * FROM change WHERE (status = 'proposed' AND proposed_at >= ?) "
                "OR status IN ('approved', 'owed') OR noted != 1 ORDER BY proposed_at",
                (since,),
            ).fetchall()
        return [_change(row) for row in rows]

    def get(self, ticket_id: int, action: str) -> Change | None:
        with self._transaction() as db:
            row = db.execute(
                "SELECT * FROM change WHERE ticket_id = ? AND action = ?", (ticket_id, action)
            ).fetchone()
        return _change(row) if row else None

    def settle(
        self,
        ticket_id: int,
        action: str,
        status: str,
        *,
        approver: str | None = None,
        reason: str | None = None,
        result: Mapping[str, object] | None = None,
        attempt: bool = False,
    ) -> None:
        """Move a change on (``owed`` before its call; ``done``/``failed``/``refused`` after)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE change SET status = ?, approver = COALESCE(?, approver), "
                "reason = COALESCE(?, reason), result = COALESCE(?, result), "
                "attempts = attempts + ?, noted = CASE WHEN ? IN ('done', 'failed', 'refused') "
                "THEN 0 ELSE noted END WHERE ticket_id = ? AND action = ?",
                (
                    status,
                    approver,
                    seal_text(reason) if reason is not None else None,
                    seal_text(orjson.dumps(dict(result)).decode()) if result is not None else None,
                    1 if attempt else 0,
                    status,
                    ticket_id,
                    action,
                ),
            )

    def noted(self, ticket_id: int, action: str, *, begun: bool = False) -> None:
        """The result's note written (``begun``: its write about to go out)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE change SET noted = ? WHERE ticket_id = ? AND action = ?",
                (2 if begun else 1, ticket_id, action),
            )

    def owe_undo(self, ticket_id: int, action: str, run_id: str) -> Undo:
        """A done change's undo, recorded ``owed`` before its call's first byte, once: the undo
        as it stands (``owed`` again for one a kill or a silent API left owed; ``done`` for one
        already made, which is not made twice)."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO undo (ticket_id, action, run_id, status) "
                "VALUES (?, ?, ?, 'owed')",
                (ticket_id, action, run_id),
            )
            row = db.execute(
                "SELECT status, reason, attempts, noted FROM undo "
                "WHERE ticket_id = ? AND action = ?",
                (ticket_id, action),
            ).fetchone()
        status, reason, attempts, noted = row
        return Undo(
            ticket_id,
            action,
            str(status),
            open_text(str(reason), STORE_FILE) if reason is not None else None,
            int(str(attempts)),
            str(noted) == "1",
        )

    def settle_undo(
        self, ticket_id: int, action: str, status: str, *, reason: str | None = None
    ) -> None:
        """An undo's call answered (``done``/``failed``) or not (``owed``: tried again)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE undo SET status = ?, reason = ?, attempts = attempts + 1 "
                "WHERE ticket_id = ? AND action = ?",
                (status, seal_text(reason) if reason else None, ticket_id, action),
            )

    def undo_noted(self, ticket_id: int, action: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE undo SET noted = 1 WHERE ticket_id = ? AND action = ?", (ticket_id, action)
            )


@dataclass(frozen=True)
class Undo:
    ticket_id: int
    action: str
    status: str  # owed, done, failed
    reason: str | None
    attempts: int
    noted: bool


def _change(row: tuple[object, ...]) -> Change:
    ticket_id, action, status, inputs, reason, _, approver, attempts, result, noted = row
    where = STORE_FILE
    return Change(
        ticket_id=int(str(ticket_id)),
        action=str(action),
        status=str(status),
        inputs=orjson.loads(open_text(str(inputs), where)),
        reason=open_text(str(reason), where) if reason is not None else None,
        approver=str(approver) if approver is not None else None,
        attempts=int(str(attempts)),
        result=orjson.loads(open_text(str(result), where)) if result is not None else None,
        noted=str(noted) == "1",
        noting=str(noted) == "2",
    )
