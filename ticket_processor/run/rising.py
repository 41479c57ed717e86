"""After a run: its categories join today's counts, and a category far above its own baseline
is reported once (``topics.rising`` states the rule), in the log and through the alert webhook."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ..common.eventlog import EventLog
from ..errors import StateFileRefused
from ..topics.rising import Rise, load_counts, mark_reported, rising, save_counts
from .alerts import Alerter, AlertOutcome
from .types import RunSummary


def note_rising(
    state_dir: Path, summary: RunSummary, alerter: Alerter, log: EventLog, *, today: date
) -> list[tuple[Rise, AlertOutcome]]:
    """Count the run's tickets, and report what rose; a failed delivery is tried next run."""
    if not summary.categories:
        return []
    try:
        counts = load_counts(state_dir)
        counts.add(today, {**summary.categories, **summary.subcategories})
        found = rising(counts, today)
        told = []
        for rise in found:
            outcome = alerter.rising(rise.key, rise.describe())
            log.emit(
                "category_rising",
                level="warning",
                key=rise.key,
                today=rise.today,
                baseline=round(rise.baseline, 2),
                alert=outcome.outcome,
            )
            told.append((rise, outcome))
        mark_reported(counts, [r for r, o in told if o.outcome != "failed"], today)
        save_counts(state_dir, counts)
    except (OSError, StateFileRefused) as exc:
        log.emit("category_counts_unsaved", level="warning", detail=str(exc)[:200])
        return []
    return told
