"""The delivery queue: every believed delivery is stored, durably, before it is acknowledged.

One table, ``ticketbot_deliveries``, through SQLAlchemy Core, in one of two engines:

- **SQLite** (one replica; nothing to run): ``<state dir>/serve/deliveries.sqlite3`` in WAL
  mode with ``synchronous=FULL``, so a commit is on disk (fsync'd) before ``store`` returns
  and the 200 goes out: a crash, kill -9 included, after the acknowledgement loses nothing.
- **PostgreSQL** (``TICKETBOT_DATABASE_URL=postgresql://...``; several replicas behind one
  Service): replicas take deliveries with ``SELECT ... FOR UPDATE SKIP LOCKED``, so no two take
  the same one; a replica that dies leaves its deliveries claimed, and another takes them
  again once their lease (``LEASE``) has run out.

De-duplication: a Zendesk delivery is named by its signature and by its invocation id (unique
columns: Zendesk's retries carry the same), so a retry is acknowledged and not stored again.
Freshdesk's deliveries carry no name; one naming the same ticket and event as a delivery still
waiting is the same request (the worker reads the ticket as it is when it gets there).

A delivery is ``pending`` → ``claimed`` (a worker has it) → ``done``; one whose triage failed
goes back to ``pending`` with a back-off, and after ``MAX_ATTEMPTS`` is ``failed`` (the cron
run, the catch-up, still finds its ticket). Finished rows are pruned after ``KEEP_DONE``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..common.atomic import prepare_directory
from ..common.sqlite_wal import enter_wal
from ..errors import RunAborted
from ..helpdesks.deliveries import Delivery, event_of
from ..run.served import Event

QUEUE_FILE = "deliveries.sqlite3"
LEASE = 300.0  # seconds a claimed delivery stays with its replica before another may take it
MAX_ATTEMPTS = 4
BACKOFF = 15.0  # seconds before the first retry of a failed delivery; doubles each time
KEEP_DONE = 7 * 86400.0  # Zendesk retries for a day at most: a week of names is plenty

metadata = MetaData()
deliveries = Table(
    "ticketbot_deliveries",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("source", String(16), nullable=False),
    Column("ticket_id", BigInteger, nullable=False),
    Column("event", String(16), nullable=False),
    Column("signature", String(128), unique=True),
    Column("invocation", String(256), unique=True),
    Column("received_at", Float, nullable=False),
    Column("status", String(8), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", Float, nullable=False, default=0.0),
    Column("claimed_by", String(128)),
    Column("claimed_at", Float),
    Column("finished_at", Float),
    Index("ticketbot_deliveries_waiting", "status", "not_before"),
    Index("ticketbot_deliveries_ticket", "source", "ticket_id", "status"),
)


@dataclass(frozen=True)
class Stored:
    """A delivery as a worker claims it."""

    id: int
    source: str  # the kind's name
    ticket_id: int
    event: Event
    received_at: float
    attempts: int


def sqlite_engine(directory: Path) -> Engine:
    """The one-replica queue's engine: a WAL-mode file, every commit fsync'd."""
    prepare_directory(directory, "TICKETBOT_STATE_DIR")
    path = directory / QUEUE_FILE
    engine = create_engine(
        f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 30}
    )

    @event.listens_for(engine, "connect")
    def _durable(dbapi_connection: Any, record: Any) -> None:
        enter_wal(dbapi_connection)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    return engine


def replica_name() -> str:
    """Who claims: this host and process (a restarted process is a new claimant)."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{time.time_ns() % 1_000_000}"


