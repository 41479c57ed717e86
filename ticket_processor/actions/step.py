"""The actions' per-ticket step: a matching ticket's lookups run in its triage, their declared
outputs (or why none are shown) go into the note, and each change it asks for is proposed there
and recorded (``owed.ChangeStore``) for an agent's approval, which the step's pass
(``approve.ApprovalPass``) carries out.

Lookups run in ``judge`` (on the run's worker threads, once per ticket), within what the run
has left of ``--max-runtime``; the note is made from their outcome in ``attach``, as often as
the change is planned. A dry or shadow run looks up and shows, and records no proposal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..common.eventlog import EventSink
from ..models import Ticket, Triage, WriteBack, is_spam
from ..passes.protocol import RunPass
from ..passes.types import RunSummary
from ..steps.protocol import Price, Step, StepRun
from ..steps.shown import Shown, ShownRow
from ..triage.prepare import PreparedTicket
from ..writeback.planner import with_section
from .act import (
    Matcher,
    TicketActions,
    customer_reply,
    note_lines,
    propose,
    reply_facts,
    reply_text,
    run_lookup,
)
from .book import ActionBook
from .call import Caller
from .inputs import Entities, read_entities
from .owed import ChangeStore

LOOKUP_SECONDS = 20.0  # at most, per lookup, whatever the run has left


class Replies(Protocol):
    """The answers' grounded replies (``answers.grounded``): a lookup's reply offered to be
    sent as every answer is, where the ticket's category sends answers."""

    def offer(self, ticket_id: int, body: str, source: str, text: str, facts: str = "") -> None:
        """``facts``: what an LLM may word the reply from (``act.reply_facts``)."""

    def hold(self, ticket_id: int, reason: str) -> None: ...

    def planned(self, ticket_id: int) -> bool: ...


# A service that answers these to a lookup refused the credentials, not the record.
CREDENTIALS_REFUSED = (401, 403)


@dataclass
class ActionReading:
    entities: Entities
    text: str
    found: TicketActions | None = None


