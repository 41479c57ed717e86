"""The features ticketbot runs, one entry per feature, in the order a ticket goes through their
steps (and then their passes run, after the steps' own passes).

Adding a feature is a folder ``<feature>/`` with a ``feature.py`` (its ``FEATURE``,
``steps.feature``) and one entry in ``FEATURES`` below (or, for a feature defined outside the
package, such as a test's own, ``register``). ``run/order`` loops over this list for the steps
and the passes, ``serve``'s triage API reads each feature's fields from it and ``kb sync`` its
index entries and syncs: neither the run nor a command names a feature.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..actions.feature import FEATURE as ACTIONS
from ..answers.feature import FEATURE as ANSWERS
from ..assignment.feature import FEATURE as ASSIGNMENT
from ..kb.sources import IndexSource
from ..macros.feature import FEATURE as MACROS
from ..models import Helpdesk
from ..privacy.feature import FEATURE as PRIVACY
from ..ratings.feature import FEATURE as RATINGS
from ..risk.feature import FEATURE as RISK
from ..sla.feature import FEATURE as SLA
from ..solved.feature import FEATURE as SOLVED
from ..spam.feature import FEATURE as SPAM
from ..steps.extras import StepExtras
from ..steps.feature import (
    Approve,
    EvalAsk,
    Feature,
    Learner,
    OwnField,
    ReportAsk,
    ReportPart,
    Sees,
)
from ..steps.revert import RevertAsk, RunRevert
from ..summary.feature import FEATURE as SUMMARY

# The order is the run's: spam first (it holds what is no customer's from every later step),
# the macros before the answers (which quote them), the answers before the actions (which
# check a reply against them), whose people each ticket names last; then the passes.
FEATURES: list[Feature[Any]] = [
    SPAM,
    RISK,
    MACROS,
    ANSWERS,
    SUMMARY,
    SOLVED,
    ACTIONS,
    ASSIGNMENT,
    PRIVACY,
    RATINGS,
    SLA,
]


def register(feature: Feature[Any]) -> None:
    """Add a feature defined outside this list (a test's own) after the listed ones; again
    replaces it in its place."""
    for at, listed in enumerate(FEATURES):
        if listed.name == feature.name:
            FEATURES[at] = feature
            return
    FEATURES.append(feature)


def unregister(name: str) -> None:
    """Take a feature ``register`` added off the list again."""
    FEATURES[:] = [feature for feature in FEATURES if feature.name != name]


def step_extras() -> list[StepExtras]:
    """What each feature declares beyond its steps (``steps.extras``), in the list's order."""
    return [feature.extras for feature in FEATURES]


def index_sources() -> list[IndexSource]:
    """The features that index entries of their own beside the help centre (``kb.sources``),
    in the list's order: ``kb sync`` puts each one's entries back."""
    return [e.index_source for e in step_extras() if e.index_source is not None]


def ticket_watchers() -> list[Sees]:
    """What sees each ticket the run's discovery reads, in the list's order."""
    return [feature.sees for feature in FEATURES if feature.sees is not None]


def approver(settings: object) -> Approve | None:
    """How an agent approves a proposed change (the first feature that proposes them and is
    on), or None."""
    found = (feature.approve_with(settings) for feature in FEATURES)
    return next((one for one in found if one is not None), None)


def own_fields(settings: object) -> list[OwnField]:
    """The helpdesk fields the features that are on write, named by their settings, in the
    list's order."""
    found = (feature.field_with(settings) for feature in FEATURES)
    return [one for one in found if one is not None]


def evaluation(option: str) -> Callable[[EvalAsk], None] | None:
    """``ticketbot eval --<option>``'s scores: the feature's that declares the option, or None."""
    return next((f.evals[option] for f in FEATURES if option in f.evals), None)


def learners() -> list[Learner]:
    """What ``ticketbot learn`` fits beside the label model, in the list's order."""
    return [feature.learner for feature in FEATURES if feature.learner is not None]


def learner_of(name: str) -> Learner | None:
    """What ``ticketbot learn --<name>`` fits alone: the feature ``name``'s learner, or None."""
    return next((f.learner for f in FEATURES if f.name == name), None)


def reverts(settings: object, ask: RevertAsk) -> list[RunRevert]:
    """What each feature undoes of the run ``ask`` names, in the reverse of the list's order:
    the write done last is undone first (a run assigns after the actions' changes)."""
    found = (feature.revert_with(settings, ask) for feature in reversed(FEATURES))
    return [one for one in found if one is not None]


def report_parts(ask: ReportAsk) -> list[ReportPart]:
    """Each feature's part of ``ticketbot report``, in the list's order."""
    return [feature.report(ask) for feature in FEATURES if feature.report is not None]


def file_scores(file: Path) -> Callable[[Any], None] | None:
    """``ticketbot eval FILE``'s scores when FILE's rows are a feature's (from the settings),
    or None: an engine's labelled tickets."""
    found = (f.scores_file(file) for f in FEATURES if f.scores_file is not None)
    return next((one for one in found if one is not None), None)


def reviewer(connect: Callable[[], Helpdesk], common: Mapping[str, Any]) -> Any:
    """What the dashboard's review queue sends a reviewed draft through: the first feature's
    that drafts them, or None."""
    found = (f.reviewer for f in FEATURES if f.reviewer is not None)
    make = next(found, None)
    return None if make is None else make(connect, common)
