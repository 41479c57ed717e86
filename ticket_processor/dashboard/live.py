"""The dashboard's live updates: one Server-Sent Event per decision, at ``/events``.

Where they come from: the audit store, whoever wrote it (a cron run, ``serve``, another
process). One poller per dashboard reads the decisions whose id is past the newest it has seen
(a range of the primary key: nothing is read when nothing is new, and no helpdesk is asked),
every ``poll_seconds`` while at least one page listens, and hands each to every listener.

What it costs is bounded: at most ``max_clients`` listeners (the next is answered 503 with
``Retry-After``), each with a queue of at most ``backlog`` events; a listener that falls that
far behind is let go, and its browser's ``EventSource`` comes back with ``Last-Event-ID``
(the id of the last decision it saw) and catches up from the store, as after any dropped
connection. The stream is sse-starlette's ``EventSourceResponse`` (the event format, its
keep-alive pings, a client that went away, the server's shutdown).

An event::

    id: 812
    event: decision
    data: {"id": 812, "ticket_id": 42, "helpdesk": "zendesk", "kind": "triage", ...}
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ..audit.schema import decisions
from ..errors import TicketBotError

MAX_CLIENTS = 200
BACKLOG = 100
POLL_SECONDS = 1.0
PING_SECONDS = 15
_SHOWN = ("id", "ticket_id", "helpdesk", "kind", "status", "category", "decision", "mode")

Read = Callable[[Callable[[sa.Connection, str], Any]], Any]


@dataclass(frozen=True)
class LiveDecision:
    """What an event says of one decision: enough for a page to know it concerns it."""

    id: int
    fields: dict[str, Any]

    def event(self) -> ServerSentEvent:
        return ServerSentEvent(
            data=orjson.dumps(self.fields).decode(), event="decision", id=str(self.id)
        )


def decisions_after(
    conn: sa.Connection, account: str, after: int, limit: int
) -> list[LiveDecision]:
    """The decisions stored after id ``after``, oldest first, at most ``limit``."""
    columns = [decisions.c[name] for name in _SHOWN] + [decisions.c.at]
    rows = conn.execute(
        sa.select(*columns)
        .where(decisions.c.id > after, decisions.c.account == account)
        .order_by(decisions.c.id)
        .limit(limit)
    ).mappings()
    found = []
    for row in rows:
        fields = {name: row[name] for name in _SHOWN}
        fields["at"] = row["at"].isoformat() if row["at"] is not None else None
        found.append(LiveDecision(int(row["id"]), fields))
    return found


def newest_id(conn: sa.Connection, account: str) -> int:
    """The newest decision's id (0: none yet)."""
    found = conn.execute(
        sa.select(sa.func.max(decisions.c.id)).where(decisions.c.account == account)
    ).scalar()
    return int(found or 0)


class _Listener:
    def __init__(self, backlog: int) -> None:
        self.queue: asyncio.Queue[LiveDecision] = asyncio.Queue(maxsize=backlog)
        self.behind = False  # its queue overflowed: it is let go and catches up on return


class LiveFeed:
    """The poller and its listeners (one per open ``/events`` stream)."""

    def __init__(
        self,
        read: Read,
        *,
        max_clients: int = MAX_CLIENTS,
        backlog: int = BACKLOG,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._read = read
        self.max_clients = max_clients
        self.backlog = backlog
        self.poll_seconds = poll_seconds
        self._listeners: set[_Listener] = set()
        self._seen: int | None = None  # the newest decision id handed out
        self._poller: asyncio.Task[None] | None = None

    @property
    def listening(self) -> int:
        return len(self._listeners)

    async def respond(self, request: Request) -> Response:
        """``GET /events``: the stream, from ``Last-Event-ID`` when the browser sends one."""
        if len(self._listeners) >= self.max_clients:
            return PlainTextResponse(
                "too many live pages open: try again later",
                status_code=503,
                headers={"retry-after": "30"},
            )
        since = _last_event_id(request.headers.get("last-event-id"))
        listener = _Listener(self.backlog)
        self._listeners.add(listener)  # before the catch-up's read: nothing falls between
        self._start()
        try:
            if since is None:
                since = await self._newest()
            missed = await run_in_threadpool(
                self._read,
                lambda conn, account: decisions_after(conn, account, since, self.backlog),
            )
        except BaseException:
            self._listeners.discard(listener)
            raise
        return EventSourceResponse(
            self._stream(listener, missed, since),
            ping=PING_SECONDS,
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    async def _stream(
        self, listener: _Listener, missed: list[LiveDecision], since: int
    ) -> AsyncIterator[ServerSentEvent]:
        last = since
        try:
            for decision in missed:
                last = decision.id
                yield decision.event()
            while not listener.behind:
                decision = await listener.queue.get()
                if decision.id > last:  # the catch-up may have sent it already
                    last = decision.id
                    yield decision.event()
        finally:
            self._listeners.discard(listener)

    async def _newest(self) -> int:
        if self._seen is None:
            self._seen = int(await run_in_threadpool(self._read, newest_id))
        return self._seen

    def _start(self) -> None:
        if self._poller is None or self._poller.done():
            self._poller = asyncio.get_running_loop().create_task(self._poll())

    async def _poll(self) -> None:
        """Reads what is new while anyone listens; stops with the last listener."""
        while self._listeners:
            # The store out of reach for now (``LazyStore`` says so): the next tick tries again.
            with contextlib.suppress(TicketBotError):
                await self._tick()
            await asyncio.sleep(self.poll_seconds)
        self._poller = None
        # Nobody listens: the next page starts from the newest decision then, not from here
        # (what was stored meanwhile is no news to a page that has just loaded).
        self._seen = None

    async def _tick(self) -> None:
        after = await self._newest()
        found: list[LiveDecision] = await run_in_threadpool(
            self._read, lambda conn, account: decisions_after(conn, account, after, 500)
        )
        for decision in found:
            self._seen = decision.id
            for listener in list(self._listeners):
                try:
                    listener.queue.put_nowait(decision)
                except asyncio.QueueFull:
                    # Let go: its stream ends at its next event, and its page comes back with
                    # Last-Event-ID and catches up from the store.
                    listener.behind = True
                    self._listeners.discard(listener)

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None


def _last_event_id(value: str | None) -> int | None:
    """The browser's ``Last-Event-ID``: a decision id, else nothing (a fresh start)."""
    if value is None or not value.strip().isdigit() or len(value.strip()) > 18:
        return None
    return int(value.strip())