class ActionsStep(Step):
    name = "actions"

    def __init__(
        self,
        book: ActionBook,
        caller: Caller,
        store: ChangeStore,
        *,
        prefix: str,
        writes: bool,
        time_left: Callable[[], float | None],
        log: EventSink | None = None,
        answers: bool = False,
        replies: Replies | None = None,
    ) -> None:
        self.book = book
        self.answers = answers  # answers on: the templates' reply drafted in the note
        # ... or sent, where the answers send: offered to them, screened and sent by them.
        self.replies = replies
        self.matcher = Matcher(book)
        self.caller = caller
        self.store = store
        self.prefix = prefix
        self.writes = writes
        self._time_left = time_left
        self._log = log
        self._lock = threading.Lock()
        self._done: dict[int, TicketActions] = {}
        self.counts: dict[str, int] = {}
        # (action, HTTP status) -> lookups the service refused for ticketbot's credentials: a
        # wrong or expired token fails every ticket's lookup alike, and is said once a run.
        self.refused: dict[tuple[str, int], int] = {}

    def read(self, ticket: Ticket, prepared: PreparedTicket) -> ActionReading:
        text = f"{ticket.subject}\n{ticket.description}"
        return ActionReading(read_entities(ticket, text), text)

    def judge(
        self, ticket: Ticket, prepared: PreparedTicket, reading: Any, triage: Triage
    ) -> Triage:
        if not isinstance(reading, ActionReading) or is_spam(triage):
            return triage
        text, reading.text = reading.text, ""  # the entities are all that waits with it
        matching = self.matcher.matching(triage.analysis.category, text)
        if not matching:
            return triage
        # A change's lookup runs with it: it finds the record and proves it the requester's.
        used = {a.uses for a in matching if a.uses}
        wanted = [a for a in self.book.action if a in matching or a.name in used]
        lookups = []
        for action in (a for a in wanted if a.kind == "lookup"):
            left = self._time_left()
            # Half of what the run has left at most: the ticket's note must still be written.
            bound = LOOKUP_SECONDS if left is None else min(LOOKUP_SECONDS, left / 2)
            outcome = run_lookup(action, reading.entities, self.caller, deadline=bound)
            lookups.append(outcome)
            self._count(f"lookup_{outcome.status}")
            if outcome.status == "failed" and outcome.http_status in CREDENTIALS_REFUSED:
                with self._lock:
                    key = (action.name, outcome.http_status)
                    self.refused[key] = self.refused.get(key, 0) + 1
            self._emit(
                ticket.id,
                action.name,
                "lookup",
                outcome.status,
                outcome.http_status,
                outcome.seconds,
                outcome.reason,
            )
        proposals = []
        for action in (a for a in matching if a.kind == "change"):
            proposal = propose(action, reading.entities, lookups)
            if proposal is None:
                continue
            tag = action.approval_tag(self.prefix)
            if proposal.refused is None and tag in ticket.tags:
                refused = f"the tag {tag} was on the ticket before the proposal"
                proposal = type(proposal)(proposal.action, proposal.inputs, refused)
            proposals.append(proposal)
            self._count("change_refused" if proposal.refused else "change_proposed")
            if self.writes:
                self.store.propose(ticket.id, action.name, proposal.inputs, proposal.refused)
            self._emit(
                ticket.id,
                action.name,
                "proposal",
                "refused" if proposal.refused else "proposed",
                0,
                0.0,
                proposal.refused,
            )
        found = TicketActions(tuple(lookups), tuple(proposals))
        reading.found = found
        self._offer(ticket.id, found, text)
        with self._lock:
            self._done[ticket.id] = found
        return triage

    def attach(
        self,
        ticket: Ticket,
        triage: Triage,
        writeback: WriteBack,
        reading: Any,
        *,
        replanned: bool,
        language: str,
    ) -> WriteBack:
        if not isinstance(reading, ActionReading) or reading.found is None:
            return writeback
        lines = note_lines(reading.found, self.book, self.prefix)
        sending = self.replies is not None and self.replies.planned(ticket.id)
        # A reply the answers send is in the note as theirs ("to be sent"): not drafted again.
        reply = reply_text(reading.found, self.book) if self.answers and not sending else None
        if reply:
            lines.append(f"Reply for the customer, from the team's template: {reply}")
        if not writeback.note or not lines:
            return writeback
        return writeback.model_copy(update={"note": with_section(writeback.note, lines)})

    def audit_fields(self, ticket_id: int) -> Mapping[str, Any]:
        with self._lock:
            found = self._done.pop(ticket_id, None)
        if found is None or found.empty:
            return {}
        return {
            "actions": [
                {
                    "action": o.action,
                    "kind": "lookup",
                    "status": o.status,
                    "http_status": o.http_status,
                    "seconds": o.seconds,
                    "reason": o.reason,
                }
                for o in found.lookups
            ]
            + [
                {
                    "action": p.action,
                    "kind": "change",
                    "status": "refused" if p.refused else "proposed",
                    "reason": p.refused,
                }
                for p in found.proposals
            ]
        }

    def shown(self, fields: Mapping[str, Any]) -> Shown | None:
        listed = fields.get("actions")
        if not isinstance(listed, list) or not listed:
            return None
        rows = tuple(
            ShownRow(str(a.get("action")), str(a.get("status")), str(a.get("reason") or ""))
            for a in listed
            if isinstance(a, dict)
        )
        return Shown(self.name, "Actions", "lookups run and changes proposed", rows, False)

    def totals(self, summary: RunSummary, price: Price) -> None:
        with self._lock:
            counts = dict(self.counts)
            refused = dict(self.refused)
        if counts and self._log is not None:
            self._log.emit("actions_counted", **counts)
        for (action, status), count in sorted(refused.items()):
            summary.warnings.append(
                f"the service of action {action} refused ticketbot's credentials (HTTP {status}) "
                f"on {count} lookup(s): check the token its headers name in the actions file"
            )
            if self._log is not None:
                self._log.emit(
                    "action_credentials_refused",
                    level="warning",
                    action=action,
                    http_status=status,
                    lookups=count,
                )

    def run_pass(self, run: StepRun) -> RunPass | None:
        from .approve import ApprovalPass

        return ApprovalPass(
            self.book, self.caller, self.store, run, prefix=self.prefix, time_left=self._time_left
        )

    def close(self) -> None:
        self.caller.close()

    def _offer(self, ticket_id: int, found: TicketActions, text: str) -> None:
        """The customer's reply from the team's template, offered to the answers: never with
        a secret in it (the screen there checks numbers, addresses and e-mails). A ticket whose
        lookup found someone else's record, or failed, gets no automated reply at all."""
        if self.replies is None:
            return
        statuses = {o.status for o in found.lookups}
        for status in ("not_theirs", "failed"):
            if status in statuses:
                self.replies.hold(ticket_id, f"lookup_{status}")
                return
        said = customer_reply(found, self.book)
        if said is None:
            return
        body, source = said
        if self.caller.scrub.text(body) != body:
            return
        self.replies.offer(ticket_id, body, source, text, reply_facts(found, self.book))

    def _count(self, key: str) -> None:
        with self._lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    def _emit(
        self,
        ticket_id: int,
        action: str,
        kind: str,
        status: str,
        http_status: int,
        seconds: float,
        reason: str | None,
    ) -> None:
        if self._log is not None:
            self._log.emit(
                "action_called" if kind == "lookup" else "action_proposed",
                ticket_id=ticket_id,
                action=action,
                kind=kind if kind == "lookup" else "change",
                status=status,
                http_status=http_status,
                seconds=seconds,
                reason=reason,
            )
