"""The assignment's steps for the run's list (``run/order.ticket_steps``), from plain values."""

from __future__ import annotations

from pathlib import Path

from ..steps.protocol import TicketStep
from .policy import read_policy
from .reply import Translate, TwoWayReplyStep
from .step import AssignmentStep, Mode


def assignment_steps(
    mode: str,
    *,
    capacity: int,
    skills_file: Path | None,
    two_way_reply: bool,
    state_dir: Path,
    translate: Translate | None,
) -> list[TicketStep]:
    """The steps on: ``mode`` ``skills`` or ``agents`` (``off``: none), and the two-way reply."""
    steps: list[TicketStep] = []
    if mode in ("skills", "agents"):
        chosen: Mode = "skills" if mode == "skills" else "agents"
        steps.append(AssignmentStep(chosen, read_policy(skills_file), capacity, state_dir))
    if two_way_reply:
        steps.append(TwoWayReplyStep(state_dir, translate))
    return steps
