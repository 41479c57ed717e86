"""The ServiceNow sandbox's request handler, and starting it in a thread or in the foreground,
over TLS when given a certificate and key (pysnc speaks only https).

from ticket_processor.helpdesks.servicenow.sandbox.config import ServiceNowConfig
from ticket_processor.helpdesks.servicenow.sandbox.serving import serve_in_thread

with serve_in_thread(ServiceNowConfig()) as sb:
    requests.get(f"{sb.url}/api/now/table/incident", auth=(sb.config.user, sb.config.password))
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from ....sandbox.httpbase import ApiError, JsonHandler, close_server, start_thread
from .api import (
    BATCH_PATH,
    Answer,
    TableCall,
    endpoint_key,
    handle_table,
    refuses,
    run_batch,
    split_url,
    table_route,
)
from .config import ServiceNowConfig, bad_request, failure
from .control import control
from .server import ServiceNowSandbox, ServiceNowServer

TOKEN_PATH = "/oauth_token.do"  # noqa: S105 - an address, not a secret


class _Handler(JsonHandler):
    server: ServiceNowServer

    def do_PATCH(self) -> None:
        self.handle_request()

    def date_time_string(self, timestamp: float | None = None) -> str:
        """``Date`` on the sandbox's clock, the one that stamps ``sys_updated_on``, as an
        instance's answers carry its own."""
        moment = self.server.sandbox.config.clock() if timestamp is None else timestamp
        return super().date_time_string(moment)

    def handle_request(self) -> None:
        sandbox = self.server.sandbox
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if split.path.startswith("/sandbox/"):
            status, payload = control(sandbox, self.command, split.path, _json_or_none(raw))
            self.send_json(status, payload)
            return
        key = endpoint_key(self.command, split.path)
        fault = sandbox.take_fault(key)
        config = sandbox.config
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
        try:
            status, payload, extra = self._answer(sandbox, key, fault, split, raw, headers)
        except ApiError as exc:
            counter = {429: "rate_limited", 401: "unauthorized"}.get(exc.status)
            sandbox.count(key, counter, status=exc.status)
            self.send_json(exc.status, exc.body or None, {**headers, **exc.headers})
            return
        sandbox.count(key, status=status)
        self.send_json(status, payload, {**headers, **extra})

    def _answer(
        self,
        sandbox: ServiceNowSandbox,
        key: str,
        fault: str | None,
        split: Any,
        raw: bytes,
        headers: dict[str, str],
    ) -> Answer:
        if split.path == TOKEN_PATH and self.command == "POST":
            sandbox.bump("tokens_issued")
            return 200, sandbox.auth.grant(raw), {"Cache-Control": "no-store"}
        user = sandbox.auth.user_of(self.headers.get("Authorization"))
        headers.update(sandbox.admit(user))
        sandbox.inject(key, fault, split.path, split.query)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        if BATCH_PATH.match(split.path) and self.command == "POST":
            body = _json(raw)

            def one(method: str, url: str, inner: Any) -> Answer:
                path, params = split_url(url)
                return self._table(sandbox, method, path, params, inner, user)

            return 200, run_batch(body, one), {}
        body = _json(raw) if self.command in ("POST", "PATCH", "PUT") else None
        answer = self._table(sandbox, self.command, split.path, query, body, user)
        if fault is not None and fault.startswith("stored-"):
            # Handled and stored; the answer is lost on its way back through a gateway.
            sandbox.bump("errors_injected")
            raise ApiError(int(fault.removeprefix("stored-")), {})
        return answer

    def _table(
        self,
        sandbox: ServiceNowSandbox,
        method: str,
        path: str,
        query: dict[str, str],
        body: Any,
        user: str,
    ) -> Answer:
        route = table_route(path)
        if route is None:
            raise failure(400, "Requested URI does not represent any resource", path)
        # Links come from the address the sandbox is bound to, never from the client's Host
        # header: a forged Host would send the client elsewhere.
        call = TableCall(method, route[0], route[1], query, body, user, sandbox.base_url)
        if method == "GET" and route == ("sys_journal_field", None):
            sandbox.journals_asked(query.get("sysparm_query", ""))
        return handle_table(sandbox.store, call, refuses(sandbox.config.invalid_ticket_ids))


def _json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise bad_request(
            "Exception while reading request", "The payload is not valid JSON."
        ) from None


def _json_or_none(raw: bytes) -> Any:
    try:
        return orjson.loads(raw) if raw.strip() else None
    except orjson.JSONDecodeError:
        return None


class RunningServiceNow:
    """A ServiceNow sandbox serving in a background thread; a context manager."""

    def __init__(self, server: ServiceNowServer) -> None:
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

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._server.shutdown()
        close_server(self._server, self.sandbox.close)
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningServiceNow:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _build(config: ServiceNowConfig | None, host: str, port: int) -> ServiceNowServer:
    config = config if config is not None else ServiceNowConfig()
    context = _tls(config)
    server = ServiceNowServer((host, port), _Handler)
    scheme = "http"
    if context is not None:
        # Each accepted connection does its handshake in its own handler thread.
        server.socket = context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
        scheme = "https"
    url_host = "127.0.0.1" if host in ("", "0.0.0.0") else host  # noqa: S104 - only compared
    base_url = f"{scheme}://{url_host}:{server.server_address[1]}"
    try:
        server.sandbox = ServiceNowSandbox(config, base_url)
    except BaseException:
        server.server_close()
        raise
    return server


def _tls(config: ServiceNowConfig) -> ssl.SSLContext | None:
    """The server's TLS context from ``ssl_certfile`` and ``ssl_keyfile``; None: plain HTTP."""
    if config.ssl_certfile is None and config.ssl_keyfile is None:
        return None
    if config.ssl_certfile is None:
        raise ValueError("ssl_keyfile needs ssl_certfile too")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(
        str(config.ssl_certfile), config.ssl_keyfile and str(config.ssl_keyfile)
    )
    return context


def serve_in_thread(
    config: ServiceNowConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> RunningServiceNow:
    """Start a ServiceNow sandbox on ``host:port`` (0 picks a free port) in a daemon thread."""
    return RunningServiceNow(_build(config, host, port))


def serve_forever(
    config: ServiceNowConfig, *, host: str, port: int, on_ready: Callable[[str], None]
) -> None:
    """Serve in this thread until interrupted (Ctrl-C); state is saved on the way out."""
    server = _build(config, host, port)
    try:
        on_ready(server.sandbox.base_url)
        server.serve_forever(poll_interval=0.2)
    finally:
        close_server(server, server.sandbox.close)
