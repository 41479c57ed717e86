"""Whether an escalation the routes asked for acts (a page, an urgent priority) or waits as a
suggestion: an escalation is as careful on a team's first day as later. Pure, no I/O.

An escalation wakes people. It acts on the judgement of the engine the team configured, or of
a model calibrated on answers it never saw; an engine standing in for the configured one (the
learned model or the keyword rules while the LLM is down) and a model with no calibration (the
bundled learned model on a first day) only suggest it: the ticket is tagged
``<prefix>escalation_suggested`` instead of ``<prefix>escalated``, its note says why, and no
channel is told.

Three signals the run already trusts, each independent of that judgement, let the escalation a
route asked for act (they start none: a route must have matched):

- a route that matches on the ticket's own tags alone (``when = { tag = "vip" }``): the
  helpdesk said it;
- the helpdesk's own urgent priority, set by a person or a helpdesk rule (not by ticketbot);
- the keyword rules reading the ticket as critical (``[urgency.critical]`` in the taxonomy:
  "production down", "data breach", "ransomware"): fixed phrases, not a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..models import ENGINE_LABELS, RouteDecision, Ticket, Triage, Urgency, sanitise_tag


def unsure_engine(triage: Triage) -> str | None:
    """Why the engine behind ``triage`` may not escalate on its own (None: it may)."""
    if triage.fallback:
        took = ENGINE_LABELS.get(triage.engine, triage.engine)
        return f"decided by {took}, standing in for the configured engine"
    if triage.engine == "learned" and not triage.field_confidence and not triage.cascaded:
        return "decided by the learned model, which has no calibration yet"
    return None


def trusted_signal(
    decision: RouteDecision,
    ticket: Ticket,
    triage: Triage,
    *,
    prefix: str,
    keywords_critical: Callable[[], bool],
) -> str | None:
    """The signal besides the engine's judgement that escalates the ticket, in words; None."""
    if decision.escalated_on_tags:
        return "the ticket's own tags"
    ours = sanitise_tag(f"{prefix}priority_urgent") in set(ticket.tags)
    if ticket.priority == "urgent" and not ours:
        return "the helpdesk's own urgent priority"
    critical = triage.analysis.urgency == Urgency.CRITICAL
    if (critical and triage.engine == "rules") or keywords_critical():
        return "the keyword rules (critical)"
    return None


def hold_unsure(
    decision: RouteDecision,
    ticket: Ticket,
    triage: Triage,
    *,
    prefix: str,
    keywords_critical: Callable[[], bool] = lambda: False,
) -> RouteDecision:
    """``decision`` as it acts: its escalation held as a suggestion when only an unsure engine
    asked for it (``unsure_engine``) and no trusted signal backs it (``trusted_signal``).
    ``keywords_critical`` is asked only then: whether the keyword rules read the ticket as
    critical."""
    if not decision.escalate:
        return decision
    why = unsure_engine(triage)
    if why is None:
        return decision
    if trusted_signal(decision, ticket, triage, prefix=prefix, keywords_critical=keywords_critical):
        return decision
    escalated = sanitise_tag(f"{prefix}escalated")
    suggested = sanitise_tag(f"{prefix}escalation_suggested")
    tags = tuple(dict.fromkeys(suggested if t == escalated else t for t in decision.tags))
    return replace(decision, escalate=False, tags=tags, escalation_held=why)
