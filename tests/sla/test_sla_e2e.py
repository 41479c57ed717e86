"""The SLA pass end to end, on each sandbox, through the CLI (``TICKETBOT_SLA=true``): the
helpdesk's own targets (policies, schedule and holiday, each ticket's applied target) set as its
SLA engine would, the group's first replies slow (90 minutes against a 60-minute target).

A first reply due in 30 minutes is tagged at risk with a note line; one a person prioritised
keeps its priority; one ticketbot prioritised moves up one step where the helpdesk's policy
gives the higher priority no shorter target (not on ServiceNow, whose definitions restart on a
priority); paused, achieved and far-off targets are left alone; a breach is recorded, not
announced; a second run warns of nothing again. On a holiday a business-hours target is not
tagged."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.cli import invoke
from support.sla import (
    EVERY_DAY,
    ON,
    TARGETS,
    at_risk,
    logged,
    sla_desk,
    sla_notes,
    slow_history,
    triaged,
)

from ticket_processor.sandbox.desks import Desk

pytestmark = pytest.mark.desk(configure=True)


def test_at_risk_tagged_the_rest_left_alone(desk: Desk, tmp_path: Path) -> None:
    sla = sla_desk(desk)
    now = time.time()
    sla.sla_schedule("UTC", EVERY_DAY)
    sla.sla_policy(TARGETS)
    ours, persons, paused, achieved, later, late = desk.create(
        [
            triaged("Invoice missing", "ai_priority_normal"),
            triaged("Cannot log in"),
            triaged("Waiting on the customer", "ai_priority_normal"),
            triaged("Already answered", "ai_priority_normal"),
            triaged("Due tomorrow", "ai_priority_normal"),
            triaged("Deadline passed", "ai_priority_normal"),
        ]
    )
    for ticket_id, due, stage in (
        (ours, now + 1800, "active"),
        (persons, now + 1500, "active"),
        (paused, now + 1200, "paused"),
        (achieved, now + 1200, "achieved"),
        (later, now + 86400, "active"),
        (late, now - 600, "breached"),
    ):
        sla.sla_clock(ticket_id, metric="first_reply", breach_at=due, stage=stage)
    slow_history(sla, now)

    metrics = tmp_path / "ticketbot.prom"
    result = invoke(
        "run", "--engine", "rules", env={**ON, "TICKETBOT_METRICS_TEXTFILE": str(metrics)}
    )
    assert result.exit_code == 0, result.output
    assert 'ticketbot_sla_at_risk{group=""} 2.0' in metrics.read_text("utf-8")

    assert at_risk(desk, ours)
    assert at_risk(desk, persons)
    for left_alone in (paused, achieved, later, late):
        assert not at_risk(desk, left_alone), left_alone
    (note,) = sla_notes(desk, ours)
    assert "first reply due" in note, note
    assert "likelihood of missing it" in note, note
    # Ahead of it: the person's ticket (due earlier) and the overdue one; the paused one waits.
    assert "2 ahead in its group" in note, note
    assert "1 ahead in its group" in sla_notes(desk, persons)[0]
    assert desk.snapshot(persons).priority == "normal"  # a person's priority stands
    stepped = desk.snapshot(ours).priority
    assert stepped == ("high" if getattr(desk, "sla_priority_steps", True) else "normal")
    assert desk.snapshot(paused).priority == "normal"
    (breach,) = logged(tmp_path, "sla_breached")
    assert breach["ticket_id"] == late
    assert breach["warned"] is False
    assert not sla_notes(desk, late)

    # A second run warns of nothing again and records the breach no second time.
    again = invoke("run", "--engine", "rules", env=ON)
    assert again.exit_code == 0, again.output
    assert len(sla_notes(desk, ours)) == 1
    assert len(logged(tmp_path, "sla_warned")) == 2
    assert len(logged(tmp_path, "sla_breached")) == 1

    # The report counts what the runs did: two targets warned of, one breach, not warned of.
    report = invoke("report")
    assert report.exit_code == 0, report.output
    assert "service levels: 2 target(s) warned of (0 cautiously, 0 paged)" in report.output
    assert "breaches: 1, 0 warned of" in report.output


def test_a_business_hours_target_is_not_tagged_on_a_holiday(desk: Desk) -> None:
    sla = sla_desk(desk)
    now = time.time()
    today = time.strftime("%Y-%m-%d", time.gmtime(now))
    sla.sla_schedule("UTC", EVERY_DAY, holidays=[today])
    sla.sla_policy(TARGETS, business_hours=True)
    (ticket_id,) = desk.create([triaged("Order lost")])
    sla.sla_clock(ticket_id, metric="first_reply", breach_at=now + 1800)
    slow_history(sla, now)
    result = invoke("run", "--engine", "rules", env=ON)
    assert result.exit_code == 0, result.output
    assert not at_risk(desk, ticket_id)
