"""The memory of a run that meets customers' replies, measured on the real CLI in a child
process (``os.wait4`` in a launcher gives its own peak RSS) against the Zendesk sandbox.

The learned reply classifier used to be fitted in every process that met a reply (600 MB),
and a 5 MB reply took a run to 1.7 GB: past the 512 Mi limit of the printed CronJob, so every
such run was killed and the reply never settled. The model is now read from the package and a
reply is capped as a ticket's body is. ``python -m scripts.figures memory_bounds --only reply``
prints the figures for each engine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.cli import invoke
from support.clock import FakeClock
from support.e2e import events

from ticket_processor.sandbox.desks import Desk, NewTicket

BOUND_MIB = 250
# The run is started by a small launcher that reports its own peak: a child's ``ru_maxrss``
# starts from the RSS of the process that forked it (Linux carries the high-water mark of the
# address space a process leaves across ``exec``), and this one may hold a loaded engine.
LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""
FIVE_MB = ("Still broken after the update, the export fails again. " * 95_000)[: 5 * 1024 * 1024]


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "wait4"), reason="os.wait4 gives a child's peak RSS")
@pytest.mark.desk(kinds=("zendesk",), clock="desk_clock", configure=True)
def test_a_run_that_meets_replies_stays_under_the_bound(
    desk: Desk, desk_clock: FakeClock, tmp_path: Path
) -> None:
    ids = desk.create(
        [
            NewTicket("Export broken", "The CSV export fails with error 500."),
            NewTicket("Export question", "How can I export the report as a spreadsheet?"),
        ]
    )
    first = invoke("run", "--engine", "learned")
    assert first.exit_code == 0, first.output
    desk_clock.advance(5)
    desk.requester_says(ids[0], FIVE_MB)
    desk.requester_says(ids[1], "Thanks, that solved it!")
    desk_clock.now = float(int(time.time()))  # the replies are over a minute old now

    run = [sys.executable, "-m", "ticket_processor", "run", "--engine", "learned"]
    launched = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *run],
        env={**os.environ, "TICKETBOT_WORKERS": "2"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    code, peak_kib = (int(word) for word in launched.stdout.split())
    peak_mib = peak_kib / 1024
    assert code == 0
    judged = {
        e["ticket_id"]: e["kind"]
        for e in events(tmp_path / "logs")
        if e["event"] == "reply_triaged"
    }
    assert judged == {ids[0]: "actionable", ids[1]: "thanks"}
    assert peak_mib < BOUND_MIB, f"peak RSS {peak_mib:.0f} MiB"
