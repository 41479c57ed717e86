"""The at-risk tag means "at risk now", on each sandbox through the CLI: once the warned first
reply is given (achieved) or the ticket waits on its customer (paused), the next run takes off
the tag ticketbot added; a tag a person set before the warning stays, and so does the tag of a
ticket whose target was missed (it still waits)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.cli import invoke
from support.sla import EVERY_DAY, ON, TARGETS, at_risk, logged, sla_desk, slow_history, triaged

from ticket_processor.sandbox.desks import Desk

pytestmark = pytest.mark.desk(configure=True)


def test_the_tag_comes_off_when_the_target_is_met_or_paused(desk: Desk, tmp_path: Path) -> None:
    sla = sla_desk(desk)
    now = time.time()
    sla.sla_schedule("UTC", EVERY_DAY)
    sla.sla_policy(TARGETS)
    answered, waiting, persons, missed = desk.create(
        [
            triaged("Invoice missing"),
            triaged("Refund please"),
            triaged("Cannot log in", "ai_sla_at_risk"),  # a person's tag, before any warning
            triaged("Order lost"),
        ]
    )
    for ticket_id, due in ((answered, 1800), (waiting, 1700), (persons, 1600), (missed, 1500)):
        sla.sla_clock(ticket_id, metric="first_reply", breach_at=now + due)
    slow_history(sla, now)
    first = invoke("run", "--engine", "rules", env=ON)
    assert first.exit_code == 0, first.output
    assert all(at_risk(desk, t) for t in (answered, waiting, persons, missed))

    sla.sla_clock(answered, metric="first_reply", breach_at=now + 1800, stage="achieved")
    sla.sla_clock(waiting, metric="first_reply", breach_at=now + 1700, stage="paused")
    sla.sla_clock(persons, metric="first_reply", breach_at=now + 1600, stage="achieved")
    sla.sla_clock(missed, metric="first_reply", breach_at=now - 60, stage="breached")
    second = invoke("run", "--engine", "rules", env=ON)
    assert second.exit_code == 0, second.output
    assert not at_risk(desk, answered)
    assert not at_risk(desk, waiting)
    assert at_risk(desk, persons)  # a person's tag stays
    assert at_risk(desk, missed)  # missed, still waiting: still at risk
    assert sorted(e["ticket_id"] for e in logged(tmp_path, "sla_untagged")) == sorted(
        [answered, waiting]
    )

    # A person tags the answered ticket again: theirs, never taken off.
    desk.agent_edit(answered, "ai_sla_at_risk", "normal")
    third = invoke("run", "--engine", "rules", env=ON)
    assert third.exit_code == 0, third.output
    assert at_risk(desk, answered)
    assert len(logged(tmp_path, "sla_untagged")) == 2
