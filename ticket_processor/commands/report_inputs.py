"""What ``report`` gathers besides the logs' figures: the state directory's runs and topics,
the audit store's events and articles to write, and the incident book's state now."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from ..errors import ConfigError
from ..settings import Settings
from .common import err_console

if TYPE_CHECKING:
    from ..report.aggregate import Report
    from ..report.incidents import IncidentReport
    from ..report.sla import SlaReport
    from ..report.spam import SpamReport
    from ..report.to_write import ArticleToWrite
    from ..steps.feature import ReportPart


def with_state(
    summary: Report,
    settings: Settings,
    events: list[dict[str, Any]],
    start: datetime,
    now: datetime,
) -> Report:
    """The report with what the state directory and the store add to the logs' figures: the
    runs and serve sessions still going, the rising topics, the time saved, the articles to
    write."""
    from dataclasses import replace

    from ..report.aggregate import with_time_saved
    from ..report.live import lock_holders
    from ..report.runs import LockHolders, mark_running
    from ..report.trends import trends
    from ..topics.rising import load_counts

    # A run or a serve session has no run_finished while it goes: its lock says if it still does.
    holders = lock_holders(settings.state_dir) or LockHolders()
    marked = mark_running(summary.run_list, holders)
    going = sum(1 for r in marked if r.running and not r.served and not r.dry_run)
    status = dict(summary.run_status)
    if going:  # counted among the runs by outcome as the runs table says it
        status["unfinished"] = status.get("unfinished", 0) - going
        status = {k: n for k, n in status.items() if n > 0} | {"running": going}
    summary = replace(summary, run_list=marked, run_status=status)
    summary = replace(summary, trends=trends(load_counts(settings.state_dir), now.date()))
    summary = with_time_saved(
        summary,
        per_triage=settings.saved_seconds_per_triage,
        per_suggestion=settings.saved_seconds_per_suggestion,
        per_answer=settings.saved_seconds_per_answer,
    )
    return replace(summary, to_write=_to_write(settings, events, summary, start, now))


def stored_events_of(
    settings: Settings, start: datetime, now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    """The window's events and the older ones from the audit store, or None: no store, a
    store that cannot be read (said on stderr), or one that does not reach back as far as
    the logs (their history is not imported yet)."""
    from ..audit.store import FILE_NAME, AuditStoreError
    from ..common.eventlog import read_events
    from ..report.stored import store_covers, stored_events
    from ..run.audit import open_store

    if settings.database_url is None and not (settings.state_dir / FILE_NAME).is_file():
        return None
    first = next(iter(read_events(settings.log_dir, since=start)), None)
    try:
        with open_store(settings) as store:
            if not store_covers(store, first):
                return None
            return (
                stored_events(store, since=start, until=now),
                stored_events(store, until=start),
            )
    except AuditStoreError as exc:
        err_console.print(f"reading the logs: {escape(str(exc))}")
        return None


def _to_write(
    settings: Settings,
    events: list[dict[str, Any]],
    summary: Report,
    start: datetime,
    now: datetime,
) -> list[ArticleToWrite]:
    """The articles to write: the window's refusals for want of a source, with each ticket's
    kind and subject from the audit store (without a store: the refusals' categories alone)."""
    from ..audit.store import FILE_NAME, AuditStoreError
    from ..report.stored import stored_tickets
    from ..report.to_write import StoredTicket, articles_to_write, gaps
    from ..run.audit import open_store

    dry_runs = {r.run_id for r in summary.run_list if r.dry_run}
    refused = gaps(events, dry_runs)
    stored: dict[int, StoredTicket] = {}
    if refused and (settings.database_url or (settings.state_dir / FILE_NAME).is_file()):
        try:
            with open_store(settings) as store:
                stored = stored_tickets(store, refused, since=start, until=now)
        except AuditStoreError as exc:
            err_console.print(f"reading the audit store: {escape(str(exc))}")
    return articles_to_write(events, stored, dry_runs)


def incidents_of(events: Iterable[dict[str, Any]], state_dir: Path) -> IncidentReport:
    """The incidents and repeat tickets of the period, with each incident's state now."""
    from ..incidents.book import load_book
    from ..incidents.run_pass import STATE_SUBDIR
    from ..report.incidents import incident_report

    open_now: set[int] = set()
    suggested_now: set[int] = set()
    if (state_dir / STATE_SUBDIR).is_dir():
        book, _ = load_book(state_dir / STATE_SUBDIR)
        open_now = {i.key for i in book.open_incidents()}
        suggested_now = {i.key for i in book.suggested_incidents()}
    return incident_report(events, open_now, suggested_now)


def write_page(path: Path, page: str) -> None:
    """``--html``'s page written, its folder made; a path that cannot take it is a ConfigError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--html: cannot write {path} ({exc.strerror or exc})") from None


def report_lines(
    grouped: IncidentReport, spam: SpamReport, sla: SlaReport, parts: Iterable[ReportPart]
) -> list[str]:
    """The report's sections after its table, in the order they print: the features' last."""
    from ..report.incidents import incident_lines
    from ..report.sla import sla_lines
    from ..report.spam import spam_lines

    return [
        *incident_lines(grouped),
        *spam_lines(spam),
        *sla_lines(sla),
        *(line for part in parts for line in part.lines),
    ]
