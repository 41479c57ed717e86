"""The assignment as the run sees it: its settings and its steps (``steps.feature``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..steps.feature import Feature, FeatureRun
from ..steps.protocol import TicketStep


@dataclass(frozen=True)
class AssignmentValues:
    assignment: str
    agent_capacity: int
    skills_file: Path | None
    two_way_reply: bool
    state_dir: Path
    agent_language: str  # the helpdesk's language: a ticket's with no word to read by


def assignment_feature_steps(values: AssignmentValues, run: FeatureRun) -> Sequence[TicketStep]:
    """The assignment's steps when it or the two-way reply is on; off, nothing imported."""
    if values.assignment == "off" and not values.two_way_reply:
        return []
    from .setup import assignment_steps

    return assignment_steps(
        values.assignment,
        capacity=values.agent_capacity,
        skills_file=values.skills_file,
        two_way_reply=values.two_way_reply,
        state_dir=values.state_dir,
        translate=run.translator(),
        default_language=values.agent_language,
    )


FEATURE = Feature("assignment", AssignmentValues, steps=assignment_feature_steps)
