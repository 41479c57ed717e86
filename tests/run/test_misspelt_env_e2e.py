"""A misspelt ``TICKETBOT_`` name in the environment, on both helpdesks: ``run --dry-run`` warns
about it once with the closest name, as it does for the same line in ``.env``; another
program's variable is left alone."""

from __future__ import annotations

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk

pytestmark = pytest.mark.desk(configure=True)


def test_a_misspelt_setting_in_the_environment_is_warned_about_once(desk: Desk) -> None:
    env = {"TICKETBOT_CONFIDENCE_TRESHOLD": "0.9", "COMPOSE_PROJECT_NAME": "desk"}
    ran = invoke("run", "--dry-run", env=env)
    assert ran.exit_code == 0, ran.output
    lines = [line for line in ran.stderr.splitlines() if "configuration warning" in line]
    assert len(lines) == 1, ran.stderr
    assert (
        "TICKETBOT_CONFIDENCE_TRESHOLD (in the environment) is not a ticketbot setting"
        in (lines[0])
    )
    assert "did you mean TICKETBOT_CONFIDENCE_THRESHOLD?" in lines[0]
