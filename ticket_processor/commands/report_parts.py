"""The parts of `ticketbot report` beside its table: the ratings read from the audit store, and
the sections printed after the table (incidents, spam, service levels, ratings)."""

from __future__ import annotations

from datetime import datetime

from rich.markup import escape

from ..ratings.figures import RatingFigures, rating_lines
from ..report.incidents import IncidentReport, incident_lines
from ..report.sla import SlaReport, sla_lines
from ..report.spam import SpamReport, spam_lines
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


def report_lines(
    grouped: IncidentReport, spam: SpamReport, sla: SlaReport, rated: RatingFigures
) -> list[str]:
    """The report's sections after its table, in the order they print."""
    return [*incident_lines(grouped), *spam_lines(spam), *sla_lines(sla), *rating_lines(rated)]
