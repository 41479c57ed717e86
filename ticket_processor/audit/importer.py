"""``ticketbot audit import``: past JSON-lines logs into the audit store.

The logs are read as ``report`` reads them (``common.eventlog.read_events``: oldest first, a
line cut short skipped and counted) and each event goes through the same translation and the
same batched writes as a live run (``feed.AuditFeed``), so an imported run and a live one make
the same rows. Every row has an identity (a run; a run's ticket and message; a correction's
ticket, field, source and run): importing the same logs twice adds nothing, and importing logs
a live run already stored only fills in what the store lacked. Memory stays flat: the feed
holds a few hundred rows at a time, whatever the logs' size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..common.eventlog import read_events
from .feed import AuditFeed
from .store import AuditStore, AuditStoreError


@dataclass(frozen=True)
class ImportResult:
    events: int  # events read
    decisions: int  # decision rows written (inserted or brought up to date)
    corrupt_lines: int  # lines skipped: cut short or not JSON
    skipped_files: tuple[str, ...]  # named like a log file but not a regular file


def import_logs(
    store: AuditStore,
    directory: Path,
    *,
    since: datetime | None = None,
    batch_rows: int = 500,
) -> ImportResult:
    """Load the logs in ``directory`` (from ``since``) into ``store``; fails with an
    ``AuditStoreError`` on the first write the database refuses."""

    def refuse(message: str) -> None:
        raise AuditStoreError(message)

    feed = AuditFeed(
        store, run_id="", helpdesk="", mode="normal", on_error=refuse, batch_rows=batch_rows
    )
    stream = read_events(Path(directory), since=since)
    count = 0
    for record in stream:
        count += 1
        feed.event(record)
    feed.flush()
    return ImportResult(count, feed.stored, stream.corrupt_lines, tuple(stream.skipped_files))
