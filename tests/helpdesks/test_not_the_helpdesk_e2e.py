"""A helpdesk address that answers but is not the helpdesk (another web app on that port, a
proxy's page) is said as such: the message names the address and the settings that hold it,
for each helpdesk in its own words, and a 501 is not waited out as a server error.

``ticketbot run`` as a process with the helpdesk's URL pointed at a small server on port 0 that
answers every request with a 404 page or a 501; the helpdesk's own 404 for a missing record,
from its sandbox, still says it found nothing there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from support.connected import connected, transport_of

from ticket_processor.errors import NotFoundError
from ticket_processor.sandbox.desks import Desk

ROOT = Path(__file__).resolve().parents[2]
ROUTES = """
[[route]]
name = "billing is escalated"
when = { category = "billing" }
escalate = true
"""
# Where each helpdesk's address is set, as its messages must name it.
SETTINGS = {
    "zendesk": "ZENDESK_URL / ZENDESK_SUBDOMAIN",
    "freshdesk": "FRESHDESK_URL / FRESHDESK_DOMAIN",
    "servicenow": "SERVICENOW_URL / SERVICENOW_INSTANCE",
}
NAMES = {"zendesk": "Zendesk", "freshdesk": "Freshdesk", "servicenow": "ServiceNow"}
# A ticket that is not in the sandbox, as each helpdesk's API asks for one.
MISSING = {
    "zendesk": "/api/v2/tickets/99999.json",
    "freshdesk": "/api/v2/tickets/99999",
    "servicenow": "/api/now/table/incident/" + "9" * 32,
}

pytestmark = pytest.mark.desk(configure=True)


class _Elsewhere(ThreadingHTTPServer):
    daemon_threads = True
    status: int
    asked: list[str]


class _Handler(BaseHTTPRequestHandler):
    """Whatever is asked: the server's status with a small HTML page, as a web app answers."""

    server: _Elsewhere

    def _answer(self) -> None:
        self.server.asked.append(f"{self.command} {self.path}")
        page = b"<html><body><h1>Not Found</h1></body></html>"
        self.send_response(self.server.status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def elsewhere() -> Iterator[_Elsewhere]:
    server = _Elsewhere(("127.0.0.1", 0), _Handler)
    server.asked = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize("status", [404, 501])
@pytest.mark.parametrize("routes", [True, False], ids=["routes", "no_routes"])
def test_an_address_that_is_not_the_helpdesk_is_named_with_its_setting(
    desk: Desk,
    desk_kind: str,
    status: int,
    routes: bool,
    elsewhere: _Elsewhere,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    if routes:  # the routes' groups are then the first request, as in a user's first run
        (tmp_path / "routes.toml").write_text(ROUTES, "utf-8")
        monkeypatch.setenv("TICKETBOT_ROUTES", str(tmp_path / "routes.toml"))
    elsewhere.status = status
    address = f"http://127.0.0.1:{elsewhere.server_address[1]}"
    for name, value in desk.env().items():
        if value.rstrip("/") == desk.url.rstrip("/"):
            monkeypatch.setenv(name, address)

    done = subprocess.run(
        [sys.executable, "-m", "ticket_processor", "run", "--engine", "rules"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )

    assert done.returncode == 1, done.stderr
    said = " ".join(done.stderr.split())  # rich wraps long lines
    assert f"{address} is not {NAMES[desk_kind]}'s API" in said, said
    assert f"with {status}" in said
    assert f"check {SETTINGS[desk_kind]}" in said
    assert elsewhere.asked
    # Not a server error to wait out: the same request meets the same server, so none is sent
    # twice.
    assert len(elsewhere.asked) == len(set(elsewhere.asked)), elsewhere.asked


def test_the_helpdesks_own_404_for_a_missing_record_still_says_it_found_nothing(
    desk: Desk, desk_kind: str
) -> None:
    http = transport_of(connected(desk))
    try:
        with pytest.raises(NotFoundError) as caught:
            http.request("GET", MISSING[desk_kind])
    finally:
        http.close()
    told = str(caught.value)
    assert f"{NAMES[desk_kind]} at {desk.url.rstrip('/')} found nothing at GET" in told, told
    assert "is not" not in told
