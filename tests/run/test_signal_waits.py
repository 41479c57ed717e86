"""A SIGTERM ends a run within seconds whatever it is waiting for, and loses no ticket.

``ticketbot run`` runs as a child process against a Zendesk sandbox (and, for the LLM, the
stand-in) served by this test process. Once it is under way the test makes it wait:

- the helpdesk sheds load: every request is answered 429 with a ``Retry-After`` of 55 s (a
  wait the retry policy honours, up to 60 s). The run sat in that sleep before it looked at
  the signal again, so it outlived the SIGTERM by most of a minute;
- the LLM's announced rate limit is spent for two minutes: the pacer holds the calls until it
  resets. The stop's grace then abandoned the analyses after 10 s and the run exited with
  them cut off;
- the LLM budget shared in Redis (``TICKETBOT_LLM_BUDGET``, marked ``redis``) is spent for the
  minute: the same.

Here the run exits 143 within ``STOP_WITHIN`` seconds, fails no ticket (what the wait held is
deferred, not failed, and nothing is abandoned), its state is intact, and the next run
finishes the backlog with every ticket noted exactly once.
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
from typing import Any

import pytest
from support.e2e import notes

from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox, serve_in_thread
from ticket_processor.sandbox.llm_standin.server import RunningStandin, StandinConfig
from ticket_processor.sandbox.llm_standin.server import serve_in_thread as serve_standin
from ticket_processor.state.ledger import RunLedger

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
]

BACKLOG = 150
STOP_WITHIN = 6.0  # seconds: the issue asks for 15; a stop takes about one POLL plus the save
RETRY_AFTER = 55.0  # under the helpdesk retry policy's max_retry_after (60 s): it is waited out


@dataclass
class Rig:
    sandbox: RunningSandbox
    standin: RunningStandin
    root: Path
    ids: list[int]

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def start(self, *args: str, **more: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "ZENDESK_URL": self.sandbox.url,
            "ZENDESK_EMAIL": self.sandbox.config.email,
            "ZENDESK_API_TOKEN": self.sandbox.config.token,
            "OPENAI_BASE_URL": self.standin.url,
            "OPENAI_API_KEY": "sk-test-not-a-real-key",
            "TICKETBOT_MODEL": "stand-in",
            "TICKETBOT_STATE_DIR": str(self.root / "state"),
            "TICKETBOT_LOG_DIR": str(self.logs),
            "TICKETBOT_WORKERS": "2",
            **more,
        }
        out = (self.root / f"run-{time.monotonic_ns()}.out").open("wb")
        return subprocess.Popen(
            [sys.executable, "-m", "ticket_processor", "run", *args],
            env=env,
            cwd=self.root,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return "".join(p.read_text("utf-8", "replace") for p in self.root.glob("run-*.out"))

    def events(self) -> list[dict[str, Any]]:
        found = []
        for path in sorted(self.logs.glob("ticketbot-*.jsonl")):
            for line in path.read_bytes().splitlines():
                try:
                    found.append(json.loads(line))
                except ValueError:
                    continue  # a line being written right now
        return found

    def wait_until(self, child: subprocess.Popen[bytes], what: str, ready: Any) -> None:
        latest = time.monotonic() + 60
        while time.monotonic() < latest:
            if ready():
                return
            assert child.poll() is None, f"the run ended (exit {child.returncode}) before {what}"
            time.sleep(0.05)
        child.kill()
        raise AssertionError(f"no {what} within 60 s")

    def stop(self, child: subprocess.Popen[bytes]) -> dict[str, Any]:
        """SIGTERM; the run must exit 143 within STOP_WITHIN s. Its ``run_finished``."""
        child.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        try:
            code = child.wait(STOP_WITHIN)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            raise AssertionError(f"still running {STOP_WITHIN} s after SIGTERM") from None
        assert time.monotonic() - sent < STOP_WITHIN
        assert code == 143, self.output()
        [finished] = [e for e in self.events() if e["event"] == "run_finished"]
        assert finished["status"] == "stopped"
        assert finished["stopped_early"] == "SIGTERM"
        assert finished["failed"] == 0  # a wait cut short is deferred, never a failure
        assert finished["abandoned"] == 0  # and no analysis was cut off by the grace
        ledger = RunLedger(self.root / "state", read_only=True)
        assert ledger.damaged_files() == []
        return finished

    def finish(self, *args: str) -> None:
        """The next run, unhindered, finishes the backlog: every ticket noted exactly once."""
        child = self.start(*args)
        assert child.wait(120) == 0, self.output()
        for ticket_id in self.ids:
            assert len(notes(self.sandbox, ticket_id)) == 1, f"ticket {ticket_id}: not one note"


@pytest.fixture
def rig(isolated_env: Path) -> Iterator[Rig]:
    with (
        serve_in_thread(SandboxConfig(seed=3, latency_ms=40)) as sandbox,
        serve_standin(StandinConfig(seed=3)) as standin,
    ):
        ids = [
            int(
                sandbox.store.create(
                    {
                        "subject": f"Refund for order {2000 + i}",
                        "comment": {"body": f"Item {i} came back {i % 7} days ago, no refund."},
                    }
                )["id"]
            )
            for i in range(BACKLOG)
        ]
        yield Rig(sandbox, standin, isolated_env, ids)


def test_a_sigterm_ends_a_helpdesk_retry_after_wait(rig: Rig) -> None:
    child = rig.start("--engine", "rules")
    rig.wait_until(
        child,
        "a ticket triaged",
        lambda: any(e["event"] == "ticket_triaged" for e in rig.events()),
    )
    rig.sandbox.config.start_storm(RETRY_AFTER)
    time.sleep(2.0)  # the run's next requests meet the 429 and wait out its Retry-After
    assert child.poll() is None
    # The run met the storm (its writes, or the requests after them) and is waiting it out.
    assert rig.sandbox.stats().get("rate_limited", 0) >= 1
    rig.stop(child)
    rig.sandbox.config.start_storm(0)
    rig.finish("--engine", "rules")


def test_a_sigterm_ends_a_wait_for_the_llm_rate_limit(rig: Rig) -> None:
    # Four calls in two minutes, announced: the fifth waits for the window to reset.
    rig.standin.config.rpm_limit = 4
    rig.standin.config.limit_window_s = 120.0
    rig.standin.config.announce_limits = True
    child = rig.start()
    # The pacer may spread the four calls over the window once it has read the limit: the run
    # waits for the limit either way after the first answer.
    rig.wait_until(child, "an LLM call", lambda: rig.standin.stats()["completions"] >= 1)
    time.sleep(1.5)  # the next calls are held by the pacer now
    assert child.poll() is None
    finished = rig.stop(child)
    assert finished["triaged"] <= 4
    assert rig.standin.stats()["completions"] <= 4  # no call went past the limit
    rig.standin.config.rpm_limit = None
    rig.finish()


@pytest.mark.redis
def test_a_sigterm_ends_a_wait_for_the_shared_llm_budget(rig: Rig, redis_url: str) -> None:
    # Four calls a minute for every process on the key: the fifth waits for the window.
    budget = {"TICKETBOT_LLM_BUDGET": redis_url, "TICKETBOT_LLM_RPM": "4"}
    child = rig.start(**budget)
    rig.wait_until(child, "an LLM call", lambda: rig.standin.stats()["completions"] >= 1)
    time.sleep(1.5)  # the next calls wait for the shared budget now
    assert child.poll() is None
    finished = rig.stop(child)
    assert finished["triaged"] <= 4
    assert rig.standin.stats()["completions"] <= 4  # no call went past the budget
    rig.finish()
