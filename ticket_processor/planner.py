"""The change a triage makes to a ticket, decided from the ticket as it is now.

``ChangePlanner`` is the one place a run (and a dry run, and a re-plan after a conflict) turns
a ``Triage`` into a ``WriteBack``: tags, the priority policy and the note (``tags.py``), then the
route (``routing``), then the help-centre suggestions, as those are configured.
"""

from __future__ import annotations

from .models import Ticket, Triage, WriteBack
from .run_types import RunOptions
from .tags import plan_writeback


class ChangePlanner:
    def __init__(self, options: RunOptions, *, run_id: str) -> None:
        self._options = options
        self._run_id = run_id

    def plan(self, ticket: Ticket, triage: Triage) -> WriteBack:
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
