"""Crash consistency in CI: a short campaign of ``python -m scripts.figures crash_test``.

The script SIGKILLs ``python -m ticket_processor run`` at random moments over one backlog, lets
a last run finish and checks every ticket; here with 4 kills over 120 tickets, against each
helpdesk the registry lists (the full 20-kill campaign runs by hand: ``python -m scripts.figures
crash_test [--helpdesk freshdesk|servicenow]``). The checker itself is tested on plain
data, so a broken check cannot pass a broken helpdesk.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support.e2e import script_module

from ticket_processor.helpdesks.registry import KINDS

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


@pytest.fixture(scope="module")
def crash_test() -> ModuleType:
    return script_module("drills")


@pytest.mark.slow
@pytest.mark.parametrize("helpdesk", list(KINDS))
def test_runs_killed_at_random_moments_leave_every_ticket_noted_once(
    crash_test: ModuleType, tmp_path: Path, helpdesk: str
) -> None:
    # A slow LLM (0.1 s, 2 workers: 20 tickets a second) so the backlog outlasts the kills.
    settings = crash_test.CampaignSettings(
        kills=4, tickets=120, seed=11, llm_latency=0.1, workers=2, max_delay=1.2, helpdesk=helpdesk
    )
    report = crash_test.campaign(settings, tmp_path)
    summary = "\n".join(report.lines())
    assert report.violations == [], summary
    assert report.kills == 4, summary
    assert report.mid_run == 4, summary  # every kill after the run began talking to the helpdesk
    assert report.final_ok, summary
    assert report.tickets_checked == 120


def ticket(**fields: Any) -> dict[str, Any]:
    return {"id": 1, "tags": ["vip"], "priority": None, **fields}


DONE = ["vip", "ai_processed", "ai_urgency_high", "ai_priority_high"]


def test_checker_accepts_a_ticket_written_per_policy(crash_test: ModuleType) -> None:
    assert crash_test.check_ticket(ticket(), ticket(tags=DONE, priority="high"), 1) == []
    # A human's higher priority is kept; at low confidence nothing changes.
    human = ticket(priority="urgent")
    assert crash_test.check_ticket(human, ticket(tags=DONE, priority="urgent"), 1) == []
    low = ["vip", "ai_processed", "ai_urgency_high", "ai_low_confidence"]
    assert crash_test.check_ticket(ticket(), ticket(tags=low, priority=None), 1) == []


@pytest.mark.parametrize(
    ("after", "notes", "problem"),
    [
        (ticket(tags=DONE, priority="high"), 2, "2 ticketbot notes"),
        (ticket(tags=DONE[1:], priority="high"), 1, "lost tags ['vip']"),
        (ticket(tags=["vip"], priority=None), 0, "skipped"),
        (ticket(tags=DONE, priority="low"), 1, "policy says 'high'"),
        (ticket(tags=["vip", "ai_processed"], priority=None), 1, "urgency tags []"),
    ],
)
def test_checker_reports_each_kind_of_damage(
    crash_test: ModuleType, after: dict[str, Any], notes: int, problem: str
) -> None:
    found = crash_test.check_ticket(ticket(), after, notes)
    assert any(problem in line for line in found), found


def test_checker_never_accepts_a_lowered_human_priority(crash_test: ModuleType) -> None:
    found = crash_test.check_ticket(
        ticket(priority="urgent"), ticket(tags=DONE, priority="high"), 1
    )
    assert any("policy says 'urgent'" in line for line in found), found
