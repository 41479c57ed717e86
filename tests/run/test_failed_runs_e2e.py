"""A run that fails is recorded, reported and alerted as any other failed run, wherever it
failed and whatever settings are on.

``ticketbot run`` as a process on each helpdesk's sandbox, with the helpdesk refusing the
credentials or nothing listening at its address: with a routes file the first request is the
routes' (the groups, while the run's parts are built), without one it is discovery's (once the
run is under way). Either way the run ends with exit 1 and leaves the same trace: an aborted
``run_finished`` event, ``last_run.json`` saying so, the "run aborted" alert, the run in
``report`` and a degraded last-run row in ``health``. A routes file the run cannot use stays a
configuration error (exit 2), its run recorded all the same; and an error the pipeline cannot
handle (here an injected wait that fails) is recorded aborted, never ok. ``run --ticket ID``
that meets refused credentials, or a hung run holding the lock, is recorded the same way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.cli import ROOT, as_process
from support.e2e import events
from support.ports import held_refused_port
from support.webhook import Receiver

from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import Desk, NewTicket

ROUTES = """
[[route]]
name = "billing is escalated"
when = { category = "billing" }
escalate = true
"""

pytestmark = pytest.mark.desk(configure=True)


def ticketbot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return as_process(tmp_path, *args)


def break_the_helpdesk(desk: Desk, kind: str, fault: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Wrong credentials, or the helpdesk's address on a port that refuses connections."""
    env = desk.env()
    if fault == "credentials":
        for name in KINDS[kind].settings.secret_variables():
            if name in env:
                monkeypatch.setenv(name, "wrongtoken12345")
        return
    closed = f"http://127.0.0.1:{held_refused_port()}"
    for name, value in env.items():
        if value.rstrip("/") == desk.url.rstrip("/"):
            monkeypatch.setenv(name, closed)


