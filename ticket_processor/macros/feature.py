"""The macros as the run sees them (``steps.feature``): their settings, their step (``serve``'s
reopened when a sync rewrites the book), their field of the triage API and their entries in
the help-centre index (``setup.EXTRAS``); the answers after them learn from here whether a
macro they would quote is still in the helpdesk (``Offers.source_live``). What agents said of
a macro on the dashboard is read here, once a run (``setup.dashboard_said``), and only when a
sync wrote a book."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from ..audit.said import account_of
from ..steps.feature import Feature, FeatureRun
from ..steps.protocol import TicketStep
from .setup import EXTRAS, book_opener, book_path, dashboard_said, macro_steps, source_live


@dataclass(frozen=True)
class MacrosValues:
    state_dir: Path
    kb_max_age: float
    helpdesk: str
    desks: Mapping[str, Any]
    database_url: SecretStr | None


def macros_steps(values: MacrosValues, run: FeatureRun) -> Sequence[TicketStep]:
    run.offers.source_live = source_live(run.helpdesk)
    url = values.database_url.get_secret_value() if values.database_url else None
    account = account_of(values.helpdesk, values.desks)

    def said() -> Mapping[str, frozenset[int]]:
        return dashboard_said(url, values.state_dir, account, run.warnings)

    if run.reopens:  # serve: a sync after it started reaches it (the ratings read at each open)
        opener = book_opener(values.state_dir, run.options.prefix, said)
        return [run.reopening("macros", book_path(values.state_dir), opener)]
    if not book_path(values.state_dir).is_file():
        return []  # never synced: nothing read, not even the dashboard's ratings
    return macro_steps(
        values.state_dir, run.helpdesk, run.options, values.kb_max_age, run.warnings, said()
    )


FEATURE = Feature("macros", MacrosValues, steps=macros_steps, extras=EXTRAS)
