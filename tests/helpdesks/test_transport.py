"""The shared helpdesk transport: one whole-call deadline for every helpdesk kind alike.

A tiny server on port 0 answers every request with its headers at once and then trickles the
body one byte every 0.2 s: no single read waits as long as the read timeout (0.5 s at the least,
so a loaded machine keeps a margin), so only a deadline for the whole call ends it. Without
one, the 50-byte answer would arrive complete after ten seconds and the tests below would fail.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ticket_processor.errors import HelpdeskConnectionError, WriteOutcomeUnknown
from ticket_processor.helpdesks.freshdesk.sandbox.config import FreshdeskConfig
from ticket_processor.helpdesks.freshdesk.wire import FreshdeskTransport
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.helpdesks.transport import HelpdeskTransport
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.wire import ZendeskTransport
from ticket_processor.resilience.retry import Retrier, RetryPolicy
from ticket_processor.run import connect as factory
from ticket_processor.run.connect import load_settings

TRICKLE_SECONDS = 0.2
BODY = b" " * 48 + b"{}"  # valid JSON for both helpdesks, 10 s at the trickle's pace
# A request each helpdesk really makes: its ticket list, and a write that must not be replayed.
LIST = {
    "zendesk": "/api/v2/tickets.json",
    "freshdesk": "/api/v2/tickets",
    "servicenow": "/api/now/table/incident",
}
WRITE = {
    "zendesk": "/api/v2/tickets/1/tags.json",
    "freshdesk": "/api/v2/tickets/1/notes",
    "servicenow": "/api/now/table/label_entry",  # a tag added to an incident
}


def account(kind: str, url: str) -> dict[str, str]:
    """The environment that points ``kind``'s adapter at ``url`` with a made-up account."""
    return {
        "zendesk": {
            "ZENDESK_URL": url,
            "ZENDESK_EMAIL": "agent@example.com",
            "ZENDESK_API_TOKEN": "sandbox-token",
        },
        "freshdesk": {
            "TICKETBOT_HELPDESK": "freshdesk",
            "FRESHDESK_URL": url,
            "FRESHDESK_API_KEY": "sandbox-key",
        },
        "servicenow": {
            "TICKETBOT_HELPDESK": "servicenow",
            "SERVICENOW_URL": url,
            "SERVICENOW_USERNAME": "admin",
            "SERVICENOW_PASSWORD": "sandbox-password",
        },
    }[kind]


class _Trickler(ThreadingHTTPServer):
    daemon_threads = True
    stopping: threading.Event


