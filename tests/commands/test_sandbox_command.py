"""``ticketbot sandbox``: the banner gives every line that points ticketbot at what it serves,
and those lines, pasted as they are, work (``health`` reaches the helpdesk and the stand-in)."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading

import pytest
from support.cli import invoke

from ticket_processor.helpdesks.registry import KINDS

BANNER_END = "Ctrl-C stops."
# The lines that point ticketbot at each kind's sandbox with its default account.
ACCOUNT = {
    "zendesk": {
        "ZENDESK_URL": "{url}",
        "ZENDESK_EMAIL": "agent@example.com",
        "ZENDESK_API_TOKEN": "sandbox-token",
    },
    "freshdesk": {
        "TICKETBOT_HELPDESK": "freshdesk",
        "FRESHDESK_URL": "{url}",
        "FRESHDESK_API_KEY": "sandbox-key",
    },
    "servicenow": {
        "TICKETBOT_HELPDESK": "servicenow",
        "SERVICENOW_URL": "{url}",
        "SERVICENOW_USERNAME": "admin",
        "SERVICENOW_PASSWORD": "sandbox-password",
    },
}


def banner(*flags: str) -> tuple[list[str], dict[str, str]]:
    """Start ``ticketbot sandbox FLAGS`` on free ports, read its banner, stop it; the banner's
    lines and the ``VARIABLE=value`` pairs among them."""
    command = [sys.executable, "-m", "ticket_processor", "sandbox", "--port", "0", *flags]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        out = proc.stdout
        assert out is not None
        # Read in a thread, so a banner that never ends fails the test instead of hanging it.
        read: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            for line in out:
                read.put(line)

        threading.Thread(target=pump, daemon=True).start()
        while not lines or lines[-1] != BANNER_END:
            try:
                line = read.get(timeout=20)
            except queue.Empty:
                pytest.fail(f"no banner end within 20 s: {lines}")
            lines.append(line.rstrip("\n"))
        pairs = dict(line.split("=", 1) for line in lines if re.fullmatch(r"[A-Z_]+=\S+", line))
        health = invoke("health", env=pairs)
        lines.append("--- health ---")
        lines.extend(health.output.splitlines())
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
    return lines, pairs


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_banner_gives_every_line_to_paste_and_they_work(kind: str) -> None:
    lines, pairs = banner("--helpdesk", kind, "--llm")
    url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", lines[0])
    assert url, lines
    account = {name: value.format(url=url.group(1)) for name, value in ACCOUNT[kind].items()}
    assert {name: pairs.get(name) for name in account} == account
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", pairs["OPENAI_BASE_URL"])
    assert pairs["OPENAI_API_KEY"]
    assert pairs["TICKETBOT_MODEL"] == "stand-in"
    # Pasted as they are, they reach both: health names the sandbox and the stand-in's model.
    health = "\n".join(lines[lines.index("--- health ---") :])
    assert f"{kind} at {url.group(1)}" in health, health
    assert "using stand-in" in health, health
    assert "not listed" not in health, health


def test_the_banner_follows_the_credentials_given_and_leaves_out_the_llm_unless_asked() -> None:
    lines, pairs = banner("--token", "t0k-other", "--email", "ops@example.com")
    assert lines[0].startswith("Zendesk sandbox listening on http://127.0.0.1:")
    assert pairs["ZENDESK_API_TOKEN"] == "t0k-other"
    assert pairs["ZENDESK_EMAIL"] == "ops@example.com"
    assert "OPENAI_BASE_URL" not in pairs
    assert "TICKETBOT_HELPDESK" not in pairs  # Zendesk is the default
