"""The Freshdesk sandbox's request handler, and starting it in a thread or in the foreground.

from ticket_processor.helpdesks.freshdesk.sandbox import FreshdeskConfig, serve_in_thread

with serve_in_thread(FreshdeskConfig(plan="pro")) as sb:
    requests.get(f"{sb.url}/api/v2/tickets", auth=(sb.config.api_key, "X"))
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from ....sandbox.httpbase import ApiError, BadBody, JsonHandler, close_server, start_thread
from .api import resolve
from .automation import RuleError
from .config import FreshdeskConfig, invalid_credentials, invalid_json
from .routes import FreshdeskCall
from .server import FreshdeskSandbox, FreshdeskServer, credits_for


class _Handler(JsonHandler):
    server: FreshdeskServer

    def date_time_string(self, timestamp: float | None = None) -> str:
        """``Date`` on the sandbox's clock, the one that stamps ``updated_at``, as Freshdesk's
        answers carry its own: where the next run starts depends on it (``paging.resume_at``)."""
        moment = self.server.sandbox.config.clock() if timestamp is None else timestamp
        return super().date_time_string(moment)

    def handle_request(self) -> None:
        sandbox = self.server.sandbox
        config = sandbox.config
        split = urlsplit(self.path)
        if split.path.startswith("/sandbox/"):
            self._control(sandbox, split.path)
            return
        resolved = resolve(self.command, split.path)
        key = f"{self.command} {resolved[0].pattern if resolved else '<unknown>'}"
        try:
            body = self.read_json()
        except BadBody:
            error = invalid_json()
            sandbox.count(key, status=error.status)
            self.send_json(error.status, error.body)
            return
        fault = sandbox.take_fault(key)
        if fault == "storm":
            config.start_storm(config.storm_fault_seconds)
        if fault == "html":
            sandbox.count(key, "errors_injected", status=200)
            self._send_page(200)
            return
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
        # Repeated parameters (python-freshdesk sends updated_since twice): the last one wins.
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        credits = 0
        try:
            if not sandbox.authorized(self.headers.get("Authorization")):
                raise invalid_credentials()
            if resolved is None:
                raise ApiError(404, {})
            route, args = resolved
            cost = credits_for(route, query)
            headers.update(sandbox.admit(route, cost))
            credits = cost
            sandbox.inject(key, fault, args)
            path = split.path.rstrip("/")
            # Links (the next page's) come from the address the sandbox is bound to, never
            # from the client's Host header: a forged Host would send the client elsewhere.
            call = FreshdeskCall(self.command, path, query, body, sandbox.base_url, args)
            status, payload, extra = route.handler(sandbox.services, call)
            if fault is not None and fault.startswith("stored-"):
                # Handled and stored; the answer is lost on its way back through a gateway.
                sandbox.bump("errors_injected")
                answer = fault.removeprefix("stored-")
                if answer == "trickle":
                    sandbox.count(key, credits=credits, status=status)
                    self._trickle(status, payload, config.slow_ms / 1000.0)
                    return
                if answer == "html":
                    sandbox.count(key, credits=credits, status=200)
                    self._send_page(200)
                    return
                raise ApiError(int(answer), {})
        except ApiError as exc:
            limits = config.limits
            if exc.status == 429:
                headers.setdefault("X-RateLimit-Total", str(limits.total))
                headers["X-RateLimit-Remaining"] = str(
                    sandbox.limiter.remaining("total", limits.total)
                )
                headers["X-RateLimit-Used-CurrentRequest"] = "0"
            counter = "rate_limited" if exc.status == 429 else None
            sandbox.count(key, counter, credits, status=exc.status)
            self.send_json(exc.status, exc.body or None, {**headers, **exc.headers})
            return
        sandbox.count(key, credits=credits, status=status)
        self.send_json(status, payload, {**headers, **extra})

    def _trickle(self, status: int, body: Any, pause: float) -> None:
        """The answer's first byte, then the rest after ``pause`` (the ``stored-trickle`` fault)."""
        payload = orjson.dumps(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        try:
            self.wfile.write(payload[:1])
            self.wfile.flush()
            time.sleep(pause)
            self.wfile.write(payload[1:])
        except OSError:
            self.close_connection = True  # the client gave up: its deadline passed

    def _send_page(self, status: int) -> None:
        """A proxy's HTML page instead of Freshdesk's JSON (the ``html`` faults)."""
        page = b"<html><body><h1>Bad gateway</h1></body></html>"
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def _control(self, sandbox: FreshdeskSandbox, path: str) -> None:
        try:
            changes = self.read_json()
        except BadBody:
            self.send_json(400, {"code": "invalid_json", "message": "body is not JSON"})
            return
        if self.command == "GET" and path == "/sandbox/stats":
            self.send_json(200, sandbox.stats())
        elif self.command == "GET" and path == "/sandbox/outbox":
            self.send_json(200, {"outbox": sandbox.store.outbox()})
        elif self.command == "POST" and path == "/sandbox/reset_stats":
            sandbox.reset_stats()
            self.send_json(200, sandbox.stats())
        elif self.command == "POST" and path == "/sandbox/config":
            try:
                if not isinstance(changes, dict):
                    raise ValueError("config must be a JSON object")
                sandbox.config.apply(changes)
            except ValueError as exc:
                self.send_json(400, {"code": "invalid_value", "message": str(exc)})
                return
            self.send_json(200, sandbox.config.public())
        elif path in ("/sandbox/webhooks", "/sandbox/deliveries"):
            self._automation(sandbox, path, changes)
        elif self.command == "POST" and path == "/sandbox/agent_edit":
            ticket = changes.get("ticket_id") if isinstance(changes, dict) else None
            tag = changes.get("tag") if isinstance(changes, dict) else None
            if not isinstance(ticket, int) or not (tag is None or isinstance(tag, str)):
                self.send_json(400, {"code": "invalid_value", "message": "ticket_id (int), tag"})
            elif sandbox.agent_edit(ticket, tag):
                self.send_json(200, sandbox.store.find(ticket))
            else:
                self.send_json(404, None)
        else:
            self.send_json(404, None)

    def _automation(self, sandbox: FreshdeskSandbox, path: str, body: Any) -> None:
        """``/sandbox/webhooks`` (the automation rules' knob) and ``/sandbox/deliveries``."""
        automation = sandbox.automation
        if path == "/sandbox/deliveries" and self.command == "GET":
            self.send_json(200, automation.dispatcher.view())
        elif path == "/sandbox/deliveries" and self.command == "DELETE":
            automation.dispatcher.clear()
            self.send_json(204, None)
        elif path == "/sandbox/webhooks" and self.command == "GET":
            self.send_json(200, {"webhooks": automation.rules()})
        elif path == "/sandbox/webhooks" and self.command == "DELETE":
            automation.clear_rules()
            self.send_json(204, None)
        elif path == "/sandbox/webhooks" and self.command == "POST":
            try:
                self.send_json(201, {"webhook": automation.add_rule(body)})
            except RuleError as exc:
                self.send_json(400, {"code": "invalid_value", "message": str(exc)})
        else:
            self.send_json(405, {"code": "method_not_allowed", "message": self.command})


class RunningFreshdesk:
    """A Freshdesk sandbox serving in a background thread; a context manager."""

    def __init__(self, server: FreshdeskServer) -> None:
        self._server = server
        self._thread = start_thread(server)
        self.port: int = server.server_address[1]
        self.url = server.sandbox.base_url
        self.sandbox = server.sandbox
        self.store = server.sandbox.store
        self.config = server.sandbox.config
        self._closed = False

    def stats(self) -> dict[str, Any]:
        """Same as ``GET /sandbox/stats``."""
        return self.sandbox.stats()

    def agent_edit(
        self, ticket_id: int, tag: str | None = None, priority: int | None = None
    ) -> bool:
        """A concurrent edit right now: an agent adds ``tag`` (default ``config.edit_tag``)
        and sets ``priority`` when given."""
        return self.sandbox.agent_edit(ticket_id, tag, priority)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._server.shutdown()
        close_server(self._server, self.sandbox.close)
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningFreshdesk:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _build(config: FreshdeskConfig | None, host: str, port: int) -> FreshdeskServer:
    config = config if config is not None else FreshdeskConfig()
    server = FreshdeskServer((host, port), _Handler)
    url_host = "127.0.0.1" if host in ("", "0.0.0.0") else host  # noqa: S104 - only compared
    server.sandbox = FreshdeskSandbox(config, f"http://{url_host}:{server.server_address[1]}")
    return server


def serve_in_thread(
    config: FreshdeskConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> RunningFreshdesk:
    """Start a Freshdesk sandbox on ``host:port`` (0 picks a free port) in a daemon thread."""
    return RunningFreshdesk(_build(config, host, port))


def serve_forever(
    config: FreshdeskConfig, *, host: str, port: int, on_ready: Callable[[str], None]
) -> None:
    """Serve in this thread until interrupted (Ctrl-C); state is saved on the way out."""
    server = _build(config, host, port)
    try:
        on_ready(server.sandbox.base_url)
        server.serve_forever(poll_interval=0.2)
    finally:
        close_server(server, server.sandbox.close)
