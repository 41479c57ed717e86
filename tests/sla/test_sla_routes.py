"""The SLA pass's first day and its routes, on each sandbox, through the CLI: without history
it only tags what is due within the horizon and says it is cautious; an ``sla_risk`` route
pages once per target, a second target of its own later; a dry run plans and writes nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import events
from support.sla import (
    EVERY_DAY,
    ON,
    TARGETS,
    at_risk,
    sla_desk,
    sla_notes,
    slow_history,
    triaged,
)
from support.webhook import Receiver

from ticket_processor.sandbox.desks import Desk

# Unlimited: four runs in a minute would meet Zendesk's 10 incremental exports a minute.
pytestmark = pytest.mark.desk(configure=True, unlimited=True)

ROUTES = """
[[route]]
name = "about to miss a target"
when = { sla_risk = true }
escalate = true
"""


def test_without_history_it_only_tags_and_says_so(desk: Desk) -> None:
    sla = sla_desk(desk)
    now = time.time()
    sla.sla_schedule("UTC", EVERY_DAY)
    sla.sla_policy(TARGETS)
    (ticket_id,) = desk.create([triaged("Refund please", "ai_priority_normal")])
    sla.sla_clock(ticket_id, metric="first_reply", breach_at=now + 1800)
    result = invoke("run", "--engine", "rules", env=ON)
    assert result.exit_code == 0, result.output
    assert at_risk(desk, ticket_id)
    assert not sla_notes(desk, ticket_id)
    assert desk.snapshot(ticket_id).priority == "normal"
    assert "sla: tag-only" in result.output, result.output


def test_an_sla_risk_route_pages_once_per_target(
    desk: Desk, tmp_path: Path, receiver: Receiver
) -> None:
    sla = sla_desk(desk)
    now = time.time()
    sla.sla_schedule("UTC", EVERY_DAY)
    sla.sla_policy(TARGETS)
    first, second = desk.create([triaged("Broken export"), triaged("Wrong invoice")])
    sla.sla_clock(first, metric="first_reply", breach_at=now + 1800)
    slow_history(sla, now)
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, "utf-8")
    env = {**ON, "TICKETBOT_ROUTES": str(routes), "TICKETBOT_ALERT_WEBHOOK": receiver.url}
    assert invoke("run", "--engine", "rules", env=env).exit_code == 0
    assert invoke("run", "--engine", "rules", env=env).exit_code == 0
    paged = [body["text"] for body in receiver.bodies if f"#{first}" in body["text"]]
    assert len(paged) == 1, receiver.bodies
    assert "about to miss a target" in paged[0]

    # The second ticket's target comes at risk later: its own page, once.
    sla.sla_clock(second, metric="first_reply", breach_at=now + 2400)
    assert invoke("run", "--engine", "rules", env=env).exit_code == 0
    assert invoke("run", "--engine", "rules", env=env).exit_code == 0
    assert len([b for b in receiver.bodies if f"#{second}" in b["text"]]) == 1
    assert len([b for b in receiver.bodies if f"#{first}" in b["text"]]) == 1


def test_a_dry_run_plans_and_writes_nothing(desk: Desk, tmp_path: Path) -> None:
    sla = sla_desk(desk)
    now = time.time()
    sla.sla_schedule("UTC", EVERY_DAY)
    sla.sla_policy(TARGETS)
    (ticket_id,) = desk.create([triaged("Parcel damaged")])
    sla.sla_clock(ticket_id, metric="first_reply", breach_at=now + 1800)
    slow_history(sla, now)
    before = desk.held(ticket_id)
    result = invoke("run", "--engine", "rules", "--dry-run", env=ON)
    assert result.exit_code == 0, result.output
    assert desk.held(ticket_id) == before
    (planned,) = [e for e in events(tmp_path / "logs") if e["event"] == "sla_planned"]
    assert planned["ticket_id"] == ticket_id
    assert not (tmp_path / "state" / "sla.json").exists()
