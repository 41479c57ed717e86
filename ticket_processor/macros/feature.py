"""The macros as the run sees them (``steps.feature``): their settings, their step (``serve``'s
reopened when a sync rewrites the book), their field of the triage API and their entries in
the help-centre index (``setup.EXTRAS``); the answers after them learn from here whether a
macro they would quote is still in the helpdesk (``Offers.source_live``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..steps.feature import Feature, FeatureRun
from ..steps.protocol import TicketStep
from .setup import EXTRAS, book_opener, book_path, macro_steps, source_live


@dataclass(frozen=True)
class MacrosValues:
    state_dir: Path
    kb_max_age: float


def macros_steps(values: MacrosValues, run: FeatureRun) -> Sequence[TicketStep]:
    run.offers.source_live = source_live(run.helpdesk)
    if run.reopens:  # serve: a sync after it started reaches it
        opener = book_opener(values.state_dir, run.options.prefix)
        return [run.reopening("macros", book_path(values.state_dir), opener)]
    return macro_steps(values.state_dir, run.helpdesk, run.options, values.kb_max_age, run.warnings)


FEATURE = Feature("macros", MacrosValues, steps=macros_steps, extras=EXTRAS)
