"""``ticketbot serve`` fed by a sandbox's own webhooks: the helpdesk's set-up made through
``serve --print-setup --apply``'s code (``helpdesks/<kind>/webhooks.py``), pointed at a server
started as the command starts it (``support.serving``).

    with hooked_serving(desk, tmp_path) as server:
        ids = desk.create([...])            # the sandbox calls serve; serve writes the notes
        wait_for_notes(desk, ids)

Zendesk chooses the signing secret: the set-up is made once towards a placeholder URL to learn
it, serve starts with it as ``TICKETBOT_SERVE_SECRET``, and the set-up is made again towards the
server's real URL (the webhook moves; its secret stays). Freshdesk's secret is ours.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import requests

from support.serving import SECRET, Running, serve_env, serving
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.helpdesks.webhook_setup import endpoint_url
from ticket_processor.models import Engine
from ticket_processor.run.connect import load_settings
from ticket_processor.sandbox.desks import Desk

PLACEHOLDER = "http://127.0.0.1:9"  # the discard port: nothing listens
ROOT = Path(__file__).resolve().parents[2]


def hook_up(desk: Desk, public_url: str, secret: str | None = SECRET) -> str:
    """Make the desk's webhook set-up towards ``public_url``; the secret serve must check."""
    settings = load_settings({**os.environ, **desk.env()}, env_file=None)
    report = (
        KINDS[desk.kind]
        .webhook_setup()
        .apply(settings.desk, endpoint_url(public_url, desk.kind), secret)
    )
    chosen = report.secret or secret
    assert chosen is not None
    return chosen


@contextmanager
def hooked_serving(
    desk: Desk, root: Path, *, engine: Engine = "rules", **extra: str
) -> Iterator[Running]:
    secret = hook_up(desk, PLACEHOLDER)
    with serving(
        serve_env(desk.env(), root, TICKETBOT_SERVE_SECRET=secret, **extra), engine=engine
    ) as running:
        hook_up(desk, running.url, secret)
        yield running


def deliveries(desk: Desk) -> dict[str, Any]:
    """The sandbox's ``GET /sandbox/deliveries``."""
    answer: dict[str, Any] = requests.get(f"{desk.url}/sandbox/deliveries", timeout=5).json()
    return answer


def wait_for_notes(desk: Desk, ids: Sequence[int], timeout: float = 30.0) -> dict[int, int]:
    """Wait until every ticket has a triage note; the number of notes per ticket."""
    deadline = time.monotonic() + timeout
    while True:
        counts = {tid: len(desk.snapshot(tid).notes) for tid in ids}
        if all(counts.values()) or time.monotonic() > deadline:
            return counts
        time.sleep(0.1)


def free_port() -> int:
    """A port nothing listens on now (for a server that must come back on the same one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_process(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """``ticketbot serve --port PORT --engine rules`` as a process, once it says it listens."""
    errors = log.open("wb")
    command = [sys.executable, "-m", "ticket_processor", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--engine", "rules"],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stderr=errors,
        stdout=subprocess.DEVNULL,
        cwd=log.parent,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if re.search(rb"listening on http://", log.read_bytes()):
            return process
        assert process.poll() is None, log.read_text()
        time.sleep(0.05)
    process.kill()
    raise AssertionError(log.read_text())


def queue_depth(url: str) -> float:
    """``ticketbot_queue_depth`` from the server's ``/metrics``."""
    text = httpx.get(f"{url}/metrics", timeout=5).text
    found = re.search(r"^ticketbot_queue_depth (\S+)$", text, re.MULTILINE)
    assert found, text
    return float(found.group(1))
