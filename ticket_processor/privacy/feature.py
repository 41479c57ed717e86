"""Privacy as the run sees it: its people step (``steps.feature``), whose each ticket is, for
``privacy export`` and ``privacy forget``, and which follows the helpdesk's deletions; and the
state files kept encrypted, which every command checks its key opens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from ..steps.feature import Feature, FeatureRun
from ..steps.protocol import TicketStep
from .places import SEALED_FILES
from .step import PeopleStep


@dataclass(frozen=True)
class PrivacyValues:
    state_dir: Path
    log_dir: Path
    database_url: SecretStr | None  # a deletion followed forgets in PostgreSQL too
    deletions_every: int  # minutes between two reads of the helpdesk's deletions


def privacy_steps(values: PrivacyValues, run: FeatureRun) -> Sequence[TicketStep]:
    return [
        PeopleStep(
            values.state_dir,
            values.log_dir,
            values.database_url,
            deletions_every=values.deletions_every * 60.0,
        )
    ]


# The data map lists every encrypted state file, the features' as its own: one list.
FEATURE = Feature("privacy", PrivacyValues, steps=privacy_steps, sealed_files=SEALED_FILES)
