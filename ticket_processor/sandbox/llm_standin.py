"""An OpenAI-compatible stand-in LLM server for tests and benchmarks (never used unless pointed at).

A real HTTP server on 127.0.0.1 (``ThreadingHTTPServer``, HTTP/1.1 keep-alive, a deep listen
queue so 64+ clients at 1 s latency each are served side by side) answering
``POST /v1/chat/completions`` in OpenAI's response shape, ``GET /v1/models`` and ``GET /stats``.

It parses the ticket back out of the prompt's ``<ticket>`` fence and answers with a schema-valid
analysis: from ``StandinConfig.answer`` if given, else from the rules engine, else from a small
keyword table. Knobs (``StandinConfig``, mutable while running) add latency, 500s, random and
per-minute 429s with ``Retry-After``, malformed JSON, out-of-taxonomy values, a server without
``json_schema`` support, unknown models, and scripted answers consumed in order. Every request
body is kept in ``received`` so tests can prove what left the machine (redaction).
"""

from __future__ import annotations

import html
import json
import random
import re
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

AnswerFn = Callable[[str, str], dict[str, Any]]


@dataclass
class StandinConfig:
    """Behaviour knobs, read on every request (change them while the server runs).

    ``script`` items are consumed one per chat request, before any random fault:
    a dict with ``"status"`` -> that HTTP error (optional ``"retry_after"``, ``"message"``);
    a dict with ``"content"`` -> that raw content (optional ``"finish_reason"``);
    a dict with ``"body"`` -> that text as the whole HTTP body, status 200 (a proxy's page);
    any other dict -> that JSON as the content; a str -> that raw content.
    """

    latency_s: float = 0.0
    latency_jitter: float = 0.0
    rpm_limit: int | None = None
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    malformed_rate: float = 0.0
    wrong_enum_rate: float = 0.0
    supports_json_schema: bool = True
    script: list[dict[str, Any] | str] | None = None
    models: tuple[str, ...] = ("stand-in",)
    seed: int | None = None
    answer: AnswerFn | None = None


# --- the default answer --------------------------------------------------------------------

_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("security", ("fraud", "phishing", "hacked", "unauthori", "compromised", "vulnerab")),
    ("refund", ("refund", "money back", "chargeback", "return")),
    ("billing", ("invoice", "charged", "charge", "billing", "payment", "subscription", "price")),
    ("account", ("password", "login", "log in", "sign in", "2fa", "two-factor", "account")),
    ("shipping", ("delivery", "shipping", "parcel", "tracking", "shipped", "arrived")),
    ("bug", ("crash", "error", "bug", "broken", "fails", "not working", "doesn't work")),
    ("feature_request", ("feature", "would be nice", "please add", "suggestion")),
    ("how_to", ("how do i", "how to", "how can i", "where can i")),
)
_URGENT = ("urgent", "asap", "immediately", "down", "outage", "critical", "emergency")
_NEGATIVE = ("angry", "terrible", "worst", "unacceptable", "disappointed", "furious", "broken")
_POSITIVE = ("thank", "great", "love", "awesome", "appreciate")


def keyword_answer(subject: str, body: str) -> dict[str, Any]:
    """A deterministic analysis from a few keywords: enough to look like a model."""
    text = f"{subject}\n{body}".lower()
    category = next(
        (name for name, words in _KEYWORDS if any(word in text for word in words)), "other"
    )
    urgency = "high" if any(word in text for word in _URGENT) else "medium"
    if any(word in text for word in _NEGATIVE):
        sentiment = "negative"
    elif any(word in text for word in _POSITIVE):
        sentiment = "positive"
    else:
        sentiment = "neutral"
    summary = " ".join(f"{subject}. {body}".split())[:200] or "Empty ticket."
    return {
        "category": category,
        "urgency": urgency,
        "sentiment": sentiment,
        "language": "en",
        "summary": summary,
        "confidence": 0.8,
    }


_rules_lock = threading.Lock()
_rules_answer: list[AnswerFn | None] = []


def default_answer() -> AnswerFn:
    """The rules engine's analysis when it can be built, else ``keyword_answer``."""
    with _rules_lock:
        if not _rules_answer:
            _rules_answer.append(_build_rules_answer())
        found = _rules_answer[0]
    return found if found is not None else keyword_answer


def _build_rules_answer() -> AnswerFn | None:
    try:
        from ..rules import RulesEngine
        from ..taxonomy import load_taxonomy

        engine = RulesEngine(load_taxonomy())
    except Exception:  # noqa: BLE001 - any trouble building the rules means: use the keywords
        return None

    def answer(subject: str, body: str) -> dict[str, Any]:
        return engine.analyse(subject, body).model_dump(mode="json", exclude_none=True)

    return answer


