"""The actions as the run sees them: their settings, their step and how an agent approves a
change they proposed (``steps.feature``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..steps.feature import Approve, Feature, FeatureRun
from ..steps.protocol import TicketStep
from ..steps.revert import RevertAsk, RunRevert


@dataclass(frozen=True)
class ActionsValues:
    actions_file: Path | None
    state_dir: Path
    answer_mode: str


def actions_steps(values: ActionsValues, run: FeatureRun) -> Sequence[TicketStep]:
    """The actions' step when ``TICKETBOT_ACTIONS`` names a file; off, nothing imported. The
    answers' grounding (``Offers.grounded``) checks a reply that quotes an action's result."""
    if values.actions_file is None:
        return []
    from .setup import actions_step

    deadline = run.deadline
    return [
        actions_step(
            values.actions_file,
            values.state_dir,
            prefix=run.options.prefix,
            writes=not run.quiet,
            time_left=deadline.left if deadline is not None else lambda: None,
            log=run.log,
            answers=values.answer_mode != "off",
            replies=run.offers.grounded,
        )
    ]


def approver(values: ActionsValues) -> Approve | None:
    """How an agent approves a proposed change outside the helpdesk (serve's API, the
    dashboard's ticket page), when actions are configured."""
    if values.actions_file is None:
        return None
    from .owed import ChangeStore

    return ChangeStore(values.state_dir).approve


def changes_revert(values: ActionsValues, ask: RevertAsk) -> RunRevert | None:
    from .undo import changes_revert

    return changes_revert(values, ask)


FEATURE = Feature(
    "actions", ActionsValues, steps=actions_steps, approver=approver, revert=changes_revert
)
