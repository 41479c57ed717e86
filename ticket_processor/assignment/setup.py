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
    default_language: str = "en",
) -> list[TicketStep]:
    """The steps on: ``mode`` ``skills`` or ``agents`` (``off``: none), and the two-way reply.
    ``default_language``: the helpdesk's language (``TICKETBOT_AGENT_LANGUAGE``), for a ticket
    with no word to read its language by."""
    steps: list[TicketStep] = []
    if mode in ("skills", "agents"):
        chosen: Mode = "skills" if mode == "skills" else "agents"
        policy = read_policy(skills_file)
        steps.append(
            AssignmentStep(chosen, policy, capacity, state_dir, default_language=default_language)
        )
    if two_way_reply:
        steps.append(TwoWayReplyStep(state_dir, translate))
    return steps
