"""The LLM client's own transport (``stdlib_http.StdlibTransport``) fails and succeeds as httpx's
did: a run on each helpdesk triages with the stand-in; TLS trusts what ``SSL_CERT_FILE`` names;
an idle connection the server closed is not reused; a server that drops a connection without
answering is a reset, a 429 keeps its Retry-After; a proxy keeps httpx's own transport.

Held elsewhere on the same transport: a silent endpoint is the SDK's ``APITimeoutError`` and a
closed port its ``APIConnectionError`` (``test_chat_poster.py``); headers or a body trickled a
byte at a time end at the call's deadline (``test_llm_bounds.py``, ``test_llm_scale.py``);
oversize and gzip-bomb answers stop at the cap (``test_llm_bounds.py``).
"""

from __future__ import annotations

import http.server
import json
import os
import resource
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx2
import openai
import pytest
import trustme
from support.cli import invoke

from ticket_processor.errors import LLMConnectionError, LLMConnectionReset, LLMRateLimited
from ticket_processor.llm import LLMAnalyser
from ticket_processor.llm_client.http import build_http_client
from ticket_processor.llm_client.stdlib_http import StdlibTransport
from ticket_processor.llm_client.wire import SDK_HEADERS_LEFT_OUT, ChatPoster, translate_error
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.server import RunningStandin
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy()
TICKET = prepare_ticket("Charged twice", "I was charged twice for order 4411, please refund.")
BODY = {"model": "m", "messages": [{"role": "user", "content": "Bonjour"}], "max_tokens": 10}
ANSWER = json.dumps(
    {
        "choices": [{"message": {"content": "Bonjour"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }
).encode()


def _client(base_url: str, timeout: float = 10.0) -> openai.OpenAI:
    """A client made as ``LLMAnalyser`` makes its own."""
    return openai.OpenAI(
        api_key="sk-test",
        base_url=base_url,
        timeout=httpx2.Timeout(timeout, connect=min(timeout, 5.0)),
        max_retries=0,
        http_client=build_http_client(connections=8, timeout=timeout, connect_timeout=5.0),
        default_headers=SDK_HEADERS_LEFT_OUT,
    )


def _translated(exc: openai.OpenAIError) -> Exception:
    return translate_error(exc, model="m", mode="text", timeout=10.0, secret=("sk-test",))


@pytest.mark.desk(configure=True)
def test_a_run_on_each_helpdesk_triages_with_the_llm(
    desk: Desk, standin: RunningStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "OPENAI_BASE_URL": standin.url,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "TICKETBOT_MODEL": "stand-in",
        "TICKETBOT_WORKERS": "3",
    }.items():
        monkeypatch.setenv(name, value)
    ids = desk.create(
        [
            NewTicket("Charged twice", "I was charged twice for order 4411, please refund."),
            NewTicket("Cannot log in", "The password reset link fails every time."),
            NewTicket("Parcel late", "My delivery has not arrived, tracking says nothing."),
        ]
    )
    result = invoke("run")
    assert result.exit_code == 0, result.output
    for ticket_id in ids:
        snap = desk.snapshot(ticket_id)
        assert "ai_processed" in snap.tags, snap.tags
        assert "ai_fallback" not in snap.tags, snap.tags  # the LLM answered every ticket
        assert len(snap.notes) == 1
    assert standin.stats()["requests"] >= len(ids)


def test_a_direct_endpoint_has_the_stdlib_transport_and_a_proxy_keeps_httpxs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    direct = build_http_client(connections=8, timeout=10.0, connect_timeout=5.0)
    assert isinstance(direct._transport._inner, StdlibTransport)  # type: ignore[attr-defined]
    direct.close()
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    proxied = build_http_client(connections=8, timeout=10.0, connect_timeout=5.0)
    assert not isinstance(proxied._transport._inner, StdlibTransport)  # type: ignore[attr-defined]
    proxied.close()


class _Answers(http.server.BaseHTTPRequestHandler):
    """A completion for every POST; with ``close_after``, the connection closed after each
    answer without saying so (as a server past its idle timeout does)."""

    protocol_version = "HTTP/1.1"
    close_after = False
    connections: ClassVar[list[tuple[str, int]]] = []
    closed = threading.Event()

    def setup(self) -> None:
        super().setup()
        self.connections.append(self.client_address)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(ANSWER)))
        self.end_headers()
        self.wfile.write(ANSWER)
        self.close_connection = self.close_after

    def log_message(self, *_: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    """Says a connection is closed once its socket is (``shutdown_request``, after the handler
    has finished): the handler's own ``finish`` comes before, and a client on a busy box could
    find the socket still open there and reuse it in the instant before the close."""

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        self.RequestHandlerClass.closed.set()  # type: ignore[attr-defined]


@pytest.fixture
def answers() -> Iterator[tuple[http.server.ThreadingHTTPServer, type[_Answers]]]:
    handler = type("Answers", (_Answers,), {"connections": [], "closed": threading.Event()})
    server = _Server(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server, handler
    finally:
        server.shutdown()
        server.server_close()


def test_a_connection_the_server_closed_while_idle_is_not_reused(
    answers: tuple[http.server.ThreadingHTTPServer, type[_Answers]],
) -> None:
    server, handler = answers
    handler.close_after = True
    client = _client(f"http://127.0.0.1:{server.server_port}/v1")
    poster = ChatPoster(client)
    for _ in range(3):
        handler.closed.clear()
        assert poster(BODY).json()["choices"][0]["message"]["content"] == "Bonjour"
        assert handler.closed.wait(10)  # the server has closed this call's connection
    client.close()
    assert len(handler.connections) == 3


def test_a_kept_connection_serves_the_next_call(
    answers: tuple[http.server.ThreadingHTTPServer, type[_Answers]],
) -> None:
    server, handler = answers
    client = _client(f"http://127.0.0.1:{server.server_port}/v1")
    poster = ChatPoster(client)
    for _ in range(3):
        assert poster(BODY).status_code == 200
    client.close()
    assert len(handler.connections) == 1


def test_a_connection_past_descriptor_1023_is_kept_too(
    answers: tuple[http.server.ThreadingHTTPServer, type[_Answers]],
) -> None:
    """A process with hundreds of workers and their files reaches descriptors ``select``
    refuses; the kept connection must still be found idle and reused."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < 1200:
        pytest.skip(f"this process may hold {soft} files: too few to pass descriptor 1023")
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        server, handler = answers
        client = _client(f"http://127.0.0.1:{server.server_port}/v1")
        poster = ChatPoster(client)
        for _ in range(3):
            assert poster(BODY).status_code == 200
        (kept,) = transport_of(client)._connections.values()
        assert kept.sock.fileno() > 1023
        client.close()
    finally:
        for descriptor in held:
            os.close(descriptor)
    assert len(handler.connections) == 1


def transport_of(client: openai.OpenAI) -> StdlibTransport:
    transport = client._client._transport._inner  # type: ignore[attr-defined]
    assert isinstance(transport, StdlibTransport)
    return transport


def test_a_server_that_drops_the_connection_unanswered_is_a_reset() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def drop() -> None:
        connection, _ = listener.accept()
        connection.recv(65536)
        connection.close()

    threading.Thread(target=drop, daemon=True).start()
    client = _client(f"http://127.0.0.1:{listener.getsockname()[1]}/v1")
    with pytest.raises(openai.APIConnectionError) as dropped:
        ChatPoster(client)(BODY)
    client.close()
    listener.close()
    assert not isinstance(dropped.value, openai.APITimeoutError)
    assert isinstance(_translated(dropped.value), LLMConnectionReset)


def test_a_429_keeps_its_retry_after(standin: RunningStandin) -> None:
    standin.config.script = [{"status": 429, "retry_after": 7}]
    client = _client(standin.url)
    with pytest.raises(openai.RateLimitError) as limited:
        ChatPoster(client)({**BODY, "model": "stand-in"})
    client.close()
    error = _translated(limited.value)
    assert isinstance(error, LLMRateLimited)
    assert error.retry_after == 7


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server answering completions with a certificate of a CA of the test's own, and
    that CA's certificate in a PEM file."""
    authority = trustme.CA()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    pem = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(pem))
    try:
        yield f"https://127.0.0.1:{server.server_port}/v1", pem
    finally:
        server.shutdown()
        server.server_close()


def _analyser(url: str) -> LLMAnalyser:
    return LLMAnalyser(
        models=("m",), taxonomy=TAXONOMY, api_key="sk-test", base_url=url, timeout=10.0
    )


def test_tls_trusts_the_ca_ssl_cert_file_names_and_no_other(
    tls_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, pem = tls_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    stranger = _analyser(url)
    with pytest.raises(LLMConnectionError, match="could not reach"):
        stranger.complete_text("You answer.", "Bonjour")
    stranger.close()
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    trusting = _analyser(url)
    assert trusting.complete_text("You answer.", "Bonjour") == "Bonjour"
    assert trusting.complete_text("You answer.", "Bonjour") == "Bonjour"  # the kept connection
    trusting.close()
