"""``ticketbot report``'s ratings: agents' and customers' of the window, from the audit store
(``ratings.figures``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.markup import escape

from ..settings import Settings
from ..steps.feature import ReportAsk, ReportPart

if TYPE_CHECKING:
    from .figures import RatingFigures


def ratings_of(settings: Settings, start: datetime, now: datetime) -> RatingFigures:
    """Agents' and customers' ratings of the window from the audit store (none without one)."""
    from ..audit.store import FILE_NAME, AuditStoreError
    from ..commands.common import err_console
    from ..run.audit import open_store
    from .figures import RatingFigures, rating_figures

    if settings.database_url is None and not (settings.state_dir / FILE_NAME).is_file():
        return RatingFigures()
    try:
        with open_store(settings) as store, store.engine.connect() as conn:
            return rating_figures(conn, store.account, since=start, until=now)
    except AuditStoreError as exc:
        err_console.print(f"reading the ratings: {escape(str(exc))}")
        return RatingFigures()


def ratings_report(ask: ReportAsk) -> ReportPart:
    """The ratings' part of the report: figures, lines and the page's section."""
    from .figures import rating_lines, rating_section

    rated = ratings_of(ask.settings, ask.start, ask.now)
    return ReportPart("ratings", rated.to_dict(), rating_lines(rated), rating_section(rated))
