"""SIGTERM and SIGINT stop a real ``ticketbot run`` process gracefully.

``python -m ticket_processor run`` runs as a child process against a sandbox and a stand-in LLM
(0.3 s a call, 4 workers) served by this test process, over a backlog of 200 tickets. Once the
JSON log shows some tickets triaged the test sends the signal. The run must stop taking tickets,
save its progress and exit 143 (SIGTERM) or 130 (SIGINT) within 20 s, logging ``run_finished``
with ``status="stopped"``; the next run finishes the backlog with every ticket noted exactly
once and analysed about once. The same signal repeated within a moment is one request; a
second signal later ends the run at once (saying so), and the journal keeps the next run from
writing a second note.
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
from support.e2e import notes, triaged_events

from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox, serve_in_thread
from ticket_processor.resilience.signals import REPEAT_WINDOW, StopOnSignal
from ticket_processor.sandbox.llm_standin.server import RunningStandin, StandinConfig
from ticket_processor.sandbox.llm_standin.server import serve_in_thread as serve_standin
from ticket_processor.state.ledger import RunLedger

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

BACKLOG = 200
WORKERS = 4
STOP_WITHIN = 20.0


@dataclass
class SignalRig:
    """A Zendesk sandbox with a backlog and a slow stand-in LLM, for ticketbot run as a child
    process that the tests signal (not the ``desk`` fixture: it needs a real process)."""

    sandbox: RunningSandbox
    standin: RunningStandin
    root: Path
    ids: list[int]

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "ZENDESK_URL": self.sandbox.url,
            "ZENDESK_EMAIL": self.sandbox.config.email,
            "ZENDESK_API_TOKEN": self.sandbox.config.token,
            "OPENAI_BASE_URL": self.standin.url,
            "OPENAI_API_KEY": "sk-test-not-a-real-key",
            "TICKETBOT_MODEL": "stand-in",
            "TICKETBOT_STATE_DIR": str(self.root / "state"),
            "TICKETBOT_LOG_DIR": str(self.logs),
            "TICKETBOT_WORKERS": str(WORKERS),
        }

    def start(self) -> subprocess.Popen[bytes]:
        out = (self.root / f"run-{time.monotonic_ns()}.out").open("wb")
        return subprocess.Popen(
            [sys.executable, "-m", "ticket_processor", "run"],
            env=self.env(),
            cwd=self.root,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture
def rig(isolated_env: Path) -> Iterator[SignalRig]:
    with (
        serve_in_thread(SandboxConfig(seed=5)) as sandbox,
        serve_standin(StandinConfig(seed=5, latency_s=0.3)) as standin,
    ):
        ids = [
            int(
                sandbox.store.create(
                    {
                        "subject": f"Refund for order {1000 + i}",
                        "comment": {"body": f"Item {i} came back {i % 9} days ago, no refund."},
                    }
                )["id"]
            )
            for i in range(BACKLOG)
        ]
        yield SignalRig(sandbox, standin, isolated_env, ids)


def log_events(log_dir: Path, after: set[str] | None = None) -> list[dict[str, Any]]:
    """The events written so far (a line being written right now is left for later), without
    those of the runs in ``after``."""
    found = []
    for path in sorted(log_dir.glob("ticketbot-*.jsonl")):
        for line in path.read_bytes().splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("run_id") not in (after or set()):
                found.append(event)
    return found


def run_ids(log_dir: Path) -> set[str]:
    return {e["run_id"] for e in log_events(log_dir)}


def wait_for(
    log_dir: Path, event: str, count: int, child: subprocess.Popen[bytes], after: set[str]
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sum(e["event"] == event for e in log_events(log_dir, after)) >= count:
            return
        assert child.poll() is None, f"the run ended (exit {child.returncode}) before {event}"
        time.sleep(0.05)
    child.kill()
    raise AssertionError(f"no {count} {event} events within 60 s")


def stopped_run(
    rig: SignalRig, signum: signal.Signals, expected_exit: int, *, twice: bool = False
) -> dict[str, Any]:
    """Start a run, signal it once some tickets are done (``twice``: the same signal again a
    moment later, as a terminal may deliver one Ctrl-C); its ``run_finished`` event."""
    before = run_ids(rig.logs)
    child = rig.start()
    wait_for(rig.logs, "ticket_triaged", 8, child, before)
    child.send_signal(signum)
    if twice:
        time.sleep(0.05)
        child.send_signal(signum)
    sent = time.monotonic()
    try:
        code = child.wait(STOP_WITHIN)
    except subprocess.TimeoutExpired:
        child.kill()
        raise AssertionError(f"still running {STOP_WITHIN} s after {signum.name}") from None
    assert code == expected_exit, f"exit {code}, wanted {expected_exit}"
    assert time.monotonic() - sent < STOP_WITHIN
    mine = log_events(rig.logs, before)
    [finished] = [e for e in mine if e["event"] == "run_finished"]
    assert finished["status"] == "stopped"
    assert finished["exit_code"] == expected_exit
    assert finished["stopped_early"] == signum.name
    assert [e["signal"] for e in mine if e["event"] == "stop_requested"] == [signum.name]
    return finished


def finish_and_check(rig: SignalRig, *, unlogged: int = 0) -> None:
    """A normal run completes the backlog: every ticket noted exactly once, analysed ~once.

    ``unlogged``: at most this many tickets were written by a run stopped at once, before it
    could log them (the next run finds their marker and leaves them be)."""
    rig.standin.config.latency_s = 0.0
    rig.sandbox.config.job_delay_ms = 0
    child = rig.start()
    assert child.wait(120) == 0
    triaged = triaged_events(rig.logs)  # raises on a ticket triaged twice
    assert set(triaged) <= set(rig.ids)  # (raises above on a ticket triaged twice)
    assert len(rig.ids) - len(triaged) <= unlogged, sorted(set(rig.ids) - set(triaged))
    for ticket_id in rig.ids:
        assert len(notes(rig.sandbox, ticket_id)) == 1, f"ticket {ticket_id}: not one note"
    # Analysed about once: a stop may drop what was in flight (at most the workers' share).
    completions = rig.standin.stats()["completions"]
    tickets = len(rig.ids)
    assert tickets <= completions <= tickets + 2 * WORKERS, completions


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"]
)
def test_a_signal_stops_the_run_saves_progress_and_the_next_run_finishes(
    rig: SignalRig, signum: signal.Signals, code: int
) -> None:
    finished = stopped_run(rig, signum, code)
    assert 0 < finished["triaged"] < BACKLOG
    assert finished["failed"] == 0
    state = rig.root / "state"
    ledger = RunLedger(state, read_only=True)
    # Stopped inside its first export page, the run saved where it began (not a page end).
    assert ledger.load_cursor("zendesk") is not None
    assert ledger.damaged_files() == []
    assert (state / "last_run.json").is_file()
    assert json.loads((state / "last_run.json").read_text())["status"] == "stopped"
    assert json.loads((state / "inflight.json").read_text())["ticket_ids"] == []
    assert all(len(notes(rig.sandbox, i)) <= 1 for i in rig.ids)
    finish_and_check(rig)


@pytest.mark.slow
def test_a_repeat_within_a_moment_is_the_same_signal(rig: SignalRig) -> None:
    finished = stopped_run(rig, signal.SIGINT, 130, twice=True)
    assert 0 < finished["triaged"] < BACKLOG


@pytest.mark.slow
def test_a_second_signal_stops_at_once_and_the_journal_keeps_notes_single(rig: SignalRig) -> None:
    before = run_ids(rig.logs)
    child = rig.start()
    wait_for(rig.logs, "ticket_triaged", 8, child, before)
    # Jobs now take 4 s: the graceful stop is still waiting for one when the second signal comes
    # (later than the repeat window, so it is a second signal and not the first one repeated).
    rig.sandbox.config.job_delay_ms = 4000
    child.send_signal(signal.SIGTERM)
    wait_for(rig.logs, "stop_requested", 1, child, before)
    time.sleep(REPEAT_WINDOW + 0.3)
    assert child.poll() is None, "the graceful stop ended before the second signal"
    child.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    assert child.wait(10) == 143
    assert time.monotonic() - sent < 2.0  # at once, not after the flush
    output = max(rig.root.glob("run-*.out"), key=lambda p: p.stat().st_mtime).read_text()
    assert "a second SIGTERM: stopping at once" in output
    assert not [e for e in log_events(rig.logs, before) if e["event"] == "run_finished"]
    assert all(len(notes(rig.sandbox, i)) <= 1 for i in rig.ids)
    # The journal holds the batch whose write was under way; the next run settles it first.
    journal = RunLedger(rig.root / "state", read_only=True)
    inflight = journal.inflight()
    assert inflight, "the write under way was not journalled"
    assert journal.jobs(), "the job sent was not journalled"
    finish_and_check(rig, unlogged=len(inflight))
    recovered = [e for e in log_events(rig.logs, before) if e["event"] == "run_recovered"]
    assert [e["tickets"] for e in recovered] == [len(inflight)]


def test_a_repeat_inside_the_window_is_ignored_and_announced_once() -> None:
    now = [100.0]
    heard: list[str] = []
    stop = StopOnSignal(announce=heard.append, clock=lambda: now[0])
    stop.request("SIGINT")
    now[0] += REPEAT_WINDOW / 2
    stop.request("SIGINT")  # would exit the process if it counted as a second signal
    assert stop() == "SIGINT"
    assert heard == ["SIGINT"]
