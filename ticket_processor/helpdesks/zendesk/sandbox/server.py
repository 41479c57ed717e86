"""The sandbox's HTTP server: auth, rate limits, fault knobs, counters, and how to run it.

HTTP plumbing (threaded keep-alive server, JSON answers) is ``httpbase.py``'s, shared with
the Freshdesk sandbox.
Per request: the next scripted fault (``faults``) → drop (knob) → latency (knob) → auth → a 429
storm → rate limits → injected 5xx/409 (knobs) → the endpoint in ``api.py``. ``/sandbox/*``
needs no auth: stats, run-time config, reset, the webhook deliveries (``GET`` / ``DELETE
/sandbox/deliveries``: every attempt, and each ticket's creation and internal notes to the
millisecond).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import itertools
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from ....sandbox.deliveries import ZendeskRetry
from ....sandbox.httpbase import (
    ApiError,
    BadBody,
    JsonHandler,
    JsonServer,
    close_server,
    start_thread,
    take_fault,
)
from ....sandbox.jobs import JobQueue
from ....sandbox.persist import Persister, load_state
from .api import resolve
from .automation import Automation
from .config import SandboxConfig
from .guide import GuidedStore
from .limits import RateLimiter, checks_for
from .routes import Call, Services

_UNAUTHORIZED = ApiError(401, {"error": "Couldn't authenticate you"})
_HISTORY = 10_000  # requests remembered for ``Sandbox.history``


class Sandbox:
    """Everything one running sandbox holds, apart from its sockets."""

    def __init__(self, config: SandboxConfig, base_url: str) -> None:
        self.config = config
        self.store = GuidedStore(base_url=base_url, agent_email=config.email)
        self.store.guide.use_clock(lambda: self.config.clock())
        self.limiter = RateLimiter(lambda: self.config.clock())
        self.jobs = JobQueue(config, lambda: self.store.base_url)
        self.rng = random.Random(config.seed)
        self.automation = Automation(
            base_url=lambda: self.store.base_url,
            now=lambda: self.config.clock(),
            policy=lambda: ZendeskRetry(self.config.webhook_timeout, self.config.webhook_backoff),
        )
        self.store.watch(self.automation.observe)
        self.services = Services(
            config, self.store, self.jobs, self.rng, time.time, self.automation, self.bump
        )
        self._stats_lock = threading.Lock()
        self._faults_lock = threading.Lock()
        self._request_ids = itertools.count(1)
        self.reset_stats()
        self.persister: Persister | None = None
        if config.state_file is not None:
            load_state(self.store, Path(config.state_file))
            self.persister = Persister(self.store, Path(config.state_file))

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._requests: dict[str, int] = {}
            self._history: deque[tuple[float, str, int | None]] = deque(maxlen=_HISTORY)
            self._counters = {
                "rate_limited": 0,
                "errors_injected": 0,
                "conflicts_injected": 0,
                "dropped": 0,
            }
            self._jobs_at_reset = self.jobs.submitted
            self._job_items_at_reset = self.jobs.items

    def count(self, key: str, counter: str | None = None, status: int | None = None) -> None:
        """Count one answered request; ``status`` None means the connection was cut."""
        with self._stats_lock:
            self._requests[key] = self._requests.get(key, 0) + 1
            if counter:
                self._counters[counter] += 1
            self._history.append((self.config.clock(), key, status))

    def history(self) -> list[tuple[float, str, int | None]]:
        """The last requests answered: (moment on ``config.clock``, endpoint key, status)."""
        with self._stats_lock:
            return list(self._history)

    def bump(self, counter: str, n: int = 1) -> None:
        with self._stats_lock:
            self._counters[counter] += n

    def stats(self) -> dict[str, Any]:
        with self._stats_lock:
            requests = dict(sorted(self._requests.items()))
            return {
                "requests": requests,
                "requests_total": sum(requests.values()),
                **self._counters,
                "jobs": self.jobs.submitted - self._jobs_at_reset,
                "job_items": self.jobs.items - self._job_items_at_reset,
                "jobs_pending": self.jobs.pending(),
                "tickets": self.store.count(),
            }

    def authorized(self, header: str | None) -> bool:
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            token = self.config.oauth_token
            return bool(token) and hmac.compare_digest(value.strip(), token or "")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        expected = f"{self.config.email}/token:{self.config.token}"
        return hmac.compare_digest(decoded, expected)

    def take_fault(self, key: str) -> str | None:
        """The first scripted fault meant for this request (``"PUT /api/v2/tickets/{id}"``)."""
        return take_fault(self.config.faults, self._faults_lock, key)

    def storm_retry_after(self) -> int | None:
        """Whole seconds until the current 429 storm ends, or None outside a storm."""
        left = self.config.storm_until - self.config.clock()
        return max(1, math.ceil(left)) if left > 0 else None

    def next_request_id(self) -> str:
        return f"sbx-{next(self._request_ids)}"

    def close(self) -> None:
        self.jobs.close()
        self.automation.close()
        if self.persister is not None:
            self.persister.close()


class _Server(JsonServer):
    flavour = "zendesk"
    sandbox: Sandbox

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)


class _Handler(JsonHandler):
    server: _Server

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        trickle = self.server.sandbox.config.trickle_seconds
        if trickle <= 0:
            self.send_json(status, body, headers)
            return
        # The trickle knob: headers at once, then the body one byte every ``trickle`` seconds.
        payload = b"" if status == 204 else orjson.dumps(body)  # 204 No Content has no body
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        for index in range(len(payload)):  # a client that gave up: BrokenPipe, ends here
            time.sleep(trickle)
            self.wfile.write(payload[index : index + 1])
            self.wfile.flush()

    def identifies(self) -> bool:
        return bool(self.server.sandbox.config.identify)  # off: look like a real Zendesk

    def _read_body(self) -> Any:
        try:
            return self.read_json()
        except BadBody:
            raise ApiError(
                400, {"error": "InvalidJSON", "description": "The request body is not JSON"}
            ) from None

    def handle_request(self) -> None:
        self._handle()

    def _handle(self) -> None:
        # One function: one request's way through the stand-in, read top to bottom as Zendesk
        # answers it: the sandbox's own controls, the route, the body, auth, the rate limit,
        # the injected faults, then the endpoint; each step may end the request.
        sandbox = self.server.sandbox
        config = sandbox.config
        split = urlsplit(self.path)
        if split.path.startswith("/sandbox/"):
            self._control(sandbox, split.path)
            return
        resolved = resolve(self.command, split.path)
        key = f"{self.command} {resolved[0].pattern if resolved else '<unknown>'}"
        try:
            body = self._read_body()
        except ApiError as exc:
            sandbox.count(key, status=exc.status)
            self._send(exc.status, exc.body)
            return
        fault = sandbox.take_fault(key)
        if fault == "storm":
            config.start_storm(config.storm_fault_seconds)
        if fault == "drop" or (config.drop_rate and sandbox.rng.random() < config.drop_rate):
            sandbox.count(key, "dropped")
            self.cut_connection()
            return
        delay = config.latency_ms + (config.slow_ms if fault == "slow" else 0.0)
        if config.jitter_ms:
            delay += sandbox.rng.uniform(-config.jitter_ms, config.jitter_ms)
        if delay > 0:
            time.sleep(delay / 1000.0)
        headers = {"X-Request-Id": sandbox.next_request_id()}
        counter: str | None = None
        try:
            if not sandbox.authorized(self.headers.get("Authorization")):
                raise _UNAUTHORIZED
            if resolved is None:
                raise ApiError(404, {"error": "InvalidEndpoint", "description": "Not found"})
            route, args = resolved
            storm = sandbox.storm_retry_after()
            if storm is not None:
                counter = "rate_limited"
                # The account's budget is not spent: the helpdesk is shedding load.
                headers["X-Rate-Limit"] = str(config.rate_limit)
                headers["X-Rate-Limit-Remaining"] = str(
                    sandbox.limiter.remaining("account", config.rate_limit)
                )
                raise ApiError(
                    429,
                    {"error": "APIRateLimitExceeded", "description": "Rate limit exceeded"},
                    {"Retry-After": str(storm)},
                )
            checks = checks_for(config, update=route.update, incremental=route.incremental)
            try:
                remaining = sandbox.limiter.admit(checks)
            except ApiError:
                counter = "rate_limited"
                headers["X-Rate-Limit"] = str(config.rate_limit)
                headers["X-Rate-Limit-Remaining"] = str(
                    sandbox.limiter.remaining("account", config.rate_limit)
                )
                raise
            headers["X-Rate-Limit"] = str(config.rate_limit)
            headers["X-Rate-Limit-Remaining"] = str(max(0, remaining))
            if fault == "404":
                raise ApiError(404, {"error": "InvalidEndpoint", "description": "Not found"})
            if fault == "403":
                raise ApiError(403, {"error": "Forbidden", "description": "You do not have access"})
            if fault in ("500", "503") or (
                config.error_rate and sandbox.rng.random() < config.error_rate
            ):
                counter = "errors_injected"
                status = int(fault) if fault else sandbox.rng.choice((500, 503))
                error = "InternalServerError" if status == 500 else "ServiceUnavailable"
                raise ApiError(status, {"error": error, "description": "Injected by the sandbox"})
            if fault == "409" or (
                route.update
                and route.pattern != "/api/v2/tickets/update_many"
                and config.conflict_rate
                and sandbox.rng.random() < config.conflict_rate
            ):
                sandbox.bump("conflicts_injected")
                raise ApiError(
                    409,
                    {
                        "error": "UpdateConflict",
                        "description": "Safe Update prevented the update due to outdated "
                        "ticket data. Please fetch the latest ticket data and try again.",
                    },
                )
            # Links (next_page, after_url, urls) come from the address the sandbox is bound
            # to, never from the client's Host header: a forged Host would send the client
            # (and its credentials) elsewhere.
            call = Call(
                self.command,
                split.path,
                dict(parse_qsl(split.query, keep_blank_values=True)),
                body,
                sandbox.store.base_url,
                args,
            )
            status, payload = route.handler(sandbox.services, call)
            if fault is not None and fault.startswith("stored-"):
                counter = "errors_injected"  # handled; the answer is lost in a gateway
                raise ApiError(int(fault.removeprefix("stored-")), {})
        except ApiError as exc:
            if exc.status == 429 and counter is None:
                counter = "rate_limited"
            sandbox.count(key, counter, exc.status)
            self._send(exc.status, exc.body, {**headers, **exc.headers})
            return
        sandbox.count(key, status=status)
        self._send(status, payload, headers)

    def _control(self, sandbox: Sandbox, path: str) -> None:
        path = path.removesuffix(".json")
        if self.command == "GET" and path == "/sandbox/stats":
            self._send(200, sandbox.stats())
        elif self.command == "GET" and path == "/sandbox/outbox":
            self._send(200, {"outbox": sandbox.store.outbox()})
        elif self.command == "POST" and path == "/sandbox/reset_stats":
            self._read_body()
            sandbox.reset_stats()
            self._send(200, sandbox.stats())
        elif self.command == "POST" and path == "/sandbox/config":
            try:
                changes = self._read_body()
                if not isinstance(changes, dict):
                    raise ValueError("config must be a JSON object")
                sandbox.config.apply(changes)
            except (ValueError, ApiError) as exc:
                self._send(400, {"error": "InvalidValue", "description": str(exc)})
                return
            self._send(200, sandbox.config.public())
        elif self.command == "GET" and path == "/sandbox/deliveries":
            self._send(200, sandbox.automation.dispatcher.view())
        elif self.command == "DELETE" and path == "/sandbox/deliveries":
            self._read_body()
            sandbox.automation.dispatcher.clear()
            self._send(204, None)
        else:
            self._send(404, {"error": "InvalidEndpoint", "description": "Not found"})


class RunningSandbox:
    """A sandbox serving in a background thread; a context manager."""

    def __init__(self, server: _Server, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self.port: int = server.server_address[1]
        self.url = server.sandbox.store.base_url
        self.store = server.sandbox.store
        self.config = server.sandbox.config
        self._closed = False

    @property
    def sandbox(self) -> Sandbox:
        return self._server.sandbox

    def stats(self) -> dict[str, Any]:
        """Same as ``GET /sandbox/stats``."""
        return self._server.sandbox.stats()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._server.shutdown()
        _close_server(self._server)
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _build(config: SandboxConfig | None, host: str, port: int) -> _Server:
    config = config if config is not None else SandboxConfig()
    server = _Server((host, port))
    url_host = "127.0.0.1" if host in ("", "0.0.0.0") else host  # noqa: S104 - only compared
    server.sandbox = Sandbox(config, f"http://{url_host}:{server.server_address[1]}")
    return server


def _close_server(server: _Server) -> None:
    """Stop accepting, cut idle keep-alive connections, stop the jobs, save the state."""
    close_server(server, server.sandbox.close)


def serve_in_thread(
    config: SandboxConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> RunningSandbox:
    """Start a sandbox on ``host:port`` (0 picks a free port) in a daemon thread."""
    server = _build(config, host, port)
    return RunningSandbox(server, start_thread(server))


def serve_forever(
    config: SandboxConfig, *, host: str, port: int, on_ready: Callable[[str], None]
) -> None:
    """Serve in this thread until interrupted (Ctrl-C); state is saved on the way out."""
    server = _build(config, host, port)
    try:
        on_ready(server.sandbox.store.base_url)
        server.serve_forever(poll_interval=0.2)
    finally:
        _close_server(server)
