"""The assignment as the run sees it: its settings and its steps (``steps.feature``); and what
``revert`` takes back and ``report`` counts of it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..steps.feature import Feature, FeatureRun, ReportAsk, ReportPart
from ..steps.protocol import TicketStep
from ..steps.revert import RevertAsk, RunRevert


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


def assignments_revert(values: AssignmentValues, ask: RevertAsk) -> RunRevert | None:
    from .revert import assignments_revert

    return assignments_revert(ask)


def assignment_report(ask: ReportAsk) -> ReportPart:
    """The report's assignments and people's moves, by skill."""
    from .moves import assignment_moves

    moves = assignment_moves(ask.events)
    return ReportPart("assignments", moves.to_dict(), moves.lines())


FEATURE = Feature(
    "assignment",
    AssignmentValues,
    steps=assignment_feature_steps,
    revert=assignments_revert,
    report=assignment_report,
)
