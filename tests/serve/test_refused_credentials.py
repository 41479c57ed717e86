"""Credentials the helpdesk rejects, on each helpdesk: ``serve`` refuses to start with the
run's message and exit code 1; rejected after it started (a key revoked while it runs), it
says so on stderr at once and once, keeps ``/readyz`` 503, and ends the session aborted. It
used to say only "listening…", answer every webhook 200 and end the session ``ok``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from support.cli import invoke
from support.serving import delivery_for, serve_env, serving

from ticket_processor.commands.serve import credentials_refused
from ticket_processor.common.eventlog import read_events
from ticket_processor.run.connect import load_settings
from ticket_processor.sandbox.desks import Desk, NewTicket

WRONG = "wrong-credential-0123456789"


def wrong_credentials(env: dict[str, str]) -> dict[str, str]:
    """The desk's variables with its API token, key or password replaced by one it does not
    know."""
    secret = [name for name in env if name.endswith(("_API_TOKEN", "_API_KEY", "_PASSWORD"))]
    assert secret, env
    return {**env, **dict.fromkeys(secret, WRONG)}


def take_failures(root: Path) -> list[dict[str, object]]:
    return [e for e in read_events(root / "logs") if e.get("event") == "serve_take_failed"]


def test_serve_refuses_to_start_when_the_helpdesk_rejects_the_credentials(
    desk: Desk, tmp_path: Path
) -> None:
    env = serve_env(wrong_credentials(desk.env()), tmp_path)
    result = invoke("serve", "--port", "0", env=env)
    assert result.exit_code == 1, result.output
    assert "serve aborted:" in result.output
    assert "rejected the" in result.output
    assert "(401)" in result.output
    assert WRONG not in result.output


def test_an_unreachable_helpdesk_is_no_refusal(desk: Desk, tmp_path: Path) -> None:
    """Only briefly down: serve starts and stores the webhooks (not an auth error)."""
    env = serve_env(desk.env(), tmp_path)
    settings = load_settings(env, env_file=None)
    assert credentials_refused(settings) is None
    down = {
        name: "http://127.0.0.1:9" if value == desk.url else value for name, value in env.items()
    }
    assert down != env
    assert credentials_refused(load_settings(down, env_file=None)) is None


def test_credentials_rejected_while_serving_are_said_once_and_end_the_session_aborted(
    desk: Desk, tmp_path: Path
) -> None:
    ids = desk.create([NewTicket(f"Refund {n}", "Where is my refund?") for n in range(2)])
    env = serve_env(wrong_credentials(desk.env()), tmp_path)
    told: list[str] = []
    with serving(env, tell=told.append) as running:
        for n, ticket_id in enumerate(ids, start=1):  # one take each, the same cause each time
            body, headers = delivery_for(desk.kind, ticket_id)
            assert running.deliver(desk.kind, body, headers).status_code == 200
            deadline = time.monotonic() + 60  # the second waits for the first's retry
            while len(take_failures(tmp_path)) < n:
                assert time.monotonic() < deadline, running.server.state.queue.counts()
                time.sleep(0.05)
        ready = running.client.get(f"{running.url}/readyz")
        assert ready.status_code == 503, ready.text
    refusals = [line for line in told if " ready on " not in line]  # less the ready line
    assert len(refusals) == 1, told
    assert "rejected the" in refusals[0]
    assert "(401)" in refusals[0]
    assert WRONG not in refusals[0]
    finished = [e for e in read_events(tmp_path / "logs") if e.get("event") == "run_finished"]
    assert [e["status"] for e in finished] == ["aborted"], json.dumps(finished)
    assert "(401)" in finished[0]["reason"]


pytestmark = pytest.mark.desk()
