"""The sandboxes stay honest about where they listen and where their links point.

Bound beyond loopback (``--host 0.0.0.0``), ``ticketbot sandbox`` says so loudly on stderr and
in its banner: its knobs answer without credentials. And the links it builds (the next page)
name the address it is bound to, never the ``Host:`` header a client sent.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

import pytest
import requests

from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.entry import exposure_warning


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost", "[::1]"])
def test_loopback_binds_need_no_warning(host: str) -> None:
    assert exposure_warning(host) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "192.168.1.10", "sandbox.internal"])  # noqa: S104
def test_binds_beyond_loopback_are_warned_about(host: str) -> None:
    warning = exposure_warning(host)
    assert warning is not None
    assert "/sandbox/config answers without credentials" in warning


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_command_bound_to_every_interface_warns_on_stderr_and_in_the_banner(
    kind: str,
) -> None:
    command = [sys.executable, "-m", "ticket_processor", "sandbox", "--helpdesk", kind]
    proc = subprocess.Popen(
        [*command, "--host", "0.0.0.0", "--port", "0"],  # noqa: S104 - what is under test
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        second = proc.stdout.readline()  # the banner's warning: serving from here on
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "listening on" in first
    assert second.startswith("WARNING: the sandbox listens on every interface"), second + out
    assert "WARNING: the sandbox listens on every interface" in err


# Each helpdesk's ticket list and its page-size parameter.
LISTS = {
    "zendesk": ("/api/v2/tickets", "per_page"),
    "freshdesk": ("/api/v2/tickets", "per_page"),
    "servicenow": ("/api/now/table/incident", "sysparm_limit"),
}


def _next_link(desk: Desk, answer: requests.Response) -> str:
    if desk.kind == "zendesk":
        body: dict[str, Any] = answer.json()
        return str(body["next_page"])
    return str(answer.links["next"]["url"])  # Freshdesk and ServiceNow: the Link header


def test_next_page_links_use_the_bound_address_not_the_host_header(desk: Desk) -> None:
    desk.create([NewTicket(f"Ticket {n}", "Body") for n in range(3)])
    path, page_size = LISTS[desk.kind]
    answer = requests.get(
        desk.url + path,
        params={page_size: 1},
        headers={"Host": "attacker.example:80"},
        auth=desk.api_auth(),
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    link = _next_link(desk, answer)
    assert link.startswith(desk.url + "/"), link
    assert "attacker" not in link
