"""The change a triage or a customer's reply makes to a ticket, from the ticket as it is now.

``ChangePlanner`` is the one place a run (and a dry run, and a re-plan after a conflict) turns
a ``Triage`` into a ``WriteBack``, and a judged reply into its change: it asks the router for the
route (``triage.routing``; for a reply, with the reply's facts), takes the configured number of
help-centre suggestions and the fields still empty, and hands them to the write-back planner
(``writeback.planner``), which decides tags, priority, group, escalation and note. It keeps what
the run needs afterwards: the escalated tickets, for the run's alert. An escalation only an
unsure engine asked for is held as a suggestion here (``triage.escalation_hold``), before the
write-back planner sees it, so the tags, the priority, the note and the alert all follow it.

With routes, the change is a ``RoutedWriteBack``: a ``WriteBack`` (adapters see nothing else)
that also says which routes matched, the group's name and whether the ticket was escalated, for
the ``ticket_triaged`` event, the dry-run table and the escalation alert.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..models import Message, RouteDecision, Ticket, Triage, Urgency, WriteBack
from ..triage.confidence import Decision, field_decisions
from ..triage.escalation_hold import hold_unsure
from ..triage.fields import ResolvedField, extract
from ..triage.prepare import PreparedTicket
from ..triage.reply_facts import ReplyFacts, reply_facts
from ..triage.routing import Router
from ..triage.rules import RulesEngine
from ..triage.taxonomy import Taxonomy
from ..writeback.note import NoteLanguage
from ..writeback.planner import RoutedWriteBack, WritePolicy, reply_plan, triage_writeback
from ..writeback.reply_change import ReplyChange, ReplyKind, Thread, standing_labels
from ..writeback.translation import NoteTranslations, Translator
from .types import RunOptions


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
        # Why an escalation the routes asked for waits as a suggestion (None: not held).
        "escalation_held": writeback.escalation_held,
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
        translator: Translator | None = None,
        taxonomy: Taxonomy | None = None,
    ) -> None:
        self._options = options
        # The keyword rules, built the first time an escalation might be held: whether their
        # fixed critical phrases back it (``triage.escalation_hold``).
        self._taxonomy = taxonomy
        self._keywords: RulesEngine | None = None
        self._languages = NoteTranslations(translator, default_language=options.agent_language)
        self._policy = WritePolicy(
            prefix=options.prefix,
            confidence_threshold=options.confidence_threshold,
            set_priority=options.set_priority,
            run_id=run_id,
        )
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

    def field_titles(self) -> dict[str, str]:
        """The configured helpdesk fields: key -> the title the helpdesk shows."""
        return {f.key: f.field.title for f in self._fields}

    def shown_values(self, values: Mapping[str, object]) -> dict[str, str]:
        """Each value as agents see it: a drop-down's option name (Zendesk writes the option's
        tag, ``mobile_app``; the note and the dry run say "Mobile app")."""
        names = {f.key: {o.value: o.name for o in f.field.options} for f in self._fields}
        return {k: names.get(k, {}).get(str(v), str(v)) for k, v in values.items()}

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

    def held(
        self, decision: RouteDecision, ticket: Ticket, triage: Triage, text: str
    ) -> RouteDecision:
        """``decision`` with an escalation only an unsure engine asked for held as a
        suggestion (``triage.escalation_hold``); ``text``: the ticket as the engine read it."""
        return hold_unsure(
            decision,
            ticket,
            triage,
            prefix=self._options.prefix,
            keywords_critical=lambda: self.keywords_critical(text),
        )

    def _rules(self) -> RulesEngine | None:
        if self._taxonomy is None:
            return None
        with self._lock:
            if self._keywords is None:
                self._keywords = RulesEngine(self._taxonomy)
            return self._keywords

    def keywords_critical(self, text: str) -> bool:
        """Whether the keyword rules read ``text`` (subject, blank line, body) as critical."""
        rules = self._rules()
        subject, _, body = text.partition("\n\n")
        return rules is not None and rules.analyse(subject, body).urgency == Urgency.CRITICAL

    def words_critical(self, text: str) -> bool:
        """Whether ``text`` holds the keyword rules' fixed critical phrases ("production
        down", "data breach"), whatever urgency they read in all (``says_critical``)."""
        rules = self._rules()
        subject, _, body = text.partition("\n\n")
        return rules is not None and rules.says_critical(subject, body)

    def critical_unsure(
        self, ticket: Ticket, triage: Triage, decisions: dict[str, Decision], text: str
    ) -> RouteDecision:
        """For a ticket routed by nothing because its triage is unsure (under the threshold,
        or its urgency not applied), whose urgency or words say critical: the escalation the
        routes would ask for, suggested with the reason (``Router.critical_held``)."""
        if self._router is None:
            return RouteDecision()
        analysis = triage.analysis
        threshold = self._options.confidence_threshold
        if decisions:
            if decisions.get("urgency") == "apply":
                return RouteDecision()
            unsure = "the triage's urgency is not sure enough to apply"
        elif analysis.confidence < threshold:
            unsure = f"the triage's confidence {analysis.confidence:.2f} is under {threshold:.2f}"
        else:
            return RouteDecision()
        if analysis.urgency == Urgency.CRITICAL:
            reading = "its urgency reads critical"
        elif self.words_critical(text):
            reading = "its words hold the keyword rules' critical phrases"
        else:
            return RouteDecision()
        return self._router.critical_held(ticket, triage, decisions, f"{unsure}, but {reading}")

    def note_escalation(self, ticket: Ticket, routes: tuple[str, ...]) -> None:
        """An escalated ticket, for the run's escalation alert: the subject redacted as the
        audit store keeps it, the names the helpdesk knows on the ticket included."""
        from ..triage.prepare import stored_subject  # loaded by the run's first ticket already

        subject = stored_subject(ticket.subject, ticket.people) if ticket.subject else ""
        with self._lock:
            self._escalations[ticket.id] = Escalation(ticket.id, subject, routes)

    def plan(
        self,
        ticket: Ticket,
        triage: Triage,
        found: dict[str, str] | None = None,
        prepared: PreparedTicket | None = None,
    ) -> WriteBack:
        """``prepared``: what the LLM analysed (redacted), for the note's translation."""
        # Routing and escalation see only the applied fields (a route may opt in to
        # suggestions).
        decisions = self.decisions(triage)
        text = f"{prepared.subject}\n\n{prepared.body}" if prepared else None
        said = text or f"{ticket.subject or ''}\n\n{ticket.description or ''}"
        decision = self.held(self.route(ticket, triage, decisions), ticket, triage, said)
        if not decision.routes:
            decision = self.critical_unsure(ticket, triage, decisions, said)
        # Only into fields still empty on the ticket as it is now: an agent's value stands.
        filled = {
            key: value
            for key, value in (found or {}).items()
            if ticket.custom_fields.get(key) in (None, "", [], False)
        }
        titles = {f.key: f.field.title for f in self._fields if f.key in filled}
        shown = self.shown_values(filled)
        suggestions = triage.suggestions[: self._kb_suggestions]
        routed = decision if self._router is not None else None
        message = text.strip() if text else None
        language = self._languages.language(ticket.id, triage, decision.agent_language, message)
        writeback = triage_writeback(
            self._policy,
            ticket,
            triage,
            routed,
            suggestions,
            filled,
            field_titles=titles,
            field_shown=shown,
            decisions=decisions,
            language=language,
        )
        if decision.escalate:
            self.note_escalation(ticket, decision.escalated_by)
        return writeback

    def plan_reply(
        self,
        ticket: Ticket,
        thread: Thread,
        kind: ReplyKind,
        triage: Triage | None,
        reply: Message,
        text: str | None = None,
    ) -> ReplyChange:
        """The change a judged reply makes: routes see how the reply moved the labels that
        stand (``triage.reply_facts``); a reply not analysed (a thank-you) has no route.
        ``text``: the reply as the LLM saw it (redacted), for the note's translation."""
        opts = self._options
        decisions = self.decisions(triage) if triage is not None else {}
        route = None
        if triage is not None:
            facts = reply_facts(standing_labels(thread.before, ticket.tags, opts.prefix), triage)
            route = self.route(ticket, triage, decisions, facts)
            route = self.held(route, ticket, triage, text or "")
        code = (route.agent_language if route else None) or opts.agent_language

        def planned(language: NoteLanguage) -> ReplyChange:
            return reply_plan(
                self._policy,
                ticket,
                kind,
                triage,
                before=thread.before,
                trend=thread.trend,
                reply=reply,
                route=route or RouteDecision(),
                decisions=decisions,
                language=language,
            )

        change = planned(NoteLanguage(code))
        if change.note is None or triage is None:
            return change  # no note, nothing to translate: the LLM is not asked
        customer = triage.analysis.language
        given = triage.analysis.for_agents
        return planned(self._languages.reply(reply.id, customer, code, text, given))

    def translation_counts(self) -> dict[str, int]:
        """The note's texts in the agents' language: from the triage call, or asked apart."""
        return self._languages.counts()

    def note_language(self, ticket_id: int) -> str:
        """The language the ticket's note was planned in (the agent's: the group's or the
        run's), for the ``ticket_triaged`` event and ``report``'s language pairs."""
        return self._languages.chosen(ticket_id)

    def forget(self, ticket_id: int) -> None:
        """The run is done with this ticket: what its re-plans needed (the note's language and
        translations) goes. Its escalation stays for the run's alert."""
        self._languages.forget(ticket_id)

    def tickets_held(self) -> int:
        """Tickets whose note language or translations are still kept (planned, not yet done)."""
        return self._languages.held()

    def escalation(self, ticket_id: int) -> Escalation | None:
        """The escalation planned for this ticket (the last plan wins), if any."""
        with self._lock:
            return self._escalations.get(ticket_id)
