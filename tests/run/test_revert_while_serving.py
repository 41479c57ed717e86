"""``ticketbot revert --run`` while a ``ticketbot serve`` holds the same state directory warns,
in one line on stderr, that the server may triage again a ticket the revert undoes, and goes on
(an operator may mean it); with no server alive it says nothing of the kind. Before, revert
said nothing, though the how-to says to stop serve first."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.cli import invoke
from support.serving import serve_env, serving

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(seed=None, unlimited=True)

WARNING = "`ticketbot serve` is running on"


def test_revert_warns_while_serve_runs_on_the_state_directory(desk: Desk, tmp_path: Path) -> None:
    env = serve_env(desk.env(), tmp_path)
    desk.create([NewTicket("Refund please", "I want a refund for order 4411, money back please.")])
    ran = invoke("run", "--engine", "rules", env=env)
    assert ran.exit_code == 0, ran.output
    [run_id] = set(re.findall(r"ticketbot run (\S+):", ran.output))

    quiet = invoke("revert", "--run", run_id, "--dry-run", env=env)
    assert quiet.exit_code == 0, quiet.output
    assert WARNING not in quiet.stderr

    with serving(env):
        warned = invoke("revert", "--run", run_id, "--dry-run", env=env)
    assert warned.exit_code == 0, warned.output
    [line] = [said for said in warned.stderr.splitlines() if WARNING in said]
    assert str(tmp_path / "state") in line
    assert "triage again a ticket this revert undoes" in line
    # A warning, not a refusal: the dry run still plans the revert.
    assert warned.stdout == quiet.stdout
