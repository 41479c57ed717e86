"""How a batch of changes reaches Zendesk: ``update_many`` jobs first, single PUTs last.

Why jobs: Zendesk allows about 100 Update Ticket requests a minute per account, so one PUT per
ticket caps any processor near 100 tickets a minute; one job carries 100 tickets.

Why a journal: the ids of a batch are recorded as in flight *before* the job is sent, and the
job id right after, so a run killed mid-write lets the next run wait for that job instead of
writing the same note twice.

When things go wrong every change is a ``safe_update`` against the stamp it was planned from,
and the tickets are read again *in bulk* (``show_many``, 100 a request) before anything is sent
again, so no ticket is written twice and the Update Ticket budget is not spent one PUT a ticket:

- a job that failed as a whole, or whose outcome is unknown (a cut connection, a timeout: it
  may still land), is replaced by one new job for the tickets that are still to do;
- tickets a job reports as failed (a 409 because an agent or a trigger changed the ticket
  meanwhile, a 422) are read again, re-planned and sent as one more job; only what fails
  again goes through ``update_ticket``, one PUT each, re-reading on a 409;
- a refusal of a change that sets custom fields (an admin removed the drop-down option
  meanwhile) asks the ``FieldGuard``, which reads the fields again: the values the helpdesk no
  longer takes are left out from then on, and the rest of the change (tags, priority, group,
  the note) goes again, once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ...errors import (
    AuthError,
    BreakerOpenError,
    ConflictError,
    NotFoundError,
    RecordInvalidError,
    RunOutOfTime,
    TicketBotError,
)
from ...models import Replan, WriteBack, WriteJournal, WriteOutcome
from ..field_guard import FieldGuard
from .client import ZendeskClient
from .records import JobStatus

SINGLE_TICKET_ATTEMPTS = 3
JOB_ATTEMPTS = 3  # jobs for one batch: the first, a re-send, one for the conflicts; then PUTs
# A job's per-ticket errors that say nothing of the change's values (re-read and re-planned).
_NOT_REFUSALS = frozenset({"UpdateConflict", "RecordNotFound"})

Report = Callable[[WriteOutcome], None]


class ZendeskBatchWrite:
    """One batch through jobs, re-reads and, last, single writes. Use once: ``run()``."""

    def __init__(
        self,
        client: ZendeskClient,
        batch: Sequence[WriteBack],
        *,
        replan: Replan,
        journal: WriteJournal,
        report: Report,
        guard: FieldGuard | None = None,
    ) -> None:
        self._client = client
        self._guard = guard if guard is not None else FieldGuard(lambda: [])
        self._batch = [self._guard.strip(wb) for wb in batch]
        self._replan = replan
        self._journal = journal
        self._report = report
        self._settled: set[int] = set()
        self._jobs: list[str] = []

    def run(self) -> None:
        ids = [wb.ticket_id for wb in self._batch]
        self._journal.begin(ids)
        try:
            self._write_jobs(self._batch)
        except RunOutOfTime:
            # The run's bound ended the wait: the batch stays journalled (its job id too, if it
            # was sent), so the next run waits for the job and re-reads before writing again.
            raise
        except (AuthError, BreakerOpenError):
            # A definite refusal. A job whose id was recorded may still land: its tickets stay
            # in the journal for the next run to wait for. (A request whose answer was lost may
            # land too; its safe_update stamp refuses it on a ticket written since.)
            if not self._jobs:
                self._journal.end(ids, ())
            raise
        self._journal.end(ids, self._jobs)

    def _done(self, outcome: WriteOutcome) -> None:
        self._settled.add(outcome.ticket_id)
        self._report(outcome)

    def _write_jobs(self, batch: list[WriteBack]) -> None:
        """Send ``batch`` as jobs until every ticket has an outcome or only stragglers remain."""
        todo = batch
        for attempt in range(JOB_ATTEMPTS):
            if attempt > 0:
                todo = self._reread(todo)
                if not todo:
                    return
            try:
                job = self._client.update_many(todo)
                self._jobs.append(job.id)
                self._journal.job_sent(job.id, [wb.ticket_id for wb in todo])
                done = self._client.wait_for_job(job)
            except (AuthError, BreakerOpenError, RunOutOfTime):
                raise
            except TicketBotError:
                # The job failed as a whole, or whether Zendesk took it is unknown: it may
                # still land, so read the tickets again and send only what is still to do;
                # safe_update keeps the two from both landing.
                continue
            todo, refused = self._settle(todo, done)
            if not todo:
                return
            if refused:
                # Re-planned below, and stripped of what the guard now knows is refused.
                self._guard.learn(refused)
        self._write_singly(self._reread(todo))

    def _settle(
        self, batch: list[WriteBack], done: JobStatus
    ) -> tuple[list[WriteBack], list[WriteBack]]:
        """Report the job's successes; return the changes it did not apply, and those of them
        it refused for their values (not a conflict, not a ticket gone) that set custom fields."""
        by_id = {wb.ticket_id: wb for wb in batch}
        reported: set[int] = set()
        failed: list[WriteBack] = []
        refused: list[WriteBack] = []
        for result in done.results:
            if result.ticket_id is None or result.ticket_id not in by_id:
                continue
            reported.add(result.ticket_id)
            change = by_id[result.ticket_id]
            if result.success:
                self._done(WriteOutcome(result.ticket_id, change))
                continue
            failed.append(change)
            if change.custom_fields and result.error not in _NOT_REFUSALS:
                refused.append(change)
        failed.extend(wb for wb in batch if wb.ticket_id not in reported)
        return failed, refused

    def _reread(self, batch: list[WriteBack]) -> list[WriteBack]:
        """Read ``batch`` again (100 tickets a request) and re-plan each ticket against what
        Zendesk holds now; a ticket already written (or gone) is reported, not returned."""
        if not batch:
            return []
        try:
            fresh = {t.id: t for t in self._client.show_many([wb.ticket_id for wb in batch])}
        except (AuthError, BreakerOpenError, RunOutOfTime):
            raise
        except TicketBotError as exc:
            for writeback in batch:
                self._done(WriteOutcome(writeback.ticket_id, None, exc))
            return []
        todo: list[WriteBack] = []
        for writeback in batch:
            ticket = fresh.get(writeback.ticket_id)
            if ticket is None:
                gone = NotFoundError(
                    f"ticket {writeback.ticket_id} no longer exists", status_code=404
                )
                self._done(WriteOutcome(writeback.ticket_id, None, gone))
                continue
            plan = self._replan(ticket)
            if plan is None:  # the marker is already there: written before
                self._done(WriteOutcome(writeback.ticket_id, None))
            else:
                todo.append(self._guard.strip(plan))
        return todo

    def _write_singly(self, batch: list[WriteBack]) -> None:
        for writeback in batch:
            self._done(self._write_one(writeback))

    def _write_one(self, writeback: WriteBack) -> WriteOutcome:
        """One PUT with ``safe_update``; on a 409 re-read, re-plan and try again."""
        current: WriteBack | None = writeback
        last_error: TicketBotError | None = None
        for attempt in range(SINGLE_TICKET_ATTEMPTS):
            try:
                if attempt > 0:
                    fresh = self._client.show_many([writeback.ticket_id])
                    if not fresh:
                        raise NotFoundError(
                            f"ticket {writeback.ticket_id} no longer exists", status_code=404
                        )
                    current = self._replan(fresh[0])
                    if current is None:  # the marker is already there: written before
                        return WriteOutcome(writeback.ticket_id, None)
                    current = self._guard.strip(current)
                assert current is not None
                self._client.update_ticket(current)
                return WriteOutcome(writeback.ticket_id, current)
            except ConflictError as exc:
                last_error = exc  # someone changed the ticket: re-read and re-merge
            except RecordInvalidError as exc:
                if not (current is not None and self._guard.learn([current])):
                    return WriteOutcome(writeback.ticket_id, None, exc)
                last_error = exc  # a field value is gone: again without it (re-read first)
            except (AuthError, BreakerOpenError, RunOutOfTime):
                raise
            except TicketBotError as exc:
                return WriteOutcome(writeback.ticket_id, None, exc)
        return WriteOutcome(writeback.ticket_id, None, last_error)
