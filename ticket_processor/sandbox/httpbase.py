"""HTTP plumbing both sandboxes share: the threaded server, JSON answers, bodies, cut connections.

A stdlib ``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive, one thread per connection,
that remembers its open connections so ``close_server`` can cut idle keep-alive ones. Every
answer names its sandbox in ``X-Ticketbot-Sandbox`` (``zendesk`` or ``freshdesk``), so ticketbot
can tell a sandbox from a real helpdesk (and refuse to seed a real one).
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

SANDBOX_HEADER = "X-Ticketbot-Sandbox"

# ``stored-502`` / ``stored-504``: the request is handled (stored), then answered so, as a
# gateway in front of the helpdesk does when the answer is lost on its way back.
FAULTS = ("404", "409", "500", "503", "drop", "slow", "storm", "stored-502", "stored-504")


def check_fault(item: object, allowed: tuple[str, ...] = FAULTS) -> str:
    """A ``faults`` item as given, or ``ValueError`` saying what a valid one looks like."""
    if isinstance(item, str):
        fault, _, target = item.partition(" ")
        method, _, path = target.partition(" ")
        if fault in allowed and (not target or (method.isupper() and path.startswith("/"))):
            return item
    raise ValueError(
        f"fault {item!r} must be one of {', '.join(allowed)}, "
        "optionally followed by an endpoint such as 'PUT /api/v2/tickets/update_many'"
    )


class ApiError(Exception):
    """Answer ``status`` with the helpdesk's JSON error ``body`` (and optional extra headers)."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {body.get('error')}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def not_found() -> ApiError:
    return ApiError(404, {"error": "RecordNotFound", "description": "Not found"})


class BadBody(ValueError):
    """The request body is not JSON; each sandbox answers it in its helpdesk's words."""


class JsonServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    flavour = "sandbox"  # the value of ``X-Ticketbot-Sandbox``

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (its timeout, the "slow" fault) closes the socket before the
        # answer: expected, not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class JsonHandler(BaseHTTPRequestHandler):
    """Keep-alive JSON handler; subclasses implement ``handle_request``."""

    protocol_version = "HTTP/1.1"
    server_version = "ticketbot-sandbox"
    timeout = 120  # idle keep-alive connections are closed after this
    server: JsonServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a benchmark sends thousands of requests."""

    def do_GET(self) -> None:
        self.handle_request()

    def do_POST(self) -> None:
        self.handle_request()

    def do_PUT(self) -> None:
        self.handle_request()

    def do_DELETE(self) -> None:
        self.handle_request()

    def handle_request(self) -> None:
        raise NotImplementedError

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """Answer ``status`` with ``body`` as JSON (``None``: an empty body)."""
        payload = b"" if body is None or status == 204 else orjson.dumps(body)
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        if self.identifies():
            self.send_header(SANDBOX_HEADER, self.server.flavour)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def identifies(self) -> bool:
        """Whether answers carry ``X-Ticketbot-Sandbox`` (a knob can make a sandbox look real)."""
        return True

    def read_json(self) -> Any:
        """The request body as JSON, ``None`` when empty; ``BadBody`` when it is not JSON."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return None
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise BadBody("The request body is not JSON") from None

    def cut_connection(self) -> None:
        """Close the socket without answering (the ``drop`` fault)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def close_server(server: JsonServer, on_closed: Callable[[], None]) -> None:
    """Stop accepting, cut idle keep-alive connections, then ``on_closed`` (jobs, state)."""
    server.server_close()
    with server.connections_lock:
        for conn in list(server.connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
    on_closed()


def start_thread(server: JsonServer) -> threading.Thread:
    """Serve ``server`` in a daemon thread."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    return thread


def take_fault(faults: list[str], lock: threading.Lock, key: str) -> str | None:
    """Remove and return the first scripted fault meant for request ``key`` (or for any)."""
    with lock:
        for index, item in enumerate(faults):
            fault, _, target = item.partition(" ")
            if not target or target == key:
                del faults[index]
                return fault
    return None