# --- request parsing -----------------------------------------------------------------------

_FENCE = re.compile(r"(?s)<ticket>\s*(?:<subject>(.*?)</subject>)?\s*(?:<body>(.*?)</body>)?")


def ticket_from_messages(messages: list[dict[str, Any]]) -> tuple[str, str]:
    """The (subject, body) inside the last user message's ``<ticket>`` fence."""
    text = ""
    for message in reversed(messages):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            text = message["content"]
            if "<ticket>" in text:
                break
    found = _FENCE.search(text)
    if not found:
        return "", text
    return html.unescape((found.group(1) or "").strip()), html.unescape(
        (found.group(2) or "").strip()
    )


def _schema_enums(body: dict[str, Any]) -> dict[str, list[str]]:
    """The enum of each property of a json_schema response format, if one was sent."""
    response_format = body.get("response_format")
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return {}
    schema = (response_format.get("json_schema") or {}).get("schema") or {}
    properties = schema.get("properties") or {}
    return {
        name: list(spec["enum"])
        for name, spec in properties.items()
        if isinstance(spec, dict) and isinstance(spec.get("enum"), list)
    }


def _fit_enums(analysis: dict[str, Any], enums: dict[str, list[str]]) -> dict[str, Any]:
    # A json_schema server never answers outside the schema's enums.
    fitted = dict(analysis)
    for name, allowed in enums.items():
        if name in fitted and fitted[name] not in allowed and allowed:
            fitted[name] = "other" if "other" in allowed else allowed[-1]
    return fitted


