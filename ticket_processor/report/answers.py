"""Answers in the report: per category, the replies drafted (and how many of the drafts agents
used: the ladder's acceptance) and sent, resolved (the customer's thank-you) and re-opened
(anything else the customer said), the replies cancelled after their note announced them, and
the answer resolution rate
(resolved ÷ sent, Zendesk's definition), from the ``answer_*`` events. Dry and shadow runs'
events are not counted. Formatting lives with the table; this is the figures."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_COUNTED = {
    "answer_drafted": "drafted",
    "answer_sent": "sent",
    # Planned and announced in the note, then not sent (an agent replied, the ticket was
    # assigned or solved first).
    "answer_cancelled": "cancelled",
    "answer_resolved": "resolved",
    "answer_reopened": "reopened",
}


@dataclass(frozen=True)
class AnswerCategory:
    category: str
    drafted: int = 0
    sent: int = 0
    cancelled: int = 0
    resolved: int = 0
    reopened: int = 0
    # Drafts whose agents' first public reply was read, and those that used the draft.
    judged: int = 0
    accepted: int = 0

    @property
    def acceptance(self) -> float | None:
        return self.accepted / self.judged if self.judged else None

    @property
    def resolution_rate(self) -> float | None:
        return self.resolved / self.sent if self.sent else None


def answer_categories(
    events: Iterable[Mapping[str, Any]], dry_runs: set[str]
) -> list[AnswerCategory]:
    rows: dict[str, dict[str, int]] = {}
    for e in events:
        kind = str(e.get("event"))
        if e.get("run_id") in dry_runs or e.get("shadow"):
            continue
        if kind == "answer_draft_judged":
            counted = ["judged", "accepted"] if e.get("accepted") else ["judged"]
        elif kind in _COUNTED:
            counted = [_COUNTED[kind]]
        else:
            continue
        row = rows.setdefault(str(e.get("category") or "unknown"), {})
        for name in counted:
            row[name] = row.get(name, 0) + 1
    return [AnswerCategory(name, **counts) for name, counts in sorted(rows.items())]
