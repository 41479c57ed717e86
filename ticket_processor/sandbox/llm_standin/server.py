"""An OpenAI-compatible stand-in LLM server for tests and benchmarks (never used unless pointed at).

A real HTTP server on 127.0.0.1 (``ThreadingHTTPServer``, HTTP/1.1 keep-alive, a deep listen
queue so hundreds of clients at 1 s latency each are served side by side) answering
``POST /v1/chat/completions`` in OpenAI's response shape, ``GET /v1/models``, ``GET /stats``
and the Batch API (``/v1/files``, ``/v1/batches``: ``batches.py``).

Answers come from ``StandinConfig.answer`` if given, else from ``answers.default_answer``.
Knobs (``StandinConfig``, mutable while running) add latency, a trickled answer, 500s, random
and per-window 429s with ``Retry-After``, announced rate limits (``x-ratelimit-*``), a prompt
cache (``cached_tokens``), malformed JSON, out-of-taxonomy values, a server without
``json_schema`` support, unknown models, and scripted answers consumed in order. Every request
body is kept in ``received`` so tests can prove what left the machine (redaction).
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import struct
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from .answers import (
    AnswerFn,
    RawBody,
    _error,
    _fit_enums,
    _schema_enums,
    answer_reply_first,
    completion_body,
    default_answer,
    fit_agent_text,
    fit_fault,
    fit_person,
    fit_spam,
    fit_subcategory,
    rules_answer_for,
    ticket_from_messages,
    translation_of,
)
from .batches import BatchStore
from .limits import PromptCache, RateWindow, charged_tokens
from .opinions import opinion_of
from .summaries import summary_from_messages

__all__ = ["RunningStandin", "StandinConfig", "serve_in_thread"]

Reply = tuple[int, Any, dict[str, str]]


@dataclass
class StandinConfig:
    """Behaviour knobs, read on every request (change them while the server runs).

    ``script`` items are consumed one per chat request, before any random fault:
    a dict with ``"status"`` -> that HTTP error (optional ``"retry_after"``, ``"message"``);
    a dict with ``"content"`` -> that raw content (optional ``"finish_reason"``);
    a dict with ``"body"`` -> that text as the whole HTTP body, status 200 (a proxy's page);
    any other dict -> that JSON as the content; a str -> that raw content.

    ``trickle_seconds``: chat answers send their headers, then one byte every N seconds (a
    proxy that stalls; only a deadline for the whole call ends it). ``rpm_limit`` and
    ``tpm_limit`` count requests and tokens per ``limit_window_s`` (60: a minute; tests shorten
    it); with ``announce_limits`` every answer carries OpenAI's ``x-ratelimit-*`` headers.
    ``prompt_cache``: a repeated request prefix of at least ``cache_min_tokens`` comes back as
    ``usage.prompt_tokens_details.cached_tokens``. ``batch_api`` False answers 404 on the
    Batch API; a batch completes ``batch_delay_s`` after it was created, or on
    ``complete_batches()`` / ``POST /sandbox/batches/complete``; ``batches.forget()`` / ``POST
    /sandbox/batches/forget`` makes it forget every batch (404 from then on, as after a purge).
    ``slots``: at most that many
    answers are worked on at once and the rest queue (an Ollama's ``OLLAMA_NUM_PARALLEL``, a
    saturated vLLM), so the latency a caller sees grows with what it sends. ``echo_request``:
    every error answer quotes the request line, query string included (``Invalid URL (POST
    /v1/chat/completions?api-key=...)``, as OpenAI's own and many gateways' errors do), so
    tests can show what a client makes of an endpoint that echoes a key it was sent.

    Answers past any sane size, generated while sending (the stand-in never holds them):
    ``oversize_answer_bytes`` makes every chat answer a completion that long;
    ``gzip_bomb_bytes`` makes it a gzip body (a thousandth of that on the wire) that inflates
    to that many bytes; ``batch_padding_lines`` follows a batch output file with that many
    extra result lines (~2 KB each); ``file_trickle_seconds`` sends a file's content (a batch's
    results) one byte every N seconds after its headers.
    """

    latency_s: float = 0.0
    latency_jitter: float = 0.0
    trickle_seconds: float = 0.0
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    limit_window_s: float = 60.0
    announce_limits: bool = False
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    malformed_rate: float = 0.0
    wrong_enum_rate: float = 0.0
    supports_json_schema: bool = True
    prompt_cache: bool = True
    cache_min_tokens: int = 0
    batch_api: bool = True
    batch_delay_s: float = 0.0
    slots: int | None = None
    oversize_answer_bytes: int = 0
    gzip_bomb_bytes: int = 0
    batch_padding_lines: int = 0
    file_trickle_seconds: float = 0.0
    # This share of new connections is reset (RST) right after accept, before a byte is read:
    # a small server whose listen backlog overflows. Evenly spread, never two in a row, and
    # while it is on every answer closes its connection, so each call connects anew.
    reset_rate: float = 0.0
    script: list[dict[str, Any] | str] | None = None
    models: tuple[str, ...] = ("stand-in",)
    seed: int | None = None
    answer: AnswerFn | None = None
    echo_request: bool = False
    # Translations marked with the language asked (``[de] ...``), for tests to follow them; off,
    # the text comes back as it was: the stand-in claims no translation it did not make.
    mark_translations: bool = False


# --- the server ----------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # The listen backlog: hundreds of clients connecting at once must not be refused or queued.
    request_queue_size = 1024
    standin: RunningStandin

    def process_request(self, request: Any, client_address: Any) -> None:
        if self.standin.reset_now():
            # SO_LINGER 0: close() sends RST, as a kernel does to a connection it cannot queue.
            request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            request.close()
            return
        super().process_request(request, client_address)

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
        path = self.path.split("?", 1)[0].rstrip("/")
        if path in ("/v1/models", "/models"):
            data = [
                {"id": m, "object": "model", "owned_by": "stand-in"} for m in standin.config.models
            ]
            self._send(200, {"object": "list", "data": data})
        elif path == "/stats":
            self._send(200, standin.stats())
        elif path.startswith(("/v1/batches", "/v1/files")) and standin.config.batch_api:
            status, payload, kind = standin.batches.get(path)
            config = standin.config
            padding = config.batch_padding_lines
            if padding and status == 200 and path.endswith("/content"):
                self._stream(_padded_file(payload, padding), kind)
            elif path.endswith("/content") and config.file_trickle_seconds > 0:
                trickle = standin.config.file_trickle_seconds
                self._send(
                    status, RawBody(payload.decode("utf-8")), content_type=kind, trickle=trickle
                )
            elif kind == "application/json":
                self._send(status, payload)
            else:
                self._send(status, RawBody(payload.decode("utf-8")), content_type=kind)
        else:
            self._send(404, _error("not found", "not_found"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        standin = self.server.standin
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/sandbox/batches/complete":
            self._send(200, {"completed": standin.complete_batches()})
            return
        if path == "/sandbox/batches/forget":
            self._send(200, {"forgotten": standin.batches.forget()})
            return
        if path.startswith(("/v1/batches", "/v1/files")) and standin.config.batch_api:
            status, payload = standin.batches.post(path, self.headers.get("Content-Type", ""), raw)
            self._send(status, payload)
            return
        if path not in ("/v1/chat/completions", "/chat/completions"):
            self._send(404, _error("not found", "not_found"))
            return
        try:
            body = json.loads(raw or b"{}")
            if not isinstance(body, dict):
                raise ValueError("body must be an object")
        except ValueError:
            self._send(400, _error("request body is not JSON", "invalid_request_error"))
            return
        config = standin.config
        if config.oversize_answer_bytes or config.gzip_bomb_bytes:
            with standin._lock:
                standin.received.append(body)
                standin._counts["requests"] += 1
            if config.gzip_bomb_bytes:
                self._stream(_gzip_bomb(config.gzip_bomb_bytes), "application/json", "gzip")
            else:
                self._stream(_oversize(config.oversize_answer_bytes), "application/json")
            return
        status, payload, headers = standin.complete(body)
        self._send(status, payload, headers, trickle=standin.config.trickle_seconds)

    def _stream(self, chunks: Iterator[bytes], kind: str, encoding: str | None = None) -> None:
        """A 200 whose body is ``chunks`` as they come, ended by closing the connection."""
        self.send_response(200)
        self.send_header("Content-Type", kind)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
        except OSError:
            return  # the client stopped reading: its cap

    def _send(
        self,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
        *,
        content_type: str | None = None,
        trickle: float = 0.0,
    ) -> None:
        raw = isinstance(payload, RawBody)
        error = payload.get("error") if isinstance(payload, dict) else None
        if status >= 400 and isinstance(error, dict) and self.server.standin.config.echo_request:
            error = {**error, "message": f"{error.get('message')} ({self.command} {self.path})"}
            payload = {**payload, "error": error}
        data = payload.encode("utf-8") if raw else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        kind = content_type or ("text/html" if raw else "application/json")
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.server.standin.config.reset_rate > 0:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if trickle <= 0:
            self.wfile.write(data)
            return
        self.wfile.flush()
        for index in range(len(data)):
            time.sleep(trickle)
            self.wfile.write(data[index : index + 1])  # a client that gave up: BrokenPipe
            self.wfile.flush()


class RunningStandin:
    """A stand-in serving in a background thread; ``url`` is the ``base_url`` (ends in /v1)."""

    def __init__(self, config: StandinConfig, server: _Server) -> None:
        self.config = config
        self.received: list[dict[str, Any]] = []
        # When each completion was answered (monotonic): the busiest window of a benchmark.
        self.answered_at: deque[float] = deque(maxlen=100_000)
        self._server = server
        self._lock = threading.Lock()
        self._rng = random.Random(config.seed)
        self._window = RateWindow()
        self._cache = PromptCache()
        self.batches = BatchStore(self._batch_answer, delay_s=config.batch_delay_s)
        self._counts = {
            "requests": 0,
            "rate_limited": 0,
            "errors": 0,
            "completions": 0,
            "resets": 0,
        }
        self._reset_debt = 0.0
        self._inflight = 0
        self._max_inflight = 0
        self._slots: threading.BoundedSemaphore | None = None
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

    def reset_now(self) -> bool:
        """Whether to reset the connection just accepted (``reset_rate``), counted."""
        rate = self.config.reset_rate
        if rate <= 0:
            return False
        with self._lock:
            self._reset_debt += rate
            if self._reset_debt < 1.0:
                return False
            self._reset_debt -= 1.0
            self._counts["resets"] += 1
            return True

    def complete_batches(self) -> int:
        """Every batch in progress completes at its next poll; returns how many."""
        return self.batches.complete()

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

    def complete(self, body: dict[str, Any]) -> Reply:
        config = self.config
        with self._lock:
            self.received.append(body)
            self._counts["requests"] += 1
            self._inflight += 1
            self._max_inflight = max(self._max_inflight, self._inflight)
        try:
            wait, limit_headers = self._window.admit(
                rpm=config.rpm_limit,
                tpm=config.tpm_limit,
                window=config.limit_window_s,
                tokens=charged_tokens(body),
                announce=config.announce_limits,
            )
            if wait is not None:
                status, payload, headers = self._rate_limited(wait)
            else:
                status, payload, headers = self._complete(body, config, online=True)
            return status, payload, {**limit_headers, **headers}
        finally:
            with self._lock:
                self._inflight -= 1

    def _batch_answer(self, body: dict[str, Any]) -> tuple[int, Any]:
        # A batch line is answered like an online call, without latency, limits or trickle.
        with self._lock:
            self.received.append(body)
            self._counts["requests"] += 1
        status, payload, _ = self._complete(body, self.config, online=False)
        return status, payload

    def _complete(self, body: dict[str, Any], config: StandinConfig, *, online: bool) -> Reply:
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
        if online:
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
        summary = summary_from_messages(list(body.get("messages") or []))
        if summary is not None and config.answer is None:
            return 200, self._completion(body, model, json.dumps(summary), "stop"), {}
        opinion = opinion_of(list(body.get("messages") or []))
        if opinion is not None:
            return 200, self._completion(body, model, opinion, "stop"), {}
        translated = translation_of(list(body.get("messages") or []), mark=config.mark_translations)
        if translated is not None:
            return 200, self._completion(body, model, translated, "stop"), {}
        subject, ticket_body = ticket_from_messages(list(body.get("messages") or []))
        if config.answer is not None:  # a test's scripted answer reads the text as sent
            answer = config.answer(subject, ticket_body)
        else:
            answer_fn = rules_answer_for(body) or default_answer()
            answer = answer_reply_first(answer_fn, subject, ticket_body)
        answer = _fit_enums(answer, _schema_enums(body))
        answer = fit_subcategory(answer, body, subject, ticket_body)
        answer = fit_spam(answer, body, subject, ticket_body)
        answer = fit_fault(answer, body, subject, ticket_body)
        answer = fit_person(answer, body, subject, ticket_body)
        answer = fit_agent_text(answer, body, subject, ticket_body, mark=config.mark_translations)
        if fault_enum < config.wrong_enum_rate:
            answer = {**answer, "category": "vip_escalation", "urgency": "extreme"}
        content = json.dumps(answer)
        if fault_malformed < config.malformed_rate:
            content = content[: max(1, len(content) // 2)] + ",,}"
        elif not isinstance(response_format, dict) or response_format.get("type") == "text":
            # Without a response format, models chat around the JSON; so does the stand-in.
            content = f"Here is the analysis:\n```json\n{content}\n```\nLet me know if needed."
        return 200, self._completion(body, model, content, "stop"), {}

    def _scripted(self, item: dict[str, Any] | str, body: dict[str, Any], model: str) -> Reply:
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
        cached = None
        if self.config.prompt_cache:
            cached = self._cache.cached_tokens(body, minimum=self.config.cache_min_tokens)
        with self._lock:
            self._counts["completions"] += 1
            self.answered_at.append(time.monotonic())
        return completion_body(body, model, content, finish, cached_tokens=cached)

    def _rate_limited(self, retry_after: Any) -> Reply:
        with self._lock:
            self._counts["rate_limited"] += 1
        headers = {}
        if retry_after is not None:
            headers["Retry-After"] = str(max(0, int(-(-float(retry_after) // 1))))
        message = "Rate limit reached for requests. Please try again later."
        return 429, _error(message, "requests", "rate_limit_exceeded"), headers

    def _server_error(self, status: int) -> Reply:
        with self._lock:
            self._counts["errors"] += 1
        return (
            status,
            _error("The server had an error processing your request.", "server_error"),
            {},
        )

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
            if config.slots is not None and self._slots is None:
                self._slots = threading.BoundedSemaphore(config.slots)
            slots = self._slots or contextlib.nullcontext()
        with slots:
            time.sleep(max(0.0, config.latency_s * factor))


_PIECE = 64 * 1024


def _oversize(size: int) -> Iterator[bytes]:
    """A chat completion ``size`` bytes long whose content is one long run of ``x``."""
    head = (
        b'{"id": "chatcmpl-oversize", "object": "chat.completion", "created": 0, '
        b'"model": "stand-in", "choices": [{"index": 0, "finish_reason": "stop", '
        b'"message": {"role": "assistant", "content": "'
    )
    tail = b'"}}], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}'
    yield head
    left = max(0, size - len(head) - len(tail))
    piece = b"x" * _PIECE
    while left > 0:
        yield piece[: min(left, _PIECE)]
        left -= _PIECE
    yield tail


def _gzip_bomb(size: int) -> Iterator[bytes]:
    """A gzip stream that inflates to ``size`` bytes of JSON whitespace and then ``{}``."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    piece = b" " * _PIECE
    left = size
    while left > 0:
        out = packer.compress(piece[: min(left, _PIECE)])
        left -= _PIECE
        if out:
            yield out
    yield packer.compress(b"{}") + packer.flush()


def _padded_file(payload: Any, lines: int) -> Iterator[bytes]:
    """A batch output file, then ``lines`` more result lines of ~2 KB for tickets never asked."""
    yield payload if isinstance(payload, bytes) else str(payload).encode("utf-8")
    pad = "p" * 1900
    for index in range(lines):
        record = {
            "custom_id": f"padding-{index}",
            "response": {"status_code": 500, "body": {"error": {"message": pad}}},
        }
        yield (json.dumps(record) + "\n").encode("utf-8")


def serve_in_thread(
    config: StandinConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> RunningStandin:
    """Start a stand-in on ``host:port`` (0 = a free port) in a daemon thread."""
    server = _Server((host, port), _Handler)
    return RunningStandin(config if config is not None else StandinConfig(), server)
