"""The macros' step for a run, when a sync wrote a book; nothing else of the feature (numpy,
the encoder) is imported otherwise: a team that never synced macros pays nothing."""

from __future__ import annotations

from pathlib import Path

from ..models import Helpdesk
from ..passes.types import RunOptions
from ..steps.protocol import TicketStep
from .files import BOOK_FILE


def macro_steps(
    state_dir: Path,
    helpdesk: Helpdesk,
    options: RunOptions,
    max_age: float,
    warnings: list[str],
) -> list[TicketStep]:
    """The macros' step (re-synced first when the book is older than ``max_age``, unless the
    run writes nothing), or none without a book."""
    if not (state_dir / BOOK_FILE).is_file():
        return []
    from ..learned.embed import embed_texts
    from .step import open_step

    quiet = options.dry_run or options.shadow
    step = open_step(
        state_dir,
        prefix=options.prefix,
        embed=embed_texts,
        max_age=max_age,
        helpdesk=None if quiet else helpdesk,
        warn=warnings.append,
    )
    return [step] if step is not None else []
