"""A field pattern that backtracks, and tickets written to trip it, cannot hold a run.

``ticketbot run --engine rules`` runs as a child process against the Zendesk sandbox with a
``fields.toml`` whose text field has the pattern ``(a|aa)+$``, over tickets whose body is 19,000
``a``\\ s and a ``!``. A backtracking matcher takes days on one of them (each ``a`` multiplies the
time by about 1.6), holding the interpreter: the run neither keeps to ``--max-runtime`` nor stops
on SIGTERM. Here the run ends inside its budget and grace, and a SIGTERM ends it within 15 s.
Every wait has a timeout and kills the child, so a regression fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox, serve_in_thread
from ticket_processor.resilience.deadline import run_grace

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
]

FIELDS_TOML = "[[field]]\nname = \"Reference\"\npattern = '(a|aa)+$'\n"
HOSTILE = "a" * 19_000 + "!"
MAX_RUNTIME = 20.0
STOP_WITHIN = 15.0


@dataclass
class Rig:
    sandbox: RunningSandbox
    root: Path

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "ZENDESK_URL": self.sandbox.url,
            "ZENDESK_EMAIL": self.sandbox.config.email,
            "ZENDESK_API_TOKEN": self.sandbox.config.token,
            "TICKETBOT_STATE_DIR": str(self.root / "state"),
            "TICKETBOT_LOG_DIR": str(self.root / "logs"),
            "TICKETBOT_FIELDS": str(self.root / "fields.toml"),
        }
        out = (self.root / f"run-{time.monotonic_ns()}.out").open("wb")
        return subprocess.Popen(
            [sys.executable, "-m", "ticket_processor", "run", "--engine", "rules", *args],
            env=env,
            cwd=self.root,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return "".join(p.read_text("utf-8", "replace") for p in self.root.glob("run-*.out"))

    def events(self) -> list[dict[str, object]]:
        found = []
        for path in sorted((self.root / "logs").glob("ticketbot-*.jsonl")):
            for line in path.read_bytes().splitlines():
                try:
                    found.append(json.loads(line))
                except ValueError:
                    continue  # a line being written right now
        return found


def rig_with(isolated_env: Path, tickets: int, latency_ms: float) -> Iterator[Rig]:
    with serve_in_thread(SandboxConfig(seed=7, latency_ms=latency_ms)) as sandbox:
        made = requests.post(
            f"{sandbox.url}/api/v2/ticket_fields.json",
            json={"ticket_field": {"type": "text", "title": "Reference"}},
            auth=(f"{sandbox.config.email}/token", sandbox.config.token),
            timeout=10,
        )
        assert made.status_code == 201, made.text
        for i in range(tickets):
            sandbox.store.create({"subject": f"Refund {i}", "comment": {"body": HOSTILE}})
        (isolated_env / "fields.toml").write_text(FIELDS_TOML, "utf-8")
        yield Rig(sandbox, isolated_env)


@pytest.fixture
def few(isolated_env: Path) -> Iterator[Rig]:
    yield from rig_with(isolated_env, tickets=5, latency_ms=0)


@pytest.fixture
def slow_backlog(isolated_env: Path) -> Iterator[Rig]:
    # Enough tickets, each request slowed, that the run is still going when the signal comes.
    yield from rig_with(isolated_env, tickets=150, latency_ms=40)


def wait(child: subprocess.Popen[bytes], seconds: float, what: str) -> int:
    try:
        return child.wait(seconds)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        raise AssertionError(f"still running {seconds:.0f} s after {what}") from None


def test_the_run_ends_within_max_runtime_and_its_grace(few: Rig) -> None:
    began = time.monotonic()
    child = few.start("--max-runtime", f"{MAX_RUNTIME:.0f}")
    code = wait(child, MAX_RUNTIME + run_grace(MAX_RUNTIME), "it started")
    assert code == 0, few.output()
    assert time.monotonic() - began < MAX_RUNTIME
    events = few.events()
    [finished] = [e for e in events if e["event"] == "run_finished"]
    assert finished["triaged"] == 5  # every hostile ticket was read, matched, and written
    assert finished["failed"] == 0


def test_a_sigterm_ends_the_run_within_15_s(slow_backlog: Rig) -> None:
    child = slow_backlog.start()
    # The first ticket's fields are extracted before it is written: once one is triaged, the run
    # is among the hostile tickets. A run held by a match never gets there: signal it anyway.
    latest = time.monotonic() + 10
    while time.monotonic() < latest:
        if any(e["event"] == "ticket_triaged" for e in slow_backlog.events()):
            break
        assert child.poll() is None, f"the run ended (exit {child.returncode}) too soon"
        time.sleep(0.05)
    child.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    code = wait(child, STOP_WITHIN, "SIGTERM")
    assert time.monotonic() - sent < STOP_WITHIN
    assert code == 143
    [finished] = [e for e in slow_backlog.events() if e["event"] == "run_finished"]
    assert finished["status"] == "stopped"
    assert finished["stopped_early"] == "SIGTERM"
