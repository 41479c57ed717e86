"""The change a triage makes to a ticket, decided from the ticket as it is now.

``ChangePlanner`` is the one place a run (and a dry run, and a re-plan after a conflict) turns
a ``Triage`` into a ``WriteBack``: tags, the priority policy and the note (``tags.py``), then the
route (``routing``), then the help-centre suggestions, as those are configured.
"""

from __future__ import annotations

from .models import Ticket, Triage, WriteBack
from .run_types import RunOptions
from .tags import plan_writeback, render_note, sanitise_tag


class ChangePlanner:
    """``kb_suggestions``: how many of the triage's help-centre suggestions go in the note
    (0: none, and no ``<prefix>kb_suggested`` tag)."""

    def __init__(self, options: RunOptions, *, run_id: str, kb_suggestions: int = 0) -> None:
        self._options = options
        self._run_id = run_id
        self._kb_suggestions = kb_suggestions

    def plan(self, ticket: Ticket, triage: Triage) -> WriteBack:
        writeback = self._plan_triage(ticket, triage)
        suggestions = triage.suggestions[: self._kb_suggestions]
        if not suggestions:
            return writeback
        return writeback.model_copy(
            update={
                "additional_tags": (
                    *writeback.additional_tags,
                    sanitise_tag(f"{self._options.prefix}kb_suggested"),
                ),
                "note": render_note(
                    triage,
                    priority=writeback.priority,
                    run_id=self._run_id,
                    suggestions=suggestions,
                ),
            }
        )

    def _plan_triage(self, ticket: Ticket, triage: Triage) -> WriteBack:
        opts = self._options
        return plan_writeback(
            ticket_id=ticket.id,
            current_priority=ticket.priority,
            current_tags=ticket.tags,
            updated_at=ticket.updated_at,
            triage=triage,
            prefix=opts.prefix,
            confidence_threshold=opts.confidence_threshold,
            set_priority=opts.set_priority,
            run_id=self._run_id,
        )
