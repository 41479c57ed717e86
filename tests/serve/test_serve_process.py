"""``ticketbot serve`` as a process: refused beyond loopback without its secrets (exit 2,
nothing listening); killed with SIGKILL after acknowledging deliveries, then restarted, every
ticket ends with exactly one note; SIGTERM stops it with exit code 0; a cron run afterwards
finds nothing left to do; PostgreSQL out of reach is one line and exit 1."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from support.cli import invoke
from support.ports import held_refused_port
from support.serving import delivery_for, serve_env

from ticket_processor.sandbox.desks import Desk, NewTicket

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


@pytest.mark.desk(kinds=("zendesk",), seed=None, configure=True)
def test_beyond_loopback_without_the_secrets_it_refuses_to_listen(desk: Desk) -> None:
    for missing in ("TICKETBOT_SERVE_SECRET", "TICKETBOT_SERVE_TOKEN"):
        env = {"TICKETBOT_SERVE_SECRET": "s" * 20, "TICKETBOT_SERVE_TOKEN": "t" * 20}
        env[missing] = ""
        result = invoke("serve", "--host", "0.0.0.0", "--port", "0", env=env)  # noqa: S104
        assert result.exit_code == 2, result.output
        assert missing in result.output
        assert "listening on" not in result.output


def start(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``ticketbot serve`` on a free port; its URL once it says where it listens."""
    errors = log.open("wb")  # one file per process: its own "listening on" line
    process = subprocess.Popen(
        [sys.executable, "-m", "ticket_processor", "serve", "--port", "0", "--engine", "rules"],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stderr=errors,
        stdout=subprocess.DEVNULL,
        cwd=log.parent,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(rb"listening on (http://127\.0\.0\.1:\d+)", log.read_bytes())
        if found:
            return process, found.group(1).decode()
        assert process.poll() is None, log.read_text()
        time.sleep(0.05)
    process.kill()
    raise AssertionError(log.read_text())


def depth(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    found = re.search(r"^ticketbot_queue_depth (\S+)$", text, re.MULTILINE)
    assert found, text
    return float(found.group(1))


@pytest.mark.slow
@pytest.mark.desk(seed=None, unlimited=True, job_delay_ms=300)
def test_killed_after_acknowledging_then_restarted_every_ticket_is_noted_once(
    desk: Desk, tmp_path: Path
) -> None:
    ids = desk.create(
        [
            NewTicket(f"Refund {n}", f"I was charged twice for order {n}, refund me.")
            for n in range(20)
        ]
    )
    env = serve_env(desk.env(), tmp_path)
    log = tmp_path / "serve-1.err"
    process, url = start(env, log)
    with httpx.Client(timeout=10) as client:
        for n, ticket in enumerate(ids):
            body, headers = delivery_for(desk.kind, ticket, **_named(desk.kind, n))
            answer = client.post(f"{url}/webhooks/{desk.kind}", content=body, headers=headers)
            assert answer.status_code == 200, answer.text
    process.send_signal(signal.SIGKILL)  # every delivery acknowledged, some not triaged yet
    process.wait(10)
    noted_at_kill = sum(bool(desk.snapshot(t).notes) for t in ids)

    log = tmp_path / "serve-2.err"
    process, url = start(env, log)
    try:
        deadline = time.monotonic() + 60
        while depth(url) > 0:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(60)
    assert code == 0, log.read_text()
    notes = {t: len(desk.snapshot(t).notes) for t in ids}
    assert notes == dict.fromkeys(ids, 1), (noted_at_kill, notes)

    for name, value in env.items():
        os.environ[name] = value  # the cron run reads the same settings
    try:
        result = invoke("run", "--engine", "rules", "--since", "1h")
    finally:
        for name in env:
            os.environ.pop(name, None)
    assert result.exit_code == 0, result.output
    assert {t: len(desk.snapshot(t).notes) for t in ids} == notes


def _named(kind: str, n: int) -> dict[str, str]:
    return {"invocation": f"inv-{n}"} if kind == "zendesk" else {}


@pytest.mark.desk(kinds=("zendesk", "freshdesk"), seed=None, configure=True)
def test_postgresql_out_of_reach_is_one_line_and_exit_1(desk: Desk, tmp_path: Path) -> None:
    closed = held_refused_port()  # a port nothing listens on
    url = f"postgresql://bot:hunter2secret@127.0.0.1:{closed}/ticketbot"
    env = serve_env(desk.env(), tmp_path, TICKETBOT_DATABASE_URL=url)
    result = invoke("serve", "--port", "0", env=env)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"127.0.0.1:{closed}" in result.output
    assert "cannot be reached" in result.output
    assert "hunter2secret" not in result.output
    assert "listening on" not in result.output
