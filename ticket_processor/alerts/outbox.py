"""The escalations' memory: what each channel is owed and what it took, in one SQLite file
(``<state dir>/escalations.sqlite3``) that ``serve`` and the cron run share.

An escalation is written here, with a row per channel it owes (``owed``), *before* the first
byte goes to any channel; each row is removed once its channel accepted the delivery
(PagerDuty's 202, the SMTP server's 250 for the mail, Teams' or the webhook's 2xx). A process
killed in between — the OOM killer, ``kill -9``, a pod past its grace — leaves the rows, and
the next run or the restarted server delivers them: at least once, and the channels'
de-duplication (PagerDuty's stable ``dedup_key``, the mail's stable ``Message-ID``) keeps a
repeat harmless. Every change is a transaction on rows, never a file written whole, so a
server and a cron run that record at the same moment both keep what they wrote.

One process delivers at a time (``delivering``: the OS lock on ``escalations.sqlite3.lock``,
which the OS drops when its holder dies, even on ``kill -9``); another that finds it held
leaves what it recorded to the holder, which delivers every owed row, or to the next run.

Besides the escalations: the open incidents' pages and the day of the last summary mail. An
``escalations.json`` from an earlier version is read once into the tables and removed.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from ..common.atomic import read_state_bytes, set_aside
from ..common.sealed import open_text, seal_text
from ..common.sqlite_wal import enter_wal
from ..errors import StateFileRefused
from ..state.file_lock import updating

OUTBOX_FILE = "escalations.sqlite3"
OLD_MEMORY_FILE = "escalations.json"  # before the outbox: migrated once, then removed
BUSY_SECONDS = 30.0  # how long a write waits for another process's transaction

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS escalation (
    ticket_id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    subject TEXT NOT NULL,
    url TEXT NOT NULL,
    routes TEXT NOT NULL,
    paged TEXT,
    resolved INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS owed (
    ticket_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    refused INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (ticket_id, channel)
);
CREATE TABLE IF NOT EXISTS incident (
    group_ticket INTEGER PRIMARY KEY,
    paged TEXT NOT NULL,
    at REAL NOT NULL,
    resolved INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS note (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Recorded:
    """An escalation as remembered: ``at`` when it was escalated (a ticket escalated again
    after its page was resolved is a new escalation, with a new ``at``)."""

    ticket_id: int
    at: float
    subject: str
    url: str
    routes: tuple[str, ...]
    paged: str | None = None
    resolved: bool = False


@dataclass(frozen=True)
class Owed:
    """One delivery a channel owes: ``refused`` counts the times the channel refused it."""

    escalation: Recorded
    channel: str
    refused: int = 0


class Outbox:
    """The memory in ``state_dir``; each call opens its own connection (any thread)."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.path = state_dir / OUTBOX_FILE
        self._ready = False

    # -- the file ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (taken at once: two writers queue instead of deadlocking)."""
        db = self._open()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.rollback()
                raise
            db.commit()
        finally:
            db.close()

    def _open(self) -> sqlite3.Connection:
        if not self._ready:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            try:
                self._prepare()
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError):
                    raise  # locked or unwritable: the caller says so; the file is fine
                # Not a database (a damaged file): set aside, a new one in its place. A repeat
                # is possible for what it held; a page lost for good is not.
                moved = set_aside(self.path, "not an SQLite database")
                log.warning("%s set aside (%s): starting afresh", OUTBOX_FILE, moved.moved_to)
                self._prepare()
            self._ready = True
        return _connect(self.path)

    def _prepare(self) -> None:
        db = _connect(self.path)
        try:
            enter_wal(db, wait=BUSY_SECONDS)
            db.executescript(_SCHEMA)
        finally:
            db.close()

    def delivering(self, wait: float) -> contextlib.AbstractContextManager[bool]:
        """Hold the delivery lock while the block runs; True when held (``wait`` seconds at
        most for another holder)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        return updating(self.path, wait=wait)

    # -- escalations ---------------------------------------------------------------------

    def record(
        self,
        escalations: Sequence[Recorded],
        channels: Callable[[Recorded], Collection[str]],
    ) -> list[int]:
        """Remember each escalation new to the memory, and what each of its ``channels`` is
        owed; one already remembered and not resolved is left as it is (a second run, the
        server and a cron run seeing the same one). The tickets recorded now."""
        recorded = []
        with self._transaction() as db:
            for item in escalations:
                row = db.execute(
                    "SELECT resolved FROM escalation WHERE ticket_id = ?", (item.ticket_id,)
                ).fetchone()
                if row is not None and not row[0]:
                    continue
                # New, or escalated again after its page was resolved (reopened): new.
                db.execute(
                    "INSERT OR REPLACE INTO escalation "
                    "(ticket_id, at, subject, url, routes, paged, resolved) "
                    "VALUES (?, ?, ?, ?, ?, NULL, 0)",
                    (
                        item.ticket_id,
                        item.at,
                        seal_text(item.subject),  # encrypted when a key is set
                        item.url,
                        orjson.dumps(list(item.routes)).decode(),
                    ),
                )
                db.execute("DELETE FROM owed WHERE ticket_id = ?", (item.ticket_id,))
                db.executemany(
                    "INSERT INTO owed (ticket_id, channel) VALUES (?, ?)",
                    [(item.ticket_id, name) for name in sorted(set(channels(item)))],
                )
                recorded.append(item.ticket_id)
        return recorded

    def owed(self, channels: Collection[str], *, since: float) -> list[Owed]:
        """What ``channels`` owe for escalations since ``since`` (older ones: dropped, as a late
        page would only be noise), not resolved, in ticket order."""
        with self._transaction() as db:
            stale = db.execute(
                "SELECT o.ticket_id, o.channel FROM owed o JOIN escalation e USING (ticket_id) "
                "WHERE e.at < ? OR e.resolved",
                (since,),
            ).fetchall()
            if stale:
                db.execute(
                    "DELETE FROM owed WHERE ticket_id IN (SELECT ticket_id FROM escalation "
                    "WHERE at < ? OR resolved)",
                    (since,),
                )
                log.warning("%d escalation deliveries dropped: older than a day", len(stale))
            rows = db.execute(
                "SELECT e.ticket_id, e.at, e.subject, e.url, e.routes, e.paged, e.resolved, "
                "o.channel, o.refused FROM owed o JOIN escalation e USING (ticket_id) "
                "ORDER BY e.ticket_id, o.channel"
            ).fetchall()
        wanted = set(channels)
        return [Owed(_recorded(row[:7]), row[7], int(row[8])) for row in rows if row[7] in wanted]

    def accepted(
        self, channel: str, ticket_ids: Collection[int], *, paged: str | None = None
    ) -> None:
        """``channel`` took the deliveries of ``ticket_ids``: they are owed no more
        (``paged``: PagerDuty's key for a ticket's page, to resolve it later)."""
        with self._transaction() as db:
            db.executemany(
                "DELETE FROM owed WHERE ticket_id = ? AND channel = ?",
                [(ticket_id, channel) for ticket_id in ticket_ids],
            )
            if paged is not None:
                db.executemany(
                    "UPDATE escalation SET paged = ? WHERE ticket_id = ?",
                    [(paged, ticket_id) for ticket_id in ticket_ids],
                )

    def refused(self, channel: str, ticket_ids: Collection[int]) -> None:
        """``channel`` refused them (a 4xx): still owed, counted."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE owed SET refused = refused + 1 WHERE ticket_id = ? AND channel = ?",
                [(ticket_id, channel) for ticket_id in ticket_ids],
            )

    def given_up(self, channel: str, ticket_ids: Collection[int]) -> None:
        """Owed no more although ``channel`` never took them (it refuses them for good)."""
        self.accepted(channel, ticket_ids)

    def open_pages(self) -> dict[int, str]:
        """Ticket id -> the dedup key of its open PagerDuty alert."""
        db = self._open()
        try:
            rows = db.execute(
                "SELECT ticket_id, paged FROM escalation WHERE paged IS NOT NULL AND NOT resolved"
            ).fetchall()
        finally:
            db.close()
        return {int(ticket_id): str(key) for ticket_id, key in rows}

    def page_resolved(self, ticket_id: int) -> None:
        with self._transaction() as db:
            db.execute("UPDATE escalation SET resolved = 1 WHERE ticket_id = ?", (ticket_id,))

    def escalated_since(self, at: float) -> list[Recorded]:
        db = self._open()
        try:
            rows = db.execute(
                "SELECT ticket_id, at, subject, url, routes, paged, resolved FROM escalation "
                "WHERE at >= ? ORDER BY ticket_id",
                (at,),
            ).fetchall()
        finally:
            db.close()
        return [_recorded(row) for row in rows]

    def forget(self, *, before: float) -> None:
        """Drop the escalations and incidents ended or escalated before ``before`` (an open
        page is kept: its resolve is still to be sent)."""
        with self._transaction() as db:
            db.execute(
                "DELETE FROM escalation WHERE at < ? AND (paged IS NULL OR resolved) "
                "AND ticket_id NOT IN (SELECT ticket_id FROM owed)",
                (before,),
            )
            db.execute("DELETE FROM incident WHERE resolved AND at < ?", (before,))

    # -- incidents and notes -------------------------------------------------------------

    def incident_pages(self) -> dict[int, tuple[str, bool]]:
        """Group ticket -> its page's dedup key and whether it is resolved."""
        db = self._open()
        try:
            rows = db.execute("SELECT group_ticket, paged, resolved FROM incident").fetchall()
        finally:
            db.close()
        return {int(key): (str(paged), bool(resolved)) for key, paged, resolved in rows}

    def incident_paged(self, key: int, paged: str, at: float) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO incident (group_ticket, paged, at, resolved) "
                "VALUES (?, ?, ?, 0)",
                (key, paged, at),
            )

    def incident_resolved(self, key: int) -> None:
        with self._transaction() as db:
            db.execute("UPDATE incident SET resolved = 1 WHERE group_ticket = ?", (key,))

    def note(self, name: str) -> str | None:
        db = self._open()
        try:
            row = db.execute("SELECT value FROM note WHERE name = ?", (name,)).fetchone()
        finally:
            db.close()
        return None if row is None else str(row[0])

    def set_notes(self, **values: str) -> None:
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO note (name, value) VALUES (?, ?)", list(values.items())
            )

    # -- the earlier file ----------------------------------------------------------------

    def migrate(self, owed_by: Callable[[Recorded, Collection[str]], Collection[str]]) -> None:
        """Read an ``escalations.json`` of an earlier version into the tables, once, and
        remove it. ``owed_by(escalation, sent)``: what it still owes, given the channels it
        reached. A row the tables hold already (another process's) is kept as it is."""
        old = self.state_dir / OLD_MEMORY_FILE
        if not old.exists():
            return
        try:
            memory = orjson.loads(read_state_bytes(old))
        except (orjson.JSONDecodeError, StateFileRefused, OSError) as exc:
            log.warning("%s unreadable, not migrated: %s", OLD_MEMORY_FILE, type(exc).__name__)
            memory = {}
        if not isinstance(memory, dict):
            memory = {}
        with self._transaction() as db:
            tickets = memory.get("tickets")
            for key, entry in (tickets if isinstance(tickets, dict) else {}).items():
                with contextlib.suppress(TypeError, ValueError, AttributeError):
                    _migrate_ticket(db, int(key), entry, owed_by)
            incidents = memory.get("incidents")
            for key, entry in (incidents if isinstance(incidents, dict) else {}).items():
                with contextlib.suppress(TypeError, ValueError, AttributeError, KeyError):
                    db.execute(
                        "INSERT OR IGNORE INTO incident (group_ticket, paged, at, resolved) "
                        "VALUES (?, ?, ?, ?)",
                        (
                            int(key),
                            str(entry["paged"]),
                            float(entry.get("at", 0)),
                            int(bool(entry.get("resolved"))),
                        ),
                    )
            for name in ("summary_day", "summary_at"):
                if name in memory:
                    db.execute(
                        "INSERT OR IGNORE INTO note (name, value) VALUES (?, ?)",
                        (name, str(memory[name])),
                    )
        with contextlib.suppress(OSError):
            old.unlink()
        log.info("%s migrated into %s", OLD_MEMORY_FILE, OUTBOX_FILE)


