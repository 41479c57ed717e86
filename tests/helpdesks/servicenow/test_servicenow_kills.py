"""Runs against ServiceNow killed (SIGKILL) at random moments mid-backlog, then a run left to
finish: every incident ends with exactly one triage note and the marker. The run is its own
process (``python -m ticket_processor run``), as cron starts it; the sandbox's
latency keeps the backlog going while the kills land. ``slow``."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ticket_processor.helpdesks.servicenow.sandbox.desk import ServiceNowDesk, serve
from ticket_processor.sandbox.desks import NewTicket
from ticket_processor.tags import NOTE_HEADER

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]

RUN = "from ticket_processor.cli import app\napp(['run', '--engine', 'rules'])\n"


def patches(sn: ServiceNowDesk) -> int:
    """The incidents' PATCHes so far (each a note with its fields; the labels go before it
    and the marker after, so a kill counted in PATCHes lands among a ticket's writes)."""
    counted = sn.stats()["requests"]
    return sum(n for key, n in counted.items() if key.startswith("PATCH"))


def wait_for_writes(sn: ServiceNowDesk, more: int, process: subprocess.Popen[bytes]) -> None:
    start, deadline = patches(sn), time.monotonic() + 120
    while patches(sn) < start + more and process.poll() is None:
        assert time.monotonic() < deadline, "the run wrote nothing"
        time.sleep(0.01)


def test_runs_killed_at_random_moments_leave_each_incident_noted_once(tmp_path: Path) -> None:
    rng = random.Random(11)
    with serve(seed=5) as sn:
        ids = sn.create(
            [NewTicket(f"Invoice {n}", f"I was charged twice, order {n}.") for n in range(40)]
        )
        sn.sandbox.config.apply({"latency_ms": 15.0})
        env = {
            **os.environ,
            **sn.env(),
            "TICKETBOT_STATE_DIR": str(tmp_path / "state"),
            "TICKETBOT_LOG_DIR": str(tmp_path / "logs"),
        }
        for _ in range(4):
            process = subprocess.Popen(
                [sys.executable, "-c", RUN],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            # Killed once it has written a few more (a real process, at a real moment).
            wait_for_writes(sn, rng.randint(1, 6), process)
            process.send_signal(signal.SIGKILL)
            process.wait(30)
        # The kills landed while runs wrote: some incidents noted, not all of them yet.
        noted = sum(1 for i in ids if sn.snapshot(i).notes)
        assert 0 < noted < len(ids), noted
        sn.sandbox.config.apply({"latency_ms": 0.0})
        last = subprocess.run(
            [sys.executable, "-c", RUN], env=env, capture_output=True, timeout=300, check=False
        )
        assert last.returncode == 0, last.stderr.decode()[-2000:]
        for ticket_id in ids:
            seen = sn.snapshot(ticket_id)
            assert "ai_processed" in seen.tags, (ticket_id, seen)
            assert len([n for n in seen.notes if NOTE_HEADER in n]) == 1, (ticket_id, seen)
