"""The dashboard on a port: uvicorn serving ``web.build_app``'s app.

``Listening`` binds the socket first (port 0: the OS picks one) and only then hands it to
uvicorn, so the address is known, and printed, before anything else happens; the app itself
opens the store on its first request. ``serve_forever`` is what the command runs (until Ctrl-C
or SIGTERM); ``serve_in_thread`` runs the same server in a thread for the tests and the
screenshot script, and stops it on leaving.
"""

from __future__ import annotations

import errno
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from ..common.connections import guarded_protocol
from ..errors import ConfigError

# A slow or idle client cannot hold a connection for ever, nor keep others out: past
# MAX_CONNECTIONS a new connection closes the longest-idle one (common/connections.py); requests
# under way are bounded by LIMIT_CONCURRENCY (uvicorn's 503), which idle connections no longer fill.
TIMEOUT_KEEP_ALIVE = 5
MAX_CONNECTIONS = 64
LIMIT_CONCURRENCY = 4 * MAX_CONNECTIONS


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (IPv6 when the host is an IPv6 address), or a
    ``ConfigError`` naming the flags (a busy port is not a file to check), as ``serve`` says."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        busy = "another program listens there; " if exc.errno == errno.EADDRINUSE else ""
        raise ConfigError(
            f"--host {host} --port {port}: cannot listen ({exc.strerror}): {busy}choose "
            "another --port (0 picks a free one)"
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _server(app: ASGIApp) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_keep_alive=TIMEOUT_KEEP_ALIVE,
        limit_concurrency=LIMIT_CONCURRENCY,
        http=guarded_protocol(max_connections=MAX_CONNECTIONS),
        server_header=False,
        proxy_headers=False,
    )
    return uvicorn.Server(config)


def serve_forever(app: ASGIApp, sock: socket.socket) -> None:
    """Serve on the bound socket until a signal stops uvicorn."""
    _server(app).run(sockets=[sock])


@contextmanager
def serve_in_thread(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    ready: Callable[[], None] = lambda: None,
) -> Iterator[str]:
    """The app served in a thread on ``host:port`` (0: any free port); yields its URL."""
    sock = bind(host, port)
    server = _server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        raise RuntimeError("the dashboard did not start")
    ready()
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