def _migrate_ticket(
    db: sqlite3.Connection,
    ticket_id: int,
    entry: dict[str, object],
    owed_by: Callable[[Recorded, Collection[str]], Collection[str]],
) -> None:
    routes = entry.get("routes")
    sent = entry.get("sent")
    item = Recorded(
        ticket_id,
        float(entry.get("at", 0)),  # type: ignore[arg-type]
        str(entry.get("subject") or ""),
        str(entry.get("url") or ""),
        tuple(str(r) for r in routes) if isinstance(routes, list) else (),
        str(entry["paged"]) if entry.get("paged") else None,
        bool(entry.get("resolved")),
    )
    inserted = db.execute(
        "INSERT OR IGNORE INTO escalation (ticket_id, at, subject, url, routes, paged, resolved) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            item.ticket_id,
            item.at,
            seal_text(item.subject),
            item.url,
            orjson.dumps(list(item.routes)).decode(),
            item.paged,
            int(item.resolved),
        ),
    ).rowcount
    # An earlier version's entry without its subject and link could not be delivered again.
    if inserted and item.subject and item.url and not item.resolved:
        reached = {str(name) for name in sent} if isinstance(sent, list) else set()
        db.executemany(
            "INSERT OR IGNORE INTO owed (ticket_id, channel) VALUES (?, ?)",
            [(ticket_id, name) for name in sorted(set(owed_by(item, reached)))],
        )


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
    db.execute("PRAGMA synchronous=FULL")  # a delivery cleared is cleared, power cut or not
    return db


def _recorded(row: Sequence[object]) -> Recorded:
    ticket_id, at, subject, url, routes, paged, resolved = row
    try:
        parsed = orjson.loads(str(routes))
    except orjson.JSONDecodeError:
        parsed = []
    return Recorded(
        int(ticket_id),  # type: ignore[call-overload]
        float(at),  # type: ignore[arg-type]
        open_text(str(subject), "escalations.sqlite3"),
        str(url),
        tuple(str(r) for r in parsed) if isinstance(parsed, list) else (),
        None if paged is None else str(paged),
        bool(resolved),
    )
