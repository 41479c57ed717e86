"""The server's life: listen first, load in the background, stop gracefully.

``ServeServer.run`` binds the socket before anything slow happens (so ``/healthz`` answers at
once and a port in use fails at once), then serves with uvicorn. Its lifespan starts a thread
that builds the run's parts (``run.served.ServedTriage``: the models, the helpdesk, the
routes) and then the worker; ``/readyz`` says ``ready`` only from then on. A failure there
leaves the server up and unready, saying why. Once ready, a second thread catches up
(``run.catchup``): the tickets the helpdesk could not deliver while the server was down are
stored as deliveries, then again every ``CATCH_UP_EVERY`` seconds.

SIGTERM (and SIGINT): uvicorn stops accepting and lets the requests under way finish; the
lifespan's end then stops the worker claiming, lets the analyses under way finish and their
writes flush (``STOP_GRACE``), and gives back whatever deliveries are left, stored for the
next start. The process then exits 0.

Exposure: a host other than loopback is refused (``check_exposure``) unless the webhook
secret and the API token are both set, before anything listens.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import signal
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette

from ..common.connections import guarded_protocol
from ..errors import ConfigError
from ..exitcodes import ExitCode
from ..helpdesks.deliveries import Delivery
from ..helpdesks.registry import KINDS
from ..run.catchup import EVERY as CATCH_UP_EVERY
from ..run.catchup import Wanted
from ..run.served import ServedTriage, ServeHooks
from .app import UNCONFIGURED, ServeState, build_app
from .worker import Worker

# Connections: a keep-alive connection idles at most this long, a new one has HEADER_TIMEOUT to
# send its headers; past MAX_CONNECTIONS a new connection closes the longest-idle one
# (common/connections.py), so idle and slow clients cannot keep real requests (or /healthz) out.
# Requests under way are bounded by LIMIT_CONCURRENCY (uvicorn's 503).
KEEP_ALIVE = 5
MAX_CONNECTIONS = 200
LIMIT_CONCURRENCY = 4 * MAX_CONNECTIONS
SHUTDOWN_GRACE = 20  # seconds requests under way get when stopping
RELOAD_AFTER = 30.0  # seconds before loading again after a failure (the helpdesk was down)
CATCH_UP_GRACE = 30.0  # seconds a catch-up pass under way gets to end its page when stopping


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, *, secret: str | None, token: str | None) -> None:
    """Beyond loopback only with the webhook secret and the API token both set."""
    if is_loopback(host):
        return
    missing = [
        name
        for name, value in (("TICKETBOT_SERVE_SECRET", secret), ("TICKETBOT_SERVE_TOKEN", token))
        if not value
    ]
    if missing:
        raise ConfigError(
            f"--host {host}: listening beyond this machine needs {' and '.join(missing)} set "
            "(the webhooks' secret and the triage API's token); or keep the default "
            "--host 127.0.0.1 behind a reverse proxy on this host"
        )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (``port`` 0: a free one), or a ``ConfigError`` saying why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        busy = (
            "another program listens there (a serve already running?); "
            if (exc.errno == errno.EADDRINUSE)
            else ""
        )
        raise ConfigError(
            f"--host {host} --port {port}: cannot listen ({exc.strerror}): {busy}choose "
            "another --port (0 picks a free one)"
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


@dataclass
class Loaded:
    served: ServedTriage | None = None


class ServeServer:
    """One server: ``run()`` in the main thread (signals), or ``start()`` in a thread (tests)."""

    def __init__(
        self,
        state: ServeState,
        *,
        build: Callable[[ServeHooks], ServedTriage],
        health: Callable[[], dict[str, Any]] | None = None,
        release_all: bool = False,
        tell: Callable[[str], None] = lambda line: None,
        host: str = "127.0.0.1",
    ) -> None:
        self.state = state
        self._tell = tell  # a line for the person who started serve (stderr)
        self.host = host
        self._told: set[str] = set()
        self._build = build
        self._health = health
        self._release_all = release_all  # a queue no other replica uses: take back every claim
        self.worker = Worker(
            state.queue, state.metrics, on_error=self._worker_error, on_refused=self._refused
        )
        self.app = build_app(state, self._lifespan)
        self.loaded = Loaded()
        self._loader: threading.Thread | None = None
        self._catcher: threading.Thread | None = None
        self.caught_up = threading.Event()  # the first catch-up pass has ended (tests wait)
        self._stopping = threading.Event()
        self.uvicorn: uvicorn.Server | None = None
        self.port = 0

    # -- life ----------------------------------------------------------------------------------

    def run(self, sock: socket.socket) -> int:
        """Serve on ``sock`` until SIGTERM / SIGINT; 0 once everything is stopped and saved."""
        stopped: list[int] = []
        # uvicorn restores the handlers it found and raises the signal again once it has
        # stopped: ours just notes it, so the process exits 0 rather than die by the signal.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda number, frame: stopped.append(number))
        server = self._server()
        self.port = sock.getsockname()[1]
        server.run(sockets=[sock])
        # uvicorn returns without raising when its start failed (said on stderr).
        return ExitCode.OK if server.started else ExitCode.ABORTED

    def start(self, sock: socket.socket) -> threading.Thread:
        """Serve in a thread (no signal handling); ``stop()`` ends it."""
        server = self._server()
        self.port = sock.getsockname()[1]
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        if self.uvicorn is not None:
            self.uvicorn.should_exit = True

    def _server(self) -> uvicorn.Server:
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            server_header=False,
            timeout_keep_alive=KEEP_ALIVE,
            limit_concurrency=LIMIT_CONCURRENCY,
            http=guarded_protocol(max_connections=MAX_CONNECTIONS),
            timeout_graceful_shutdown=SHUTDOWN_GRACE,
            lifespan="on",
        )
        self.uvicorn = uvicorn.Server(config)
        return self.uvicorn

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self._loader = threading.Thread(target=self._load, name="serve-load", daemon=True)
        self._loader.start()
        try:
            yield
        finally:
            await asyncio.to_thread(self._shut_down)

    def _load(self) -> None:
        """Build the run's parts, again every ``RELOAD_AFTER`` seconds while that fails (the
        helpdesk unreachable at start): deliveries are stored meanwhile, triaged once loaded."""
        state = self.state
        hooks = ServeHooks(
            settled=self.worker.settled, triaged=self.worker.triaged, event=state.metrics.heard
        )
        while not self._stopping.is_set():
            try:
                if self._release_all:
                    state.queue.release_all()
                state.queue.prune()
                served = self._build(hooks)
            except Exception as exc:  # noqa: BLE001 - said on /readyz and in the log; still alive
                reason = f"{type(exc).__name__}: {exc}"[:500]
                state.readiness.status, state.readiness.reason = "failed", reason
                state.emit("serve_load_failed", level="error", error=reason, retry_s=RELOAD_AFTER)
                self._stopping.wait(RELOAD_AFTER)
                continue
            # Ready means ready: the first ticket does not wait for a model to load.
            warmed = served.warm_up()
            if warmed is not None:
                state.emit("serve_warmed", engine=warmed)
            self.loaded.served = served
            state.served = served
            self.worker.start(served)
            state.readiness.checks = self._health
            state.readiness.status, state.readiness.reason = "ready", "ready"
            state.emit("serve_ready", engines=served.engines)
            self._tell(self.ready_line(served, configured=bool(state.secret or state.token)))
            self._catcher = threading.Thread(
                target=self._catch_up, args=(served,), name="serve-catch-up", daemon=True
            )
            self._catcher.start()
            return

    def ready_line(self, served: ServedTriage, *, configured: bool = True) -> str:
        """The terminal's one line once serve has loaded: where, for which helpdesk, how; and
        without its secret and token, that it takes no work (as ``/readyz`` says)."""
        kind = served.helpdesk.kind
        label = KINDS[kind].label if kind in KINDS else kind
        if not configured:
            return (
                f"ticketbot serve: loaded on http://{self.host}:{self.port} for {label} but not "
                f"ready (/readyz: not_configured): {UNCONFIGURED}"
            )
        return (
            f"ticketbot serve: ready on http://{self.host}:{self.port} for {label} "
            f"(webhooks at /webhooks/{kind}; engines {', '.join(served.engines)})"
        )

    def _catch_up(self, served: ServedTriage) -> None:
        """What the helpdesk could not deliver while the server was down, stored as
        deliveries (``run.catchup``): once now, then every ``CATCH_UP_EVERY`` seconds."""
        try:
            catch_up = served.catch_up()
        except Exception as exc:  # noqa: BLE001 - the webhooks still come; the cron run catches up
            self._catch_up_failed(exc)
            self.caught_up.set()
            return
        while not self._stopping.is_set():
            try:
                catch_up.run(self._store_found, self._stopping.is_set)
            except Exception as exc:  # noqa: BLE001 - the next pass reads it again
                self._catch_up_failed(exc)
            self.caught_up.set()
            self._stopping.wait(CATCH_UP_EVERY)

    def _store_found(self, found: Sequence[tuple[int, Wanted]]) -> int:
        served = self.loaded.served
        if served is None:  # catch-up starts once the triage is loaded
            return 0
        now = time.time()
        return sum(
            self.state.queue.store(Delivery(served.helpdesk.kind, ticket_id, event, now))
            for ticket_id, event in found
        )

    def _catch_up_failed(self, exc: Exception) -> None:
        self.state.emit(
            "serve_catch_up_failed",
            level="warning",
            error_type=type(exc).__name__,
            error=str(exc)[:500],
        )

    def _shut_down(self) -> None:
        state = self.state
        state.readiness.status, state.readiness.reason = "loading", "stopping"
        self._stopping.set()
        if self._loader is not None:
            self._loader.join()
        if self._catcher is not None:  # between two pages: what it found is stored
            self._catcher.join(CATCH_UP_GRACE)
        self.worker.stop()
        served = self.loaded.served
        if served is not None:
            served.close()
        left = state.queue.release_mine()
        state.emit("serve_stopped", deliveries_left=left, queue=state.queue.counts())
        state.queue.close()

    def _worker_error(self, event: str, fields: dict[str, Any]) -> None:
        self.state.emit(event, level="warning", **fields)

    def _refused(self, reason: str) -> None:
        """The helpdesk rejected the credentials: said at once, once per distinct reason (not
        once per webhook); ``/readyz`` says it through health, the session ends aborted."""
        if reason in self._told:
            return
        self._told.add(reason)
        self._tell(
            f"serve: {reason}; webhooks are kept in the queue and triaged once the "
            "credentials are fixed and serve restarted"
        )
