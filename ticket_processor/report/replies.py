"""Customers' replies in the report: per day, the replies re-triage judged (actionable,
thank-yous, automatic replies), the notes it wrote and the sentiment changes it saw, from the
``reply_triaged`` events. Formatting lives with the table and the page; this is the figures."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..triage.reply_facts import sentiment_move
from .runs import event_time


@dataclass(frozen=True)
class ReplyDay:
    day: str  # YYYY-MM-DD (UTC)
    actionable: int = 0
    thanks: int = 0
    auto_reply: int = 0
    notes: int = 0
    worse: int = 0  # sentiment changes for the worse
    better: int = 0

    @property
    def retriaged(self) -> int:
        return self.actionable + self.thanks + self.auto_reply


def reply_days(events: Iterable[Mapping[str, Any]], dry_runs: set[str]) -> list[ReplyDay]:
    """One row per day with replies, oldest first."""
    days: dict[str, dict[str, int]] = {}
    for e in events:
        if e.get("event") != "reply_triaged" or e.get("run_id") in dry_runs:
            continue
        moment = event_time(e)
        if moment is None:
            continue
        row = days.setdefault(f"{moment:%Y-%m-%d}", {})
        kind = str(e.get("kind"))
        if kind in ("actionable", "thanks", "auto_reply"):
            row[kind] = row.get(kind, 0) + 1
        row["notes"] = row.get("notes", 0) + bool(e.get("note"))
        change = (
            e.get("changed", {}).get("sentiment") if isinstance(e.get("changed"), dict) else None
        )
        if isinstance(change, list) and len(change) == 2:
            moved = sentiment_move(str(change[0]), str(change[1]))
            if moved != "unchanged":
                row[moved] = row.get(moved, 0) + 1
    return [ReplyDay(day, **counts) for day, counts in sorted(days.items())]