class DeliveryQueue:
    """The stored deliveries; thread-safe (each call is its own transaction)."""

    def __init__(
        self,
        engine: Engine,
        *,
        owner: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.owner = owner or replica_name()
        self._clock = clock
        self.shared = engine.dialect.name != "sqlite"  # several replicas may share it
        self.stored = threading.Event()  # set on each store: the worker wakes up
        try:
            metadata.create_all(engine)
        except SQLAlchemyError as exc:
            # A database serve cannot reach is a dependency it needs: one line naming where
            # (never the password), exit 1, not the driver's traceback.
            where = f"{engine.url.host or 'localhost'}:{engine.url.port or 5432}"
            cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            raise RunAborted(
                f"the delivery queue's database (TICKETBOT_DATABASE_URL, {where}) cannot be "
                f"reached: {cause[0] if cause else type(exc).__name__}; start it or fix the URL"
            ) from None

    def close(self) -> None:
        self.engine.dispose()

    # -- the webhook side -------------------------------------------------------------------

    def store(self, delivery: Delivery) -> bool:
        """Store ``delivery`` durably; False when it was stored already (a retry)."""
        d = deliveries.c
        row = {
            "source": delivery.source,
            "ticket_id": delivery.ticket_id,
            "event": delivery.event,
            "signature": delivery.signature,
            "invocation": delivery.invocation,
            "received_at": delivery.received_at,
            "status": "pending",
            "attempts": 0,
            "not_before": 0.0,
        }
        try:
            with self.engine.begin() as conn:
                if delivery.signature is None and delivery.invocation is None:
                    waiting = conn.execute(
                        select(d.id)
                        .where(
                            d.source == delivery.source,
                            d.ticket_id == delivery.ticket_id,
                            d.event == delivery.event,
                            d.status == "pending",
                        )
                        .limit(1)
                    ).first()
                    if waiting is not None:
                        return False
                conn.execute(insert(deliveries).values(**row))
        except IntegrityError:
            return False
        self.stored.set()
        return True

    # -- the worker side --------------------------------------------------------------------

    def claim(self, limit: int = 100) -> list[Stored]:
        """Up to ``limit`` deliveries due now, oldest first, now this replica's."""
        d = deliveries.c
        now = self._clock()
        due = or_(
            and_(d.status == "pending", d.not_before <= now),
            and_(d.status == "claimed", d.claimed_at < now - LEASE),
        )
        query = select(deliveries).where(due).order_by(d.id).limit(limit)
        if self.shared:
            query = query.with_for_update(skip_locked=True)
        with self.engine.begin() as conn:
            rows = conn.execute(query).mappings().all()
            if not rows:
                return []
            ids = [row["id"] for row in rows]
            conn.execute(
                update(deliveries)
                .where(d.id.in_(ids))
                .values(status="claimed", claimed_by=self.owner, claimed_at=now)
            )
        return [
            Stored(
                int(row["id"]),
                str(row["source"]),
                int(row["ticket_id"]),
                event_of(row["event"]),
                float(row["received_at"]),
                int(row["attempts"]),
            )
            for row in rows
        ]

    def finish(self, ids: Iterable[int]) -> None:
        """These deliveries are done: acknowledged to nobody, kept a while for their names."""
        self._set(ids, status="done", finished_at=self._clock())

    def again(self, stored: Sequence[Stored], *, delay: float | None = None) -> None:
        """Back to waiting: after a failure (counted, backing off, given up after
        ``MAX_ATTEMPTS``) or, with ``delay``, because their ticket was busy (not counted)."""
        now = self._clock()
        with self.engine.begin() as conn:
            for item in stored:
                if delay is not None:
                    values: dict[str, Any] = {"status": "pending", "not_before": now + delay}
                elif item.attempts + 1 >= MAX_ATTEMPTS:
                    values = {"status": "failed", "attempts": item.attempts + 1}
                    values["finished_at"] = now
                else:
                    wait = BACKOFF * 2**item.attempts
                    values = {"status": "pending", "attempts": item.attempts + 1}
                    values["not_before"] = now + wait
                conn.execute(
                    update(deliveries)
                    .where(deliveries.c.id == item.id)
                    .values(claimed_by=None, claimed_at=None, **values)
                )

    def release_mine(self) -> int:
        """Give back what this replica claimed and did not finish (a graceful stop)."""
        d = deliveries.c
        with self.engine.begin() as conn:
            result = conn.execute(
                update(deliveries)
                .where(d.status == "claimed", d.claimed_by == self.owner)
                .values(status="pending", claimed_by=None, claimed_at=None)
            )
        return int(result.rowcount or 0)

    def release_all(self) -> int:
        """Give back every claim: only for a queue no other replica uses (SQLite, at start:
        the process that claimed them is gone)."""
        assert not self.shared
        d = deliveries.c
        with self.engine.begin() as conn:
            result = conn.execute(
                update(deliveries)
                .where(d.status == "claimed")
                .values(status="pending", claimed_by=None, claimed_at=None)
            )
        return int(result.rowcount or 0)

    def depth(self) -> int:
        """Deliveries not finished yet (waiting or being worked on)."""
        d = deliveries.c
        with self.engine.connect() as conn:
            count = conn.execute(
                select(func.count())
                .select_from(deliveries)
                .where(d.status.in_(("pending", "claimed")))
            ).scalar_one()
        return int(count)

    def counts(self) -> dict[str, int]:
        """Deliveries by status."""
        d = deliveries.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(d.status, func.count()).group_by(d.status)).all()
        return {str(status): int(count) for status, count in rows}

    def prune(self) -> int:
        """Forget finished deliveries older than ``KEEP_DONE``."""
        d = deliveries.c
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(deliveries).where(
                    d.status.in_(("done", "failed")), d.finished_at < self._clock() - KEEP_DONE
                )
            )
        return int(result.rowcount or 0)

    def _set(self, ids: Iterable[int], **values: Any) -> None:
        chosen = list(ids)
        if not chosen:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(deliveries)
                .where(deliveries.c.id.in_(chosen))
                .values(claimed_by=None, claimed_at=None, **values)
            )
