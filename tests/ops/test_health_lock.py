"""A run that holds the lock long past the time it may take is named by ``health``: while it
holds it, every scheduled run exits 0 saying the lock is held, so nothing else shows it. The
run writes how long it may take in the lock (its ``--max-runtime`` and grace) beside its pid.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from support.answers_desk import create_tickets

from ticket_processor.commands.ops import health_setup
from ticket_processor.ops.health import check_health
from ticket_processor.ops.health_verdicts import LOCK_SLACK, MIB
from ticket_processor.run.connect import load_settings
from ticket_processor.run.runner import run_once
from ticket_processor.sandbox.desks import Desk
from ticket_processor.state.lock import LOCK_FILE, LockHolder, RunLock, lock_holder


def _fine(_: object) -> tuple[str, str]:
    return "healthy", "fine"


def test_a_run_holding_the_lock_long_past_its_time_is_named_with_its_pid_and_age(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    settings = load_settings(
        {}, env_file=None, overrides={"log_dir": tmp_path / "logs", "state_dir": state}
    )

    def verdict(minutes: float, holder: LockHolder) -> dict[str, tuple[str, str]]:
        report = check_health(
            health_setup(settings),
            now=holder.started + timedelta(minutes=minutes),
            probes={"helpdesk": _fine, "llm": _fine},  # type: ignore[dict-item]
            free_bytes=lambda path: (path, 100_000 * MIB),
        )
        return {c.name: (c.status, c.reason) for c in report.checks}

    with RunLock(state, may_last=33.0):
        holder = lock_holder(state)
        assert holder is not None
        assert (holder.pid, holder.may_last) == (os.getpid(), 33.0)
        assert "run lock" not in verdict((33 + LOCK_SLACK) / 60, holder)
        status, reason = verdict(20, holder)["run lock"]
    assert status == "degraded"
    assert f"pid {os.getpid()}" in reason
    assert "held the lock for 20 min" in reason
    assert "33 s it may take" in reason
    assert "run lock" not in verdict(20, holder)  # let go: nobody holds it


@pytest.mark.desk(configure=True)
def test_a_run_writes_in_its_lock_how_long_it_may_take(desk: Desk) -> None:
    create_tickets(
        desk, [{"subject": "Invoice copy", "description": "Where are my invoices?", "kind": "x"}]
    )
    settings = load_settings(os.environ, env_file=None)
    seen: list[dict[str, Any]] = []

    def held(_: str) -> None:  # the lock's bytes as ``health`` reads them, mid-run
        seen.append(json.loads((settings.state_dir / LOCK_FILE).read_bytes()[1:]))

    summary = run_once(settings, engine="rules", max_runtime=30.0, on_progress=held)
    assert summary.triaged == 1
    # --max-runtime 30 and its grace of 3 s (a tenth of it).
    assert [(h["pid"], h.get("may_last")) for h in seen] == [(os.getpid(), 33.0)]
