"""Idle and slow connections cannot take a server's place from real requests.

uvicorn's ``limit_concurrency`` counts every open connection, idle ones included, and answers 503
to every request once the count is reached: 200 TCP connections that never sent a byte made
``serve`` answer 503 to everything, ``/healthz`` included (64 did it to the dashboard). uvicorn
also gives a connection that has sent nothing, or is sending its headers a byte at a time, no
deadline at all. ``GuardedH11Protocol`` is uvicorn's h11 protocol with two rules instead:

- a connection must finish a request's headers within ``header_timeout`` seconds of opening (or
  of its previous answer, where uvicorn's keep-alive timeout already applies), or it is closed;
- a client (a peer address) holding more than ``per_client`` connections makes room with its
  own: its new connection closes its own longest-idle one, never another client's, so one
  address flooding idle connections cannot push out the keep-alive connections of others;
- when ``max_connections`` are open, a new one makes room by closing the connection that has
  been idle longest (no request under way: never sent one, still sending its headers, or kept
  alive after its answer). A request under way is never cut, and a new connection is never
  refused, wherever it comes from (behind a proxy they all come from it: the proxy's connections
  then displace only each other).

``guarded_protocol(max_connections=..., header_timeout=...)`` gives the class to pass as
``uvicorn.Config(http=...)``; both servers use it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0  # seconds: far above a real client's headers, far below a slow attack's


class GuardedH11Protocol(H11Protocol):
    max_connections = 200
    per_client = 50
    header_timeout = HEADER_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._idle_since = 0.0
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._idle_since = self.loop.time()
        self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_late)
        peer = self._peer()
        own = [c for c in self._guarded() if c._peer() == peer]
        if len(own) > self.per_client:
            self._close_longest_idle(own)
        elif len(self.connections) > self.max_connections:
            self._close_longest_idle(self._guarded())

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._busy():
            self._cancel_header_deadline()  # the headers are in: the app has the request

    def on_response_complete(self) -> None:
        self._idle_since = self.loop.time()
        super().on_response_complete()  # keep-alive's own timeout runs from here
        if not self.transport.is_closing() and not self._busy():
            # uvicorn's keep-alive timeout ends at the next request's first byte: the rest of
            # its headers still has a deadline.
            self._cancel_header_deadline()
            self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_late)

    def _busy(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _headers_late(self) -> None:
        self._header_deadline = None
        if not self._busy() and not self.transport.is_closing():
            self.transport.close()

    def _cancel_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _peer(self) -> str | None:
        found = self.transport.get_extra_info("peername") if self.transport else None
        return str(found[0]) if isinstance(found, tuple) and found else None

    def _guarded(self) -> list[GuardedH11Protocol]:
        return [c for c in self.connections if isinstance(c, GuardedH11Protocol)]

    def _close_longest_idle(self, among: list[GuardedH11Protocol]) -> None:
        idle = [
            c for c in among if c is not self and not c._busy() and not c.transport.is_closing()
        ]
        if idle:
            min(idle, key=lambda c: c._idle_since).transport.close()


def guarded_protocol(
    *,
    max_connections: int,
    header_timeout: float = HEADER_TIMEOUT,
    per_client: int | None = None,
) -> type[GuardedH11Protocol]:
    """The protocol class with these bounds (uvicorn builds one instance a connection); a
    client's share is a quarter of the connections unless given."""
    return type(
        "GuardedH11Protocol",
        (GuardedH11Protocol,),
        {
            "max_connections": max_connections,
            "header_timeout": header_timeout,
            "per_client": per_client if per_client is not None else max(1, max_connections // 4),
        },
    )
