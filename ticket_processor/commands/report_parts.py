"""The parts of `ticketbot report` read from the audit store beside the run events: ratings."""

from __future__ import annotations

from datetime import datetime

from rich.markup import escape

from ..ratings.figures import RatingFigures
from ..settings import Settings
from .common import err_console


def stored_ratings(settings: Settings, start: datetime, now: datetime) -> RatingFigures:
    """Agents' and customers' ratings of the window from the audit store (none without one)."""
    from ..audit.store import FILE_NAME, AuditStoreError
    from ..ratings.figures import rating_figures
    from ..run.audit import open_store

    if settings.database_url is None and not (settings.state_dir / FILE_NAME).is_file():
        return RatingFigures()
    try:
        with open_store(settings) as store, store.engine.connect() as conn:
            return rating_figures(conn, store.account, since=start, until=now)
    except AuditStoreError as exc:
        err_console.print(f"reading the ratings: {escape(str(exc))}")
        return RatingFigures()
