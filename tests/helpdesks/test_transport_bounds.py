"""The shared helpdesk transport's bounds: answer size, counted decompressed, and no redirect.

Small real servers on port 0 play a helpdesk (or a proxy in front of one) that answers too
much, a gzip body that inflates far past the cap, and a write answered 307 to another host;
the same rules hold for every helpdesk kind because they live in the one transport.
"""

from __future__ import annotations

import gzip
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from support.trickle import header_trickler

from ticket_processor.errors import HelpdeskError, HelpdeskServerError
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.resilience.retry import RetryPolicy
from ticket_processor.run import connect as factory
from ticket_processor.run.connect import load_settings

CAP = 64 * 1024
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
# The settings a redirect's message tells the reader to check.
URL_SETTINGS = {
    "zendesk": "ZENDESK_URL / ZENDESK_SUBDOMAIN",
    "freshdesk": "FRESHDESK_URL / FRESHDESK_DOMAIN",
    "servicenow": "SERVICENOW_URL / SERVICENOW_INSTANCE",
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    mode = "json"
    location = ""
    received: list[str]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append(f"{self.command} {self.path}")
        mode = self.server.mode
        if mode == "redirect":
            self.send_response(307)
            self.send_header("Location", self.server.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        try:
            if mode == "big":  # 2 MB of valid JSON
                body = b'{"tickets": [], "pad": "' + b"x" * 2_000_000 + b'"}'
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif mode == "gzip":  # a small page, gzipped as real helpdesks send it
                body = gzip.compress(b'{"tickets": [], "users": []}')
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif mode == "corrupt":  # says gzip, is not
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", "20")
                self.end_headers()
                self.wfile.write(b"\x1f\x8b" + b"not gzip at all!!!")
            elif mode == "bomb":  # ~256 KB on the wire that inflates to 256 MB
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Connection", "close")
                self.end_headers()
                packer = zlib.compressobj(9, zlib.DEFLATED, 31)
                zeros = b"\0" * (1024 * 1024)
                for _ in range(256):
                    self.wfile.write(packer.compress(zeros))
                self.wfile.write(packer.flush())
                self.close_connection = True
            else:
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
        except OSError:
            return  # the client stopped reading: what the cap is for

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve() -> tuple[_Server, str]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.received = []
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    ).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def served() -> Iterator[tuple[_Server, str]]:
    server, url = _serve()
    yield server, url
    server.shutdown()
    server.server_close()


def connect(kind: str, url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The helpdesk as every run builds it, with the cap from the settings and one try."""
    monkeypatch.setattr(factory, "HELPDESK_RETRY", RetryPolicy(attempts=1))
    env = {
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
    settings = load_settings({**env, "TICKETBOT_HELPDESK_MAX_BYTES": str(CAP)}, env_file=None)
    return factory.connect(settings, sleep=lambda seconds: None)


def transport_of(desk: Any) -> Any:
    http = getattr(desk, "http", None) or desk.client._http
    assert http.max_bytes == CAP  # the setting reached the shared transport
    return http


@pytest.mark.parametrize("kind", list(KINDS))
def test_an_answer_past_the_cap_is_an_error_of_that_call(
    kind: str, served: tuple[_Server, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, url = served
    server.mode = "big"
    http = transport_of(connect(kind, url, monkeypatch))
    name = KINDS[kind].label
    with pytest.raises(HelpdeskError) as caught:
        http.request("GET", LIST[kind] + "?cursor=secret-cursor")
    assert str(caught.value) == (
        f"{name}'s answer to GET {LIST[kind]} is larger than 64 KiB (counted decompressed); "
        "reading stopped: TICKETBOT_HELPDESK_MAX_BYTES raises the cap"
    )
    http.close()


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_gzip_bomb_stops_at_the_cap_without_inflating(
    kind: str, served: tuple[_Server, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, url = served
    http = transport_of(connect(kind, url, monkeypatch))
    server.mode = "gzip"  # an honest gzipped answer is read decoded
    http.request("GET", LIST[kind])
    server.mode = "corrupt"
    with pytest.raises(HelpdeskServerError, match="compressed body that does not decode"):
        http.request("GET", LIST[kind])
    server.mode = "bomb"
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(HelpdeskError, match="larger than 64 KiB"):
            http.request("GET", LIST[kind])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, peak  # the 256 MB it inflates to were never held
    assert time.monotonic() - started < 2.0
    http.close()


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_write_redirected_to_another_host_goes_nowhere(
    kind: str, served: tuple[_Server, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, url = served
    elsewhere, elsewhere_url = _serve()
    try:
        server.mode = "redirect"
        server.location = elsewhere_url + "/collect?token=abc"
        http = transport_of(connect(kind, url, monkeypatch))
        with pytest.raises(HelpdeskError) as caught:
            http.request("POST", WRITE[kind], json={"body": "the note"}, replay_safe=False)
        host = elsewhere_url.removeprefix("http://")
        name = KINDS[kind].label
        setting = URL_SETTINGS[kind]
        assert str(caught.value).startswith(
            f"{name} answered POST {WRITE[kind]} with a redirect (307) to {host}; "
            f"ticketbot follows no redirect: check {setting}"
        )
        assert "token=abc" not in str(caught.value)
        assert elsewhere.received == []  # the note's body never left for the other host
        assert server.received == [f"POST {WRITE[kind]}"]
        http.close()
    finally:
        elsewhere.shutdown()
        elsewhere.server_close()


@pytest.mark.parametrize("kind", list(KINDS))
def test_headers_trickled_a_byte_at_a_time_end_at_the_deadline(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with header_trickler() as url:
        monkeypatch.setenv("TICKETBOT_HTTP_TIMEOUT", "0.5")
        http = transport_of(connect(kind, url, monkeypatch))
        http.timeout, http.deadline = (0.5, 0.5), 1.0
        started = time.monotonic()
        with pytest.raises(HelpdeskError, match=r"no complete answer .* within 1 s"):
            http.request("GET", LIST[kind])
        assert time.monotonic() - started < 2.5
        http.close()


def test_headers_trickled_by_a_proxy_end_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    # An HTTP proxy from the environment that trickles its answer's headers.
    with header_trickler() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        http = transport_of(connect("zendesk", "http://helpdesk.example.com", monkeypatch))
        http.timeout, http.deadline = (0.5, 0.5), 1.0
        started = time.monotonic()
        with pytest.raises(HelpdeskError, match=r"no complete answer .* within 1 s"):
            http.request("GET", LIST["zendesk"])
        assert time.monotonic() - started < 2.5
        http.close()
