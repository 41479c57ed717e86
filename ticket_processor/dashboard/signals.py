"""The overview's incidents and rising categories, when there are any.

Both are read from the state directory the runs keep, read-only, at each overview (two small
files, no log scan): the open incidents from the incident book (``incidents/book.json``: each
one's title, reports, first seen and its problem or tracker ticket, linked through the
helpdesk's ticket URL when the helpdesk is configured here; a suggested one, on a helpdesk with
too little history to link, by its earliest report, with its tickets and why it is not linked),
and the categories rising today
against their own baseline from the daily counts (``topic_counts.json``), as ``report``'s
trend table computes them. A file that cannot be read is said on the page; nothing is set
aside or written (the run that owns the file does that).

The locks' live holders come from the same directory: a run the store shows with no end is
"running" while the process that took its lock is alive, as ``report`` says it
(``report.runs.live_run_ids``), else "unfinished"; "no end logged" where the dashboard cannot
see the runs' state directory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from ..common.atomic import read_state_bytes
from ..errors import StateFileRefused
from ..incidents.book import FILE_NAME, IncidentBook
from ..incidents.notes import ticket_list
from ..incidents.run_pass import STATE_SUBDIR
from ..report.live import lock_holders
from ..report.runs import LockHolders, live_run_ids
from ..report.trends import change, trends
from ..topics.rising import load_counts

MAX_SHOWN = 20


@dataclass(frozen=True)
class OpenIncident:
    key: int  # the problem (Zendesk) or tracker (Freshdesk) ticket
    title: str
    reports: int
    first_seen: datetime | None
    url: str | None
    suggested: bool = False
    tickets: str = ""  # a suggested one's reports, bounded (``#12, #15 and 3 more``)
    why: str = ""  # why a suggested one is not linked


@dataclass(frozen=True)
class RisingCategory:
    key: str  # "billing" or "billing/refund_status"
    today: int
    baseline: float
    change: str  # "+250%", or "new"


@dataclass(frozen=True)
class Signals:
    incidents: list[OpenIncident] = field(default_factory=list)
    rising: list[RisingCategory] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what could not be read, said
    holders: LockHolders | None = None  # the locks' live holders (None: cannot tell here)


def run_outcomes(
    unfinished: Iterable[tuple[str, datetime | None, bool]], holders: LockHolders | None
) -> dict[str, str]:
    """What each run with no end logged, as ``(run id, started, a serve session)``, is now."""
    candidates = list(unfinished)
    if holders is None:
        return {run_id: "no end logged" for run_id, _, _ in candidates}
    live = live_run_ids(candidates, holders)
    return {run_id: "running" if run_id in live else "unfinished" for run_id, _, _ in candidates}


def read_signals(
    state_dir: Path, today: date, ticket_url: Callable[[int], str | None] = lambda key: None
) -> Signals:
    """The open incidents (newest first) and the categories rising today."""
    problems: list[str] = []
    incidents: list[OpenIncident] = []
    path = state_dir / STATE_SUBDIR / FILE_NAME
    if path.exists() or path.is_symlink():
        try:
            book = IncidentBook.from_bytes(read_state_bytes(path))
        except (StateFileRefused, ValueError, TypeError, OSError) as exc:
            problems.append(f"the incident book could not be read: {exc}")
        else:
            shown = book.open_incidents() + book.suggested_incidents()
            for found in sorted(shown, key=lambda i: -i.first_seen)[:MAX_SHOWN]:
                incidents.append(
                    OpenIncident(
                        found.key,
                        found.title,
                        len(found.members),
                        datetime.fromtimestamp(found.first_seen, UTC) if found.first_seen else None,
                        ticket_url(found.key),
                        found.suggested,
                        ticket_list(found.members, 10) if found.suggested else "",
                        found.why,
                    )
                )
    rising = [
        RisingCategory(t.key, t.today, t.baseline, change(t))
        for t in trends(load_counts(state_dir), today)
        if t.rising
    ][:MAX_SHOWN]
    return Signals(incidents, rising, problems, lock_holders(state_dir))
