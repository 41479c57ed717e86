"""The change a triage makes to a ticket, decided from the ticket as it is now.

``ChangePlanner`` is the one place a run (and a dry run, and a re-plan after a conflict) turns
a ``Triage`` into a ``WriteBack``: it asks the router for the route (``triage.routing``), takes the
configured number of help-centre suggestions, and hands both to ``tags.plan_change``, the one
decision of tags, priority, group, escalation and note.

With routes, the change is a ``RoutedWriteBack``: a ``WriteBack`` (adapters see nothing else)
that also says which routes matched, the group's name and whether the ticket was escalated, for
the ``ticket_triaged`` event, the dry-run table and the escalation alert.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from ..models import RouteDecision, Ticket, Triage, WriteBack
from ..tags import plan_change
from ..triage.confidence import Decision, field_decisions
from ..triage.fields import ResolvedField, extract
from ..triage.redact import redact
from ..triage.reply_facts import ReplyFacts
from ..triage.routing import Router
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
        fields: tuple[ResolvedField, ...] = (),
    ) -> None:
        self._options = options
        self._fields = fields
        self._kb_suggestions = kb_suggestions
        self._run_id = run_id
        self._router = router
        self._lock = threading.Lock()
        self._escalations: dict[int, Escalation] = {}

    def field_values(self, ticket: Ticket) -> dict[str, str]:
        """What the ticket's own text (before redaction, body included) gives each configured
        field, whatever the fields hold now: ``plan`` keeps the ones still empty."""
        if not self._fields:
            return {}
        return extract(self._fields, ticket.subject, ticket.description, {})

    def decisions(self, triage: Triage) -> dict[str, Decision]:
        """Per calibrated field: apply, suggest or abstain (``triage.confidence``)."""
        opts = self._options
        return field_decisions(
            triage.field_confidence,
            triage.apply_at,
            apply_at=opts.apply_at,
            suggest_at=opts.suggest_at,
        )

    def route(
        self,
        ticket: Ticket,
        triage: Triage,
        decisions: dict[str, Decision],
        reply: ReplyFacts | None = None,
    ) -> RouteDecision:
        """What the routes decide (nothing without routes); ``reply``: a re-triage's facts."""
        if self._router is None:
            return RouteDecision()
        threshold = self._options.confidence_threshold
        return self._router.decide(ticket, triage, threshold, decisions, reply)

    def note_escalation(self, ticket: Ticket, routes: tuple[str, ...]) -> None:
        """An escalated ticket, for the run's escalation alert (the subject redacted)."""
        subject = redact(ticket.subject)[0] if ticket.subject else ""
        with self._lock:
            self._escalations[ticket.id] = Escalation(ticket.id, subject, routes)

    def plan(
        self, ticket: Ticket, triage: Triage, found: dict[str, str] | None = None
    ) -> WriteBack:
        opts = self._options
        # Routing and escalation see only the applied fields (a route may opt in to
        # suggestions).
        decisions = self.decisions(triage)
        decision = self.route(ticket, triage, decisions)
        # Only into fields still empty on the ticket as it is now: an agent's value stands.
        filled = {
            key: value
            for key, value in (found or {}).items()
            if ticket.custom_fields.get(key) in (None, "", [], False)
        }
        titles = {f.key: f.field.title for f in self._fields if f.key in filled}
        change = plan_change(
            ticket,
            triage,
            decision,
            triage.suggestions[: self._kb_suggestions],
            filled,
            field_titles=titles,
            decisions=decisions,
            prefix=opts.prefix,
            confidence_threshold=opts.confidence_threshold,
            set_priority=opts.set_priority,
            run_id=self._run_id,
        )
        base = change.writeback(ticket)
        if self._router is None:
            return base
        if decision.escalate:
            self.note_escalation(ticket, decision.escalated_by)
        return RoutedWriteBack(
            **{
                **base.model_dump(),
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
