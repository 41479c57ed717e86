"""A state directory a run cannot write, as a new user meets it on each helpdesk: the run
refuses (a configuration error, exit 2), and ``health`` and ``run --dry-run`` say the same
thing (health had said "healthy, readable"; the dry run blamed TICKETBOT_DATABASE_URL, a
variable the user never set)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)

REFUSED = "TICKETBOT_STATE_DIR: cannot write to"


def test_run_health_and_dry_run_name_the_unwritable_state_directory(
    desk: Desk, unwritable: Path
) -> None:
    desk.create([NewTicket("Refund", "Where is my refund?")])
    env = {"TICKETBOT_STATE_DIR": str(unwritable)}

    run = invoke("run", "--engine", "rules", "--limit", "1", env=env)
    assert run.exit_code == 2, run.output
    assert f"{REFUSED} {unwritable}" in run.output

    health = invoke("health", "--json", env=env)
    checks = {c["name"]: c for c in json.loads(health.stdout)["checks"]}
    assert checks["disk (state)"]["status"] == "unhealthy", checks
    assert f"{REFUSED} {unwritable}" in checks["disk (state)"]["reason"]
    assert health.exit_code == 2

    dry = invoke("run", "--dry-run", "--engine", "rules", "--limit", "1", env=env)
    assert f"{REFUSED} {unwritable}" in dry.output
    assert "TICKETBOT_DATABASE_URL" not in dry.output
