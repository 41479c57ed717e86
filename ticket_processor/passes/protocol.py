"""The pass interface: each feature's run-time half, which the run calls in order.

A batch's tickets are triaged and written by the ticket pipeline (``run/pipeline``); then the
run hands the batch to its passes, in the order ``run/order.run_passes`` lists them, in three
rounds: every pass ``plan``s (read what it needs, decide; a dry or shadow run shows what it
would do), then every pass ``write``s (to the helpdesk, to the state directory), then, once the
run's own parts are closed, every pass does its ``after``-write work (alerts, figures, handing
over what the next run reads). A pass is a folder's business: the run knows only this
interface and the order. A pass overrides the rounds it takes part in (``Pass`` does nothing in
each); one that fails says so in the summary's warnings and never ends the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..common.eventlog import EventSink
from .types import RunSummary


@dataclass(frozen=True)
class RunEnd:
    """The batch the passes are handed: its summary (which they add to), its log, and what kind
    of run it was."""

    run_id: str
    summary: RunSummary
    log: EventSink
    dry_run: bool = False
    shadow: bool = False
    backfill: bool = False

    @property
    def writes(self) -> bool:
        """False for a dry or a shadow run: decide and show, write nothing."""
        return not (self.dry_run or self.shadow)

    @property
    def aborted(self) -> bool:
        return self.summary.status == "aborted"


class RunPass(Protocol):
    """One feature's run-time half."""

    name: str

    def plan(self, end: RunEnd) -> None: ...

    def write(self, end: RunEnd) -> None: ...

    def after(self, end: RunEnd) -> None: ...


class Pass:
    """A pass that takes part in no round: a feature's pass overrides the rounds it needs."""

    name = "pass"

    def plan(self, end: RunEnd) -> None:
        return None

    def write(self, end: RunEnd) -> None:
        return None

    def after(self, end: RunEnd) -> None:
        return None


def plan_and_write(passes: Sequence[RunPass], end: RunEnd) -> None:
    """The first two rounds: every pass plans, then every pass writes."""
    for one in passes:
        one.plan(end)
    for one in passes:
        one.write(end)


def after_writes(passes: Sequence[RunPass], end: RunEnd) -> None:
    """The last round, once the run's own parts are closed."""
    for one in passes:
        one.after(end)
