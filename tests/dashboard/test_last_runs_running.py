"""The dashboard's "Last runs" shows a run with no end as ``running`` only while the process
holding its lock is alive, as ``report`` does: a live ``serve`` session is running, and the same
session once its process is killed is ``unfinished``; a dashboard that cannot see the runs'
state directory says ``no end logged``. Before, any run with no end read "running", even a
server killed an hour ago."""

from __future__ import annotations

import re
import signal
import sys
import time
from pathlib import Path

import httpx
import pytest
from support.dashboard import TOKEN, bearer, start_dashboard
from support.e2e import events
from support.serving import serve_env, serve_process

from ticket_processor.audit.store import AuditStore
from ticket_processor.dashboard.access import Access
from ticket_processor.dashboard.server import serve_in_thread
from ticket_processor.dashboard.signals import read_signals
from ticket_processor.dashboard.web import DashboardConfig, build_app
from ticket_processor.sandbox.desks import Desk

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
    pytest.mark.desk(seed=None, unlimited=True),
]


def _session(logs: Path) -> str | None:
    started = [
        e["run_id"]
        for e in (events(logs) if logs.is_dir() else [])
        if e.get("source") == "serve" and e.get("event") == "run_started"
    ]
    return started[0] if started else None


def _last_runs(page: str) -> dict[str, str]:
    """Each run id of the overview's "Last runs" and the text of its status pill."""
    listed = page[page.index("<h2>Last runs</h2>") :]
    return {
        row.group(1): row.group(2)
        for row in re.finditer(
            r"<tr><td[^>]*>[^<]*</td><td><a [^>]*>([^<]+)</a>.*?"
            r'<span class="pill status-[^"]*">([^<]*)</span>.*?</tr>',
            listed,
        )
    }


def _shown(url: str, run_id: str, headers: dict[str, str] | None = None) -> str:
    """The session's status on the overview, once the store has its row (a server writes it
    to the store when it is first idle)."""
    deadline = time.monotonic() + 120
    while True:
        page = httpx.get(
            url + "/", headers=bearer() if headers is None else headers, timeout=30
        ).text
        rows = _last_runs(page)
        if run_id in rows:
            return rows[run_id]
        assert time.monotonic() < deadline, page[-3000:]
        time.sleep(0.5)


def _account(state: Path) -> str:
    with AuditStore.open(None, state_dir=state, account="") as probe:
        found = probe.engine.connect().exec_driver_sql("SELECT DISTINCT account FROM runs")
        [account] = [row[0] for row in found]
    return str(account)


def test_a_live_serve_is_running_and_a_killed_one_unfinished(desk: Desk, tmp_path: Path) -> None:
    env = serve_env(desk.env(), tmp_path)
    process, _ = serve_process(
        env, tmp_path / "serve.err", ready=lambda _: bool(_session(Path(env["TICKETBOT_LOG_DIR"])))
    )
    session = _session(tmp_path / "logs")
    assert session is not None
    try:
        with start_dashboard(env={**env, "TICKETBOT_DASHBOARD_TOKEN": TOKEN}) as url:
            assert _shown(url, session) == "running"
            process.send_signal(signal.SIGKILL)
            process.wait(30)
            # The same dashboard, the same store row with no end: its process is gone.
            assert _shown(url, session) == "unfinished"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)

    # A dashboard that cannot see the runs' state directory (another machine, a shared store)
    # cannot tell a run going from one killed.
    state = tmp_path / "state"
    app = build_app(
        DashboardConfig(
            open_store=lambda: AuditStore.open(None, state_dir=state, account=_account(state)),
            access=Access(token=None, proxy_header=None, review=False, loopback=True),
            signals=lambda now: read_signals(tmp_path / "not-here", now.date()),
        )
    )
    with serve_in_thread(app) as url:
        assert _shown(url, session, headers={}) == "no end logged"