# --- the server ----------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # The listen backlog: 64 clients connecting at once must not be refused or queued.
    request_queue_size = 1024
    standin: RunningStandin

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (its timeout) closes the socket mid-answer: expected, not news.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, keep-alive clients wait for
    # a delayed ACK (~40 ms) on every response.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and benchmarks read ``stats()`` instead."""

    def do_GET(self) -> None:
        standin = self.server.standin
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            data = [
                {"id": m, "object": "model", "owned_by": "stand-in"} for m in standin.config.models
            ]
            self._send(200, {"object": "list", "data": data})
        elif self.path.rstrip("/") == "/stats":
            self._send(200, standin.stats())
        else:
            self._send(404, _error("not found", "not_found"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._send(404, _error("not found", "not_found"))
            return
        try:
            body = json.loads(raw or b"{}")
            if not isinstance(body, dict):
                raise ValueError("body must be an object")
        except ValueError:
            self._send(400, _error("request body is not JSON", "invalid_request_error"))
            return
        status, payload, headers = self.server.standin.complete(body)
        self._send(status, payload, headers)

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        raw = isinstance(payload, RawBody)
        data = payload.encode("utf-8") if raw else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if raw else "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class RawBody(str):
    """A scripted body sent as it is, not as JSON."""


def _error(message: str, kind: str, code: str | None = None, param: str | None = None) -> Any:
    return {"error": {"message": message, "type": kind, "code": code, "param": param}}


class RunningStandin:
    """A stand-in serving in a background thread; ``url`` is the ``base_url`` (ends in /v1)."""

    def __init__(self, config: StandinConfig, server: _Server) -> None:
        self.config = config
        self.received: list[dict[str, Any]] = []
        self._server = server
        self._lock = threading.Lock()
        self._rng = random.Random(config.seed)
        self._window: deque[float] = deque()
        self._counts = {"requests": 0, "rate_limited": 0, "errors": 0, "completions": 0}
        self._inflight = 0
        self._max_inflight = 0
        host, port = server.server_address[:2]
        self.url = f"http://{host!s}:{port}/v1"
        server.standin = self
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    # -- public --------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {**self._counts, "max_inflight": self._max_inflight}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningStandin:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- one chat completion ---------------------------------------------------------------

    def complete(self, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        config = self.config
        with self._lock:
            self.received.append(body)
            self._counts["requests"] += 1
            self._inflight += 1
            self._max_inflight = max(self._max_inflight, self._inflight)
        try:
            return self._complete(body, config)
        finally:
            with self._lock:
                self._inflight -= 1

    def _complete(
        self, body: dict[str, Any], config: StandinConfig
    ) -> tuple[int, Any, dict[str, str]]:
        limited = self._over_rpm(config.rpm_limit)
        if limited is not None:
            return self._rate_limited(limited)
        model = str(body.get("model", ""))
        if model not in config.models:
            message = f"The model `{model}` does not exist or you do not have access to it."
            return 404, _error(message, "invalid_request_error", "model_not_found", "model"), {}
        response_format = body.get("response_format")
        if (
            isinstance(response_format, dict)
            and response_format.get("type") == "json_schema"
            and not config.supports_json_schema
        ):
            message = "response_format type 'json_schema' is not supported by this server"
            return 400, _error(message, "invalid_request_error", None, "response_format"), {}
        self._wait(config)

        scripted = self._next_script(config)
        if scripted is not None:
            return self._scripted(scripted, body, model)
        with self._lock:
            fault_error, fault_429, fault_malformed, fault_enum = (
                self._rng.random() for _ in range(4)
            )
        if fault_error < config.error_rate:
            return self._server_error(500)
        if fault_429 < config.rate_limit_rate:
            return self._rate_limited(1.0)
        subject, ticket_body = ticket_from_messages(list(body.get("messages") or []))
        answer = (config.answer or default_answer())(subject, ticket_body)
        answer = _fit_enums(answer, _schema_enums(body))
        if fault_enum < config.wrong_enum_rate:
            answer = {**answer, "category": "vip_escalation", "urgency": "extreme"}
        content = json.dumps(answer)
        if fault_malformed < config.malformed_rate:
            content = content[: max(1, len(content) // 2)] + ",,}"
        elif not isinstance(response_format, dict) or response_format.get("type") == "text":
            # Without a response format, models chat around the JSON; so does the stand-in.
            content = f"Here is the analysis:\n```json\n{content}\n```\nLet me know if needed."
        return 200, self._completion(body, model, content, "stop"), {}

    def _scripted(
        self, item: dict[str, Any] | str, body: dict[str, Any], model: str
    ) -> tuple[int, Any, dict[str, str]]:
        if isinstance(item, str):
            return 200, self._completion(body, model, item, "stop"), {}
        if "status" in item:
            status = int(item["status"])
            if status == 429:
                return self._rate_limited(item.get("retry_after"))
            with self._lock:
                self._counts["errors"] += 1
            message = str(item.get("message", f"stand-in scripted error {status}"))
            return (
                status,
                _error(message, "server_error" if status >= 500 else "invalid_request_error"),
                {},
            )
        if "body" in item:
            return 200, RawBody(str(item["body"])), {}
        if "content" in item:
            content = item["content"]
            finish = str(item.get("finish_reason", "stop"))
            return 200, self._completion(body, model, content, finish), {}
        return 200, self._completion(body, model, json.dumps(item), "stop"), {}

    def _completion(
        self, body: dict[str, Any], model: str, content: str | None, finish: str
    ) -> dict[str, Any]:
        max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
        if (
            isinstance(content, str)
            and isinstance(max_tokens, int)
            and len(content) > max_tokens * 4
        ):
            content, finish = content[: max_tokens * 4], "length"
        prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages") or [])
        completion_tokens = len(content or "") // 4 + 1
        prompt_tokens = prompt_chars // 4 + 1
        with self._lock:
            self._counts["completions"] += 1
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish,
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    def _rate_limited(self, retry_after: Any) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self._counts["rate_limited"] += 1
        headers = {}
        if retry_after is not None:
            headers["Retry-After"] = str(max(0, int(-(-float(retry_after) // 1))))
        message = "Rate limit reached for requests. Please try again later."
        return 429, _error(message, "requests", "rate_limit_exceeded"), headers

    def _server_error(self, status: int) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self._counts["errors"] += 1
        return (
            status,
            _error("The server had an error processing your request.", "server_error"),
            {},
        )

    def _over_rpm(self, limit: int | None) -> float | None:
        """Seconds until the next slot when the per-minute budget is spent, else None."""
        if limit is None:
            return None
        now = time.monotonic()
        with self._lock:
            while self._window and now - self._window[0] >= 60.0:
                self._window.popleft()
            if len(self._window) >= limit:
                return max(0.001, 60.0 - (now - self._window[0]))
            self._window.append(now)
        return None

    def _next_script(self, config: StandinConfig) -> dict[str, Any] | str | None:
        with self._lock:
            if config.script:
                return config.script.pop(0)
        return None

    def _wait(self, config: StandinConfig) -> None:
        if config.latency_s <= 0:
            return
        with self._lock:
            factor = 1.0 + self._rng.uniform(-config.latency_jitter, config.latency_jitter)
        time.sleep(max(0.0, config.latency_s * factor))


def serve_in_thread(
    config: StandinConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> RunningStandin:
    """Start a stand-in on ``host:port`` (0 = a free port) in a daemon thread."""
    server = _Server((host, port), _Handler)
    return RunningStandin(config if config is not None else StandinConfig(), server)


def iter_requests(standin: RunningStandin) -> Iterator[str]:
    """Every user message the stand-in received, for asserting what left the machine."""
    for body in list(standin.received):
        for message in body.get("messages") or []:
            if message.get("role") == "user":
                yield str(message.get("content", ""))
