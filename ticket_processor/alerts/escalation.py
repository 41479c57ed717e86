"""The escalation alert: one post per run listing the tickets routing escalated.

``EscalationWatch`` sits in front of the run's event log and notes every ``ticket_triaged``
event that says ``escalated``, and every ``reply_triaged`` one that escalated and wrote — each
is emitted only once the write-back landed, so the alert lists what the helpdesk now shows,
never a plan that failed. ``escalation_message``
formats the list as Slack-compatible text (``<url|subject>`` links, Slack's three escapes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from ..common.eventlog import EventSink
from ..passes.planner import ChangePlanner, Escalation
from .alerter import slack_escape


class EscalationWatch:
    """An ``EventSink`` that forwards everything and remembers the escalated tickets."""

    def __init__(self, log: EventSink) -> None:
        self._log = log
        self._lock = threading.Lock()
        self._seen: dict[int, tuple[str, ...]] = {}
        self._taken: set[int] = set()

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        # A customer's reply may escalate too (a route on ``reply`` or ``sentiment_change``):
        # its ``reply_triaged`` event says ``wrote`` once the write landed.
        first = event == "ticket_triaged" and not fields.get("dry_run")
        reply = event == "reply_triaged" and bool(fields.get("wrote"))
        if (first or reply) and fields.get("escalated"):
            with self._lock:
                self._seen[int(fields["ticket_id"])] = tuple(fields.get("route") or ())
        return self._log.emit(event, **fields)

    def escalated(self) -> dict[int, tuple[str, ...]]:
        """Ticket id -> the routes that matched it, for the tickets escalated and written."""
        with self._lock:
            return dict(self._seen)

    def take_new(self) -> dict[int, tuple[str, ...]]:
        """The escalations since the last call (``serve``: each batch's, as it is written)."""
        with self._lock:
            new = {k: v for k, v in self._seen.items() if k not in self._taken}
            self._taken.update(new)
            return new


def escalated_tickets(
    planner: ChangePlanner, watch: EscalationWatch
) -> dict[int, tuple[str, tuple[str, ...]]]:
    """Ticket id -> its redacted subject and the routes that escalated it, for this run's
    escalations (the planner's record, else the event's routes)."""
    found = {}
    for ticket_id, matched in sorted(watch.escalated().items()):
        known = planner.escalation(ticket_id)
        found[ticket_id] = (known.subject, known.routes) if known else ("", matched)
    return found


def escalation_message(
    escalations: Sequence[Escalation], *, run_id: str, ticket_url: Callable[[int], str]
) -> str:
    """``N tickets escalated in run R`` and one line per ticket: id, link, subject, route."""
    count = len(escalations)
    lines = [f"{count} ticket{'s' if count != 1 else ''} escalated in run {run_id}:"]
    for item in sorted(escalations, key=lambda e: e.ticket_id):
        subject = slack_escape(item.subject or "(no subject)")
        routes = slack_escape(", ".join(item.routes) or "?")
        link = f"<{ticket_url(item.ticket_id)}|{subject}>"
        lines.append(f"• #{item.ticket_id} {link} — route: {routes}")
    return "\n".join(lines)
