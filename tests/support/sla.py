"""The SLA tests' desk set-up (``tests/sla/``): a schedule open every day, the same
60-minute first-reply target for every priority (a step up does not shorten it), a slow group
history (90 minutes a first reply), tickets already triaged, and what a ticket shows of the
SLA pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.connected import connected
from support.e2e import events
from ticket_processor.sandbox.desks import Desk, NewTicket, SlaDesk

EVERY_DAY = [(day, 0, 24 * 60) for day in range(7)]
TARGETS = {"first_reply": {"low": 60, "normal": 60, "high": 60, "urgent": 60}}
ON = {"TICKETBOT_SLA": "true", "TICKETBOT_SPAM_GATE": "false"}


def sla_desk(desk: Desk) -> SlaDesk:
    assert isinstance(desk, SlaDesk), f"the {desk.kind} desk serves no service levels"
    return desk


def slow_history(desk: SlaDesk, now: float, count: int = 40) -> None:
    """First replies 90 minutes after the question, each missing its 60-minute target: one
    every 3 hours over five days, so the breach probability's map has earlier days to fit on."""
    for n in range(count):
        asked = now - 3 * 3600 - n * 3 * 3600
        desk.sla_history(None, asked, 90, due_at=asked + 3600)


def triaged(subject: str, *tags: str, priority: str = "normal") -> NewTicket:
    """Already triaged (the processed marker): the run's own triage leaves it to the SLA pass."""
    return NewTicket(
        subject, f"{subject}: please help.", tags=("ai_processed", *tags), priority=priority
    )


def open_clocks(desk: Desk, count: int, first_due: float, every: float = 60) -> list[int]:
    """``count`` triaged tickets under the every-day schedule and ``TARGETS``, their first
    replies due from ``first_due`` on, one every ``every`` seconds."""
    sla = sla_desk(desk)
    sla.sla_schedule("UTC", EVERY_DAY)
    sla.sla_policy(TARGETS)
    ids = desk.create([triaged(f"Question {n}") for n in range(count)])
    for n, ticket_id in enumerate(ids):
        sla.sla_clock(ticket_id, metric="first_reply", breach_at=first_due + every * n)
    return ids


def reads_counted(stats: dict[str, Any]) -> int:
    """The GET requests a sandbox's stats count (the reads a pass made)."""
    counted = stats.get("requests", stats)
    return sum(v for k, v in counted.items() if isinstance(v, int) and k.startswith("GET "))


def at_risk(desk: Desk, ticket_id: int) -> bool:
    return "ai_sla_at_risk" in desk.snapshot(ticket_id).tags


def sla_notes(desk: Desk, ticket_id: int) -> list[str]:
    helpdesk = connected(desk)
    try:
        return [n for n in helpdesk.notes(ticket_id) if "Service level at risk" in n]
    finally:
        helpdesk.close()


def logged(tmp_path: Path, name: str) -> list[dict[str, Any]]:
    return [e for e in events(tmp_path / "logs") if e["event"] == name]
