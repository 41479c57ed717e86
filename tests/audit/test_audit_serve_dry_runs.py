"""The first-day review's sequence, as processes, on each helpdesk: ``ticketbot serve`` running
(waited for on ``/readyz``), three dry runs beside it, a dry revert of its run, two calls of its
triage API, a webhook delivery, then SIGTERM (or SIGKILL). The audit store stays whole and
keeps the dry runs' rows and the decision serve stored last.

The store was found "malformed", the dry runs' rows gone: serve's readiness checks read the
state directory, and reading the store's header with a plain ``open`` dropped serve's SQLite
locks, so an ending dry run deleted the write-ahead log serve still wrote to, and serve folded
its stale pages over the newer ones when it stopped; killed instead, what it wrote after the
dry runs was in the deleted log, gone (``tests/audit/test_audit_shared_locks.py`` holds the
mechanism without a server).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from support.e2e import events
from support.serving import TOKEN, delivery_for, readyz_ready, serve_env, serve_process

from ticket_processor.audit.writer import FILE_NAME
from ticket_processor.sandbox.desks import Desk, NewTicket

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and locks"),
]
TICKETS = [
    NewTicket("Refund please", "I want a refund for order 4411, money back please."),
    NewTicket("Invoice", "Please send me the invoice for last month."),
    NewTicket("App crash", "The app crashes with an error when I save."),
]


def ticketbot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "ticket_processor", *args],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )


@pytest.mark.desk(seed=None)
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_dry_runs_beside_serve_leave_the_store_whole(
    desk: Desk, tmp_path: Path, stop: signal.Signals
) -> None:
    ids = desk.create(TICKETS)
    env = serve_env(desk.env(), tmp_path)
    first = ticketbot(env, "run", "--engine", "rules")  # the store exists before serve starts
    assert first.returncode == 0, first.stderr
    process, url = serve_process(env, tmp_path / "serve.err", ready=readyz_ready)
    try:
        [serve_run] = {
            e["run_id"] for e in events(tmp_path / "logs") if e["event"] == "serve_started"
        }
        for tickets in (ids, ids[1:2], ids):
            chosen = [arg for ticket in tickets for arg in ("--ticket", str(ticket))]
            dry = ticketbot(env, "run", "--engine", "rules", "--dry-run", "--force", *chosen)
            assert dry.returncode == 0, dry.stderr
        ticketbot(env, "revert", "--run", serve_run, "--dry-run")  # nothing of serve's to undo
        for _ in range(2):
            answer = httpx.post(
                f"{url}/api/v1/triage",
                json={"subject": "Charged twice", "description": "Two payments this month."},
                headers={"authorization": f"Bearer {TOKEN}"},
                timeout=60,
            )
            assert answer.status_code == 200, answer.text
        # A delivery after the dry runs: serve stores its decision, then writes the note.
        [late] = desk.create([NewTicket("Refund again", "Charged twice, refund me please.")])
        body, headers = delivery_for(desk.kind, late)
        sent = httpx.post(f"{url}/webhooks/{desk.kind}", content=body, headers=headers, timeout=30)
        assert sent.status_code == 200, sent.text
        deadline = time.monotonic() + 120
        while not desk.snapshot(late).notes:
            assert time.monotonic() < deadline, (tmp_path / "serve.err").read_text()
            time.sleep(0.1)
    finally:
        process.send_signal(stop)
        process.wait(60)

    conn = sqlite3.connect(tmp_path / "state" / FILE_NAME)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        modes = [row[0] for row in conn.execute("SELECT mode FROM runs ORDER BY id")]
        served = conn.execute(
            "SELECT count(*) FROM decisions WHERE ticket_id = ? AND mode = 'serve'", (late,)
        ).fetchone()[0]
    finally:
        conn.close()
    assert modes.count("dry-run") == 3, modes
    assert {"normal", "serve"} <= set(modes)
    assert served == 1  # stored before its note was written, kill -9 or not