@pytest.mark.parametrize("fault", ["credentials", "closed_port"])
@pytest.mark.parametrize("routes", [True, False], ids=["routes", "no_routes"])
def test_a_run_that_fails_before_triage_is_recorded_reported_and_alerted(
    desk: Desk,
    desk_kind: str,
    fault: str,
    routes: bool,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    if routes:
        (tmp_path / "routes.toml").write_text(ROUTES, "utf-8")
        monkeypatch.setenv("TICKETBOT_ROUTES", str(tmp_path / "routes.toml"))
    monkeypatch.setenv("TICKETBOT_ALERT_WEBHOOK", receiver.url)
    working = desk.env()
    break_the_helpdesk(desk, desk_kind, fault, monkeypatch)

    failed = ticketbot(tmp_path, "run", "--engine", "rules")

    assert failed.returncode == 1, failed.stderr
    # The helpdesk answers again: what is left to see is the run that failed.
    for name, value in working.items():
        monkeypatch.setenv(name, value)
    assert_recorded_aborted(failed, receiver, tmp_path)


def assert_recorded_aborted(
    failed: subprocess.CompletedProcess[str], receiver: Receiver, tmp_path: Path
) -> str:
    """The failed run's trace: an aborted ``run_finished``, ``last_run.json`` saying so, one
    "run aborted" alert, the run's row in ``report`` and a degraded last run in ``health``;
    the run's reason."""
    assert "wrongtoken12345" not in failed.stderr
    finished = [e for e in events(tmp_path / "logs") if e["event"] == "run_finished"]
    assert [(e["status"], e["exit_code"]) for e in finished] == [("aborted", 1)], failed.stderr
    run_id = finished[0]["run_id"]
    assert finished[0]["reason"]
    last = json.loads((tmp_path / "state" / "last_run.json").read_text("utf-8"))
    assert (last["run_id"], last["status"]) == (run_id, "aborted")
    alerts = [b["text"] for b in receiver.bodies if "run aborted" in b["text"]]
    assert len(alerts) == 1, receiver.bodies
    assert "wrongtoken12345" not in alerts[0]
    report = ticketbot(tmp_path, "report")
    assert report.returncode == 0, report.stderr
    [row] = [line for line in report.stdout.splitlines() if run_id in line]
    assert "aborted" in row
    health = ticketbot(tmp_path, "health", "--json")
    checks = {c["name"]: c for c in json.loads(health.stdout)["checks"]}
    assert checks["last run"]["status"] == "degraded", checks["last run"]
    assert "aborted" in checks["last run"]["reason"]
    assert health.returncode >= 1, health.stdout
    return str(finished[0]["reason"])


HUNG_HOLDER = """
import sys
from pathlib import Path
from ticket_processor.state.lock import RunLock
with RunLock(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.readline()
"""


@contextmanager
def hung_run_holding_the_lock(state: Path) -> Iterator[None]:
    """A live process holding the run lock whose record says it started five hours ago: a
    run that is hung (``StaleLockError``)."""
    state.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HUNG_HOLDER, str(state)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        started = (datetime.now(UTC) - timedelta(hours=5)).isoformat(timespec="seconds")
        info = json.dumps({"pid": holder.pid, "started": started}).encode()
        with open(state / "ticketbot.lock", "r+b") as lock_file:
            lock_file.seek(1)
            lock_file.write(info + b"\n")
            lock_file.truncate()
        yield
    finally:
        holder.kill()
        holder.wait(10)


@pytest.mark.parametrize("fault", ["credentials", "hung_lock"])
def test_a_one_ticket_run_that_fails_is_recorded_reported_and_alerted(
    desk: Desk,
    desk_kind: str,
    fault: str,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("TICKETBOT_ALERT_WEBHOOK", receiver.url)
    [ticket] = desk.create([NewTicket("Refund", "Please refund my order, it arrived broken")])
    if fault == "credentials":
        working = desk.env()
        break_the_helpdesk(desk, desk_kind, fault, monkeypatch)
        failed = ticketbot(tmp_path, "run", "--engine", "rules", "--ticket", str(ticket))
        for name, value in working.items():
            monkeypatch.setenv(name, value)
    else:
        with hung_run_holding_the_lock(tmp_path / "state"):
            failed = ticketbot(tmp_path, "run", "--engine", "rules", "--ticket", str(ticket))

    assert failed.returncode == 1, failed.stderr
    reason = assert_recorded_aborted(failed, receiver, tmp_path)
    if fault == "hung_lock":
        assert "hung" in reason, reason
    assert desk.snapshot(ticket).notes == [], "a failed run writes nothing"


def test_a_routes_file_the_run_cannot_use_is_a_configuration_error_and_a_recorded_run(
    desk: Desk, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "routes.toml").write_text(
        '[[route]]\nname = "x"\nwhen = { category = "no-such-category" }\nescalate = true\n',
        "utf-8",
    )
    monkeypatch.setenv("TICKETBOT_ROUTES", str(tmp_path / "routes.toml"))
    monkeypatch.setenv("TICKETBOT_ALERT_WEBHOOK", receiver.url)

    failed = ticketbot(tmp_path, "run", "--engine", "rules")

    assert failed.returncode == 2, failed.stderr
    assert "configuration error" in failed.stderr
    assert "TICKETBOT_ROUTES" in failed.stderr
    finished = [e for e in events(tmp_path / "logs") if e["event"] == "run_finished"]
    assert [(e["status"], e["exit_code"]) for e in finished] == [("aborted", 2)]
    assert "TICKETBOT_ROUTES" in finished[0]["reason"]
    last = json.loads((tmp_path / "state" / "last_run.json").read_text("utf-8"))
    assert last["status"] == "aborted"
    assert [b["text"] for b in receiver.bodies if "run aborted" in b["text"]]


class _Fault(Exception):
    """An error no part of the run expects (a fault of ours, a disk): what the pipeline cannot
    handle and the command reports as its own."""


def test_an_error_the_pipeline_cannot_handle_is_recorded_aborted_never_ok(
    desk: Desk, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ticket_processor import load_settings, run_once
    from ticket_processor.resilience.runtime import Runtime

    monkeypatch.setenv("TICKETBOT_ALERT_WEBHOOK", receiver.url)
    monkeypatch.setenv("TICKETBOT_KB_SUGGESTIONS", "0")  # no help-centre sync while building
    desk.create([NewTicket("Refund", "Please refund my order, it arrived broken")])
    desk.start_storm(30)  # discovery's first read meets a 429: the run waits, and fails there

    def sleep(seconds: float) -> None:
        if seconds > 0:
            raise _Fault("the wait failed")

    with pytest.raises(_Fault):
        run_once(load_settings(os.environ), engine="rules", runtime=Runtime(sleep=sleep))

    finished = [e for e in events(tmp_path / "logs") if e["event"] == "run_finished"]
    assert [(e["status"], e["exit_code"]) for e in finished] == [("aborted", 1)]
    assert "_Fault: the wait failed" in finished[0]["reason"]
    last = json.loads((tmp_path / "state" / "last_run.json").read_text("utf-8"))
    assert (last["run_id"], last["status"]) == (finished[0]["run_id"], "aborted")
    assert [b["text"] for b in receiver.bodies if "run aborted" in b["text"]]
