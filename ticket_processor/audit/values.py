"""The words the audit store's columns hold, and how a decision's fields sum up: plain
Python, no database library, so the run's writer (``writer``) and the rows (``rows``) need no
SQLAlchemy. ``schema`` (the tables) names them too."""

from __future__ import annotations

from typing import Final

# The mode of a run, as stored in ``runs.mode`` and ``decisions.mode``: a backfill's slices
# (online, or writing back a collected batch) are ``backfill``, told apart from the cron runs.
MODES: Final = ("normal", "shadow", "dry-run", "serve", "backfill")
# The modes whose writes reach the helpdesk (a shadow or dry run's do not).
WRITING_MODES: Final = ("normal", "serve", "backfill")
# How far a decision got (``decisions.status``).
STATUSES: Final = ("planned", "written", "unchanged", "failed", "dry-run", "shadow")
# The per-field choice, and the sum of them (``decisions.decision``).
DECISIONS: Final = ("applied", "suggested", "abstained")
# The fields that have a column of their own (value, confidence, decision); every field,
# custom ones included, is also in ``field_confidence`` / ``field_decisions`` (JSON).
LABEL_FIELDS: Final = ("category", "subcategory", "urgency", "sentiment", "language")
REVIEW_ACTIONS: Final = ("accept", "correct")


# The triage's per-field words (``triage.confidence``) as stored.
_STORED = {"apply": "applied", "suggest": "suggested", "abstain": "abstained"}


def stored_decision(word: str) -> str:
    """``apply`` -> ``applied``; a stored word stays itself."""
    return _STORED.get(word, word)


def overall_decision(per_field: dict[str, str], *, held_back: bool = False) -> str:
    """One word for a decision's fields, for the dashboard's filter and the review queue:
    ``suggested`` when any field was suggested (a lead has something to accept) or the change
    was ``held_back`` (below the confidence threshold: no priority, no route; or an escalation
    only suggested), else ``abstained`` when any field abstained, else ``applied``
    (uncalibrated fields, absent from the map, apply as they always did)."""
    values = {stored_decision(word) for word in per_field.values()}
    if held_back:
        values.add("suggested")
    for word in ("suggested", "abstained"):
        if word in values:
            return word
    return "applied"