class _TrickleHandler(BaseHTTPRequestHandler):
    """Headers at once (with each helpdesk's rate-limit headers), then one byte at a time."""

    protocol_version = "HTTP/1.1"
    server: _Trickler

    def _trickle(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.send_header("X-Rate-Limit", "700")
        self.send_header("X-Rate-Limit-Remaining", "699")
        self.send_header("X-RateLimit-Total", "700")
        self.send_header("X-RateLimit-Remaining", "699")
        self.end_headers()
        try:
            for byte in BODY:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                if self.server.stopping.wait(TRICKLE_SECONDS):
                    return
        except OSError:
            return  # the client gave up: that is what the deadline is for

    do_GET = do_POST = do_PUT = _trickle

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def trickler() -> Iterator[str]:
    server = _Trickler(("127.0.0.1", 0), _TrickleHandler)
    server.stopping = threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def transport(kind: str, url: str, monkeypatch: pytest.MonkeyPatch) -> HelpdeskTransport[Any]:
    """The kind's transport as a run builds it, with 0.5 s to connect and to read and one try."""
    monkeypatch.setattr(factory, "HELPDESK_RETRY", RetryPolicy(attempts=1))
    settings = load_settings({**account(kind, url), "TICKETBOT_HTTP_TIMEOUT": "0.5"}, env_file=None)
    helpdesk = factory.connect(settings, sleep=lambda seconds: None)
    http = getattr(helpdesk, "http", None) or helpdesk.client._http  # type: ignore[attr-defined]
    assert isinstance(http, HelpdeskTransport)
    assert http.timeout == (0.5, 0.5)
    return http


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_trickling_answer_ends_at_the_deadline(
    kind: str, trickler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    http = transport(kind, trickler, monkeypatch)
    started = time.monotonic()
    with pytest.raises(HelpdeskConnectionError, match=r"no complete answer .* within 1 s"):
        http.request("GET", LIST[kind])
    assert time.monotonic() - started < 3 * 1.0  # connect + read = 1 s, far from 10 s
    # A write whose answer never completes may have been applied: never replayed blindly.
    started = time.monotonic()
    with pytest.raises(WriteOutcomeUnknown, match="may or may not have been applied"):
        http.request("POST", WRITE[kind], json={"body": "n"}, replay_safe=False)
    assert time.monotonic() - started < 3 * 1.0
    http.close()


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_adapter_gets_the_deadline_from_the_settings(
    kind: str, trickler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Built as every run builds it (settings -> registry -> adapter -> transport), with one try
    # so the test measures a single call, not the retries.
    monkeypatch.setattr(factory, "HELPDESK_RETRY", RetryPolicy(attempts=1))
    settings = load_settings(
        {**account(kind, trickler), "TICKETBOT_HTTP_TIMEOUT": "1"}, env_file=None
    )
    desk = factory.connect(settings, sleep=lambda seconds: None)
    started = time.monotonic()
    # connect + read = 1 s + 1 s: the ticket list ends at 2 s although bytes keep coming.
    with pytest.raises(HelpdeskConnectionError, match=r"no complete answer .* within 2 s"):
        for _page in desk.ticket_pages(None, since=0):
            pass
    assert time.monotonic() - started < 5.0
    desk.close()


GATEWAY_FAULTS = [
    ("zendesk", "500"),
    ("zendesk", "503"),
    ("freshdesk", "502"),
    ("freshdesk", "503"),
    ("freshdesk", "504"),
    ("freshdesk", "html"),
]


def _sandbox_transport(
    kind: str, zendesk_factory: Any, freshdesk_factory: Any, fault: str
) -> tuple[HelpdeskTransport[Any], Any]:
    retrier = Retrier(RetryPolicy(attempts=4), sleep=lambda seconds: None)
    if kind == "zendesk":
        zd = zendesk_factory(SandboxConfig(faults=[fault]))
        http: HelpdeskTransport[Any] = ZendeskTransport(
            zd.url, email="agent@example.com", api_token=zd.config.token, retrier=retrier
        )
        return http, zd
    fd = freshdesk_factory(FreshdeskConfig(faults=[fault]))
    fd.store.create({"subject": "s", "description": "d", "email": "a@example.com"})
    return FreshdeskTransport(fd.url, api_key=fd.config.api_key, retrier=retrier), fd


@pytest.mark.parametrize(("kind", "fault"), GATEWAY_FAULTS)
def test_a_write_answered_with_a_5xx_or_a_page_is_an_unknown_outcome_never_replayed(
    kind: str, fault: str, sandbox_factory: Any, freshdesk_factory: Any
) -> None:
    """A gateway's 5xx or HTML page may come after the helpdesk stored the write: a write that
    must not be sent twice is not retried; the caller looks before sending it again."""
    http, sb = _sandbox_transport(kind, sandbox_factory, freshdesk_factory, fault)
    with pytest.raises(WriteOutcomeUnknown, match="may or may not have been applied"):
        http.request("POST", WRITE[kind], json={"body": "n", "tags": ["x"]}, replay_safe=False)
    assert sb.stats()["requests_total"] == 1
    http.close()


def test_a_429_on_a_write_is_a_refusal_and_is_retried(freshdesk_factory: Any) -> None:
    http, sb = _sandbox_transport("freshdesk", None, freshdesk_factory, "429")
    http.request("POST", WRITE["freshdesk"], json={"body": "n"}, replay_safe=False)
    assert sb.stats()["requests_total"] == 2
    assert len(sb.store.conversations(1)) == 1
    http.close()
