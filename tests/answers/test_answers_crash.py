"""Exactly-once replies under kill -9, through ``python -m scripts.figures answers_crash_test``: 20
sending runs SIGKILLed at random moments on each helpdesk; no ticket ever gets two replies, and the
next run sends every reply that was planned."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest
from support.e2e import script_module

from ticket_processor.helpdesks.registry import KINDS

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


@pytest.fixture(scope="module")
def crash() -> ModuleType:
    return script_module("drills_answers")


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("helpdesk", list(KINDS))
def test_sending_runs_killed_at_random_never_reply_twice(
    crash: ModuleType, tmp_path: Path, helpdesk: str
) -> None:
    settings = crash.CrashSettings(kills=20, seed=7, helpdesk=helpdesk)
    report = crash.answers_campaign(settings, tmp_path)
    summary = "\n".join(report.lines())
    assert report.violations == [], summary
    assert report.kills == 20, summary
    assert report.killed_while_sending >= 3, summary  # kills landed inside the send pass
    assert report.planned_left == 0, summary
    assert report.replies >= 12, summary
