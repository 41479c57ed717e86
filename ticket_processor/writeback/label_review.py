"""A lead's reviewed label written to the helpdesk: the dashboard's review queue's one way out.

``ReviewWriter.apply`` writes one reviewed suggestion the way a run writes a triage: under the
run lock of the state directory (one writer at a time: a run, ``serve`` or a review), from the
ticket as the helpdesk holds it now, planned by the one planner (``writeback.planner``:
``review_writeback``), sent through the helpdesk's own ``write_batch`` with the ledger as its
journal (a kill -9 mid-write is settled by the next run's recovery), re-planned from a fresh
read when the ticket changed meanwhile, and logged as a ``ticket_reviewed`` event under a run
id of its own, which ``ticketbot revert --run ID`` undoes like any run's writes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..common.eventlog import EventLog, new_run_id
from ..common.scrub import Scrubber
from ..errors import LockHeldError, TicketBotError
from ..models import Helpdesk, Ticket, WriteBack, WriteOutcome
from ..state.ledger import RunLedger
from ..state.lock import RunLock
from .noted import note_id_of
from .planner import ReviewedLabel, review_writeback

_REVIEWER = re.compile(r"[^A-Za-z0-9@._+-]")


def reviewer_name(raw: str) -> str:
    """Who reviewed, as the note and the store say it: a proxy's header is input, so only
    plain characters, and short."""
    return _REVIEWER.sub("", raw)[:64] or "lead"


@dataclass(frozen=True)
class ReviewOutcome:
    ticket_id: int
    written: bool
    run_id: str
    # Why nothing was written: the suggestion no longer stands, a run holds the lock, an error.
    reason: str | None = None
    writeback: WriteBack | None = None
    previous_priority: str | None = None
    # Nothing was written because someone decided the field since: the item leaves the queue.
    superseded: bool = False
    note_id: str | None = None  # the review's note, where the helpdesk named it


class ReviewWriter:
    """Writes reviewed labels to one helpdesk; ``connect`` opens it for each review (a review
    is one ticket: no connection is held between them)."""

    def __init__(
        self,
        connect: Callable[[], Helpdesk],
        *,
        state_dir: Path,
        log_dir: Path,
        prefix: str,
        secrets: Scrubber | tuple[str, ...] = (),
        set_priority: bool = True,
    ) -> None:
        self._connect = connect
        self._state_dir = state_dir
        self._log_dir = log_dir
        self._prefix = prefix
        # What the lead reads on the page: an error's text never carries a secret.
        self._scrub = secrets if isinstance(secrets, Scrubber) else Scrubber(secrets)
        self._set_priority = set_priority

    def apply(self, ticket_id: int, label: ReviewedLabel) -> ReviewOutcome:
        run_id = new_run_id()
        try:
            with RunLock(self._state_dir):
                return self._apply(ticket_id, label, run_id)
        except LockHeldError:
            return ReviewOutcome(
                ticket_id, False, run_id, "a run is writing to the helpdesk now: try again shortly"
            )

    def _apply(self, ticket_id: int, label: ReviewedLabel, run_id: str) -> ReviewOutcome:
        try:
            helpdesk = self._connect()
        except TicketBotError as exc:  # a helpdesk not configured, or out of reach
            return ReviewOutcome(ticket_id, False, run_id, self._scrub.text(str(exc)))
        try:
            found = helpdesk.tickets([ticket_id])
            if not found:
                return ReviewOutcome(ticket_id, False, run_id, "the ticket no longer exists")
            ticket = found[0]

            def plan(fresh: Ticket) -> WriteBack | None:
                return review_writeback(
                    fresh,
                    label,
                    prefix=self._prefix,
                    run_id=run_id,
                    set_priority=self._set_priority,
                )

            change = plan(ticket)
            if change is None:
                return _superseded(ticket_id, run_id, label)
            outcomes: list[WriteOutcome] = []
            helpdesk.write_batch(
                [change], replan=plan, journal=RunLedger(self._state_dir), report=outcomes.append
            )
        except TicketBotError as exc:
            return ReviewOutcome(ticket_id, False, run_id, self._scrub.text(str(exc)))
        finally:
            helpdesk.close()
        outcome = outcomes[0] if outcomes else None
        if outcome is not None and outcome.error is not None:
            return ReviewOutcome(ticket_id, False, run_id, self._scrub.text(str(outcome.error)))
        if outcome is None or outcome.writeback is None:
            return _superseded(ticket_id, run_id, label)
        written = outcome.writeback
        self._log(run_id, ticket, label, written)
        return ReviewOutcome(
            ticket_id, True, run_id, None, written, ticket.priority, note_id=note_id_of(outcome)
        )

    def _log(self, run_id: str, ticket: Ticket, label: ReviewedLabel, wb: WriteBack) -> None:
        """The ``ticket_reviewed`` event: what ``revert --run`` reads to undo the review."""
        with EventLog(self._log_dir, run_id=run_id, secrets=self._scrub) as log:
            log.emit(
                "ticket_reviewed",
                ticket_id=ticket.id,
                field=label.field,
                value=label.value,
                suggested=label.suggested,
                action=label.action,
                reviewer=label.reviewer,
                tags_added=list(wb.additional_tags),
                tags_removed=list(wb.remove_tags),
                priority=wb.priority.value if wb.priority else None,
                previous_priority=ticket.priority,
                group_id=None,
                previous_group_id=ticket.group_id,
            )


def _superseded(ticket_id: int, run_id: str, label: ReviewedLabel) -> ReviewOutcome:
    why = f"someone decided the {label.field} since: the ticket's value stands"
    return ReviewOutcome(ticket_id, False, run_id, why, superseded=True)
