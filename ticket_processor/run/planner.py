"""The change a triage makes to a ticket, decided from the ticket as it is now.

``ChangePlanner`` is the one place a run (and a dry run, and a re-plan after a conflict) turns
a ``Triage`` into a ``WriteBack``: tags, the priority policy and the note (``tags.py``), then the
route (``triage.routing``), then the help-centre suggestions, as those are configured.

With routes, the change is a ``RoutedWriteBack``: a ``WriteBack`` (adapters see nothing else)
that also says which routes matched, the group's name and whether the ticket was escalated, for
the ``ticket_triaged`` event, the dry-run table and the escalation alert.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from ..models import Ticket, Triage, WriteBack
from ..tags import plan_writeback, render_note, sanitise_tag
from ..triage.redact import redact
from ..triage.routing import RouteDecision, Router
from .types import RunOptions


class RoutedWriteBack(WriteBack):
    """A ``WriteBack`` plus what routing decided, for events and output (never sent)."""

    routes: tuple[str, ...] = ()
    group_name: str | None = None
    assignee_name: str | None = None
    escalated: bool = False


@dataclass(frozen=True)
class Escalation:
    """An escalated ticket as the alert lists it: the subject is redacted."""

    ticket_id: int
    subject: str
    routes: tuple[str, ...]


def routing_fields(writeback: WriteBack) -> dict[str, Any]:
    """The routing fields of the ``ticket_triaged`` event (empty values without routes)."""
    if not isinstance(writeback, RoutedWriteBack):
        return {"route": [], "group": None, "escalated": False}
    return {
        "route": list(writeback.routes),
        "group": writeback.group_name if writeback.group_id is not None else None,
        "escalated": writeback.escalated,
    }


def route_note(decision: RouteDecision) -> list[str]:
    """The lines routing adds to the internal note: which route did what, and why."""
    if not decision.routes:
        return []
    lines = ["Routing:"]
    if decision.group_route and decision.kept:
        lines.append(f"- group left as is ({decision.kept}); {decision.group_route} matched")
    elif decision.group_route and decision.group_name:
        whom = f", assignee {decision.assignee_name}" if decision.assignee_name else ""
        lines.append(f"- group {decision.group_name}{whom}, by route {decision.group_route}")
    if decision.escalate:
        lines.append("- ESCALATED by route " + "; ".join(decision.escalated_by))
    lines += [f"- matched {reason}" for reason in decision.reasons]
    return lines


class ChangePlanner:
    """``kb_suggestions``: how many of the triage's help-centre suggestions go in the note
    (0: none, and no ``<prefix>kb_suggested`` tag)."""

    def __init__(
        self,
        options: RunOptions,
        *,
        run_id: str,
        router: Router | None = None,
        kb_suggestions: int = 0,
    ) -> None:
        self._options = options
        self._kb_suggestions = kb_suggestions
        self._run_id = run_id
        self._router = router
        self._lock = threading.Lock()
        self._escalations: dict[int, Escalation] = {}

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
        decision = (
            self._router.decide(ticket, triage, opts.confidence_threshold)
            if self._router is not None
            else RouteDecision()
        )
        base = plan_writeback(
            ticket_id=ticket.id,
            current_priority=ticket.priority,
            current_tags=ticket.tags,
            updated_at=ticket.updated_at,
            triage=triage,
            prefix=opts.prefix,
            confidence_threshold=opts.confidence_threshold,
            set_priority=opts.set_priority,
            run_id=self._run_id,
            escalated=decision.escalate,
            extra_tags=decision.tags,
            note_lines=route_note(decision),
            suggestions=triage.suggestions[: self._kb_suggestions],
        )
        if self._router is None:
            return base
        if decision.escalate:
            subject = redact(ticket.subject)[0] if ticket.subject else ""
            with self._lock:
                self._escalations[ticket.id] = Escalation(ticket.id, subject, decision.escalated_by)
        return RoutedWriteBack(
            **{
                **base.model_dump(),
                "group_id": decision.group_id,
                "assignee_id": decision.assignee_id,
                "routes": decision.routes,
                "group_name": decision.group_name,
                "assignee_name": decision.assignee_name,
                "escalated": decision.escalate,
            }
        )

    def escalation(self, ticket_id: int) -> Escalation | None:
        """The escalation planned for this ticket (the last plan wins), if any."""
        with self._lock:
            return self._escalations.get(ticket_id)
