"""Batched write-back: up to 100 tickets per ``update_many`` job; the single-ticket path after.

Why batches: Zendesk allows about 100 Update Ticket requests a minute per account, so one PUT
per ticket caps any processor near 100 tickets a minute; one job carries 100 tickets.

Why a journal: the ids of a batch are recorded as in flight *before* the job is sent, and the
job id right after, so a run killed mid-write lets the next run wait for that job instead of
writing the same note twice.

When things go wrong every change is a ``safe_update`` against the stamp it was planned from,
and the tickets are read again *in bulk* (``show_many``, 100 a request) before anything is sent
again, so no ticket is written twice and the account's Update Ticket budget (100 a minute) is
not spent one PUT per ticket:

- a job that failed as a whole, or whose outcome is unknown (a cut connection, a timeout: it
  may still land), is replaced by one new job for the tickets that are still to do;
- tickets a job reports as failed (a 409, a 422), and a batch whose second job failed as well,
  go through ``update_ticket``; on a 409 the ticket is re-read and the change re-planned.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from .errors import (
    AuthError,
    BreakerOpenError,
    ConflictError,
    NotFoundError,
    RunAborted,
    TicketBotError,
)
from .models import Ticket, WriteBack

SINGLE_TICKET_ATTEMPTS = 3
JOB_ATTEMPTS = 2  # jobs sent for one batch (the first, and one re-send) before single writes


class JobResultLike(Protocol):
    @property
    def ticket_id(self) -> int | None: ...
    @property
    def success(self) -> bool: ...
    @property
    def error(self) -> str | None: ...
    @property
    def details(self) -> str | None: ...


class JobStatusLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def results(self) -> Sequence[JobResultLike]: ...


class WritingHelpdesk(Protocol):
    """The part of ``ZendeskClient`` the writer uses."""

    def update_many(self, writebacks: Sequence[WriteBack]) -> JobStatusLike: ...
    def wait_for_job(self, job: JobStatusLike, *, timeout: float = ...) -> JobStatusLike: ...
    def update_ticket(self, writeback: WriteBack) -> Ticket: ...
    def show_many(self, ids: Sequence[int]) -> list[Ticket]: ...


class WriteJournal(Protocol):
    """Durable record of writes in flight (see ``state.StateStore``)."""

    def begin(self, ticket_ids: Sequence[int]) -> None: ...
    def job_sent(self, job_id: str, ticket_ids: Sequence[int]) -> None: ...
    def end(self, ticket_ids: Sequence[int], job_ids: Sequence[str]) -> None: ...


@dataclass(frozen=True)
class WriteOutcome:
    ticket_id: int
    writeback: WriteBack | None  # what was finally written; None when nothing was needed
    error: TicketBotError | None = None


Replan = Callable[[Ticket], WriteBack | None]
"""Given a freshly read ticket, the write-back to make now (None: already done elsewhere)."""


class BatchWriter:
    """Collects write-backs, sends them as jobs, reports each ticket's outcome once."""

    def __init__(
        self,
        client: WritingHelpdesk,
        *,
        journal: WriteJournal,
        replan: Replan,
        on_outcome: Callable[[WriteOutcome], None],
        batch_size: int = 100,
        flush_after: float = 1.0,
        max_jobs: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._journal = journal
        self._replan = replan
        self._on_outcome = on_outcome
        self._batch_size = max(1, min(batch_size, 100))
        self._flush_after = flush_after
        self._clock = clock
        self._lock = threading.Lock()
        self._batch: list[WriteBack] = []
        self._batch_started = 0.0
        self._pool = ThreadPoolExecutor(max_workers=max_jobs, thread_name_prefix="writer")
        self._jobs: list[Future[None]] = []
        self._aborted: TicketBotError | None = None
        self._closed = threading.Event()
        self._timer = threading.Thread(target=self._flush_when_stale, daemon=True)
        self._timer.start()

    @property
    def aborted(self) -> TicketBotError | None:
        """The error that made writing pointless (auth, open breaker), if any."""
        return self._aborted

    def add(self, writeback: WriteBack) -> None:
        if self._aborted is not None:
            self._on_outcome(WriteOutcome(writeback.ticket_id, None, self._aborted))
            return
        with self._lock:
            if not self._batch:
                self._batch_started = self._clock()
            self._batch.append(writeback)
            if len(self._batch) >= self._batch_size:
                self._submit_locked()

    def close(self) -> None:
        """Send what is left and wait for every job; every added ticket has had its outcome."""
        with self._lock:
            if self._batch:
                self._submit_locked()
        self._closed.set()
        self._timer.join()
        for job in list(self._jobs):
            job.result()
        self._pool.shutdown(wait=True)

    # -- internals -------------------------------------------------------------------

    def _flush_when_stale(self) -> None:
        while not self._closed.wait(min(0.2, self._flush_after)):
            with self._lock:
                if self._batch and self._clock() - self._batch_started >= self._flush_after:
                    self._submit_locked()

    def _submit_locked(self) -> None:
        batch, self._batch = self._batch, []
        self._jobs.append(self._pool.submit(self._write_batch, batch))

    def _write_batch(self, batch: list[WriteBack]) -> None:
        ids = [wb.ticket_id for wb in batch]
        if self._aborted is not None:
            self._fail_all(batch, self._aborted)
            return
        settled: set[int] = set()

        def report(outcome: WriteOutcome) -> None:
            settled.add(outcome.ticket_id)
            self._on_outcome(outcome)

        jobs: list[str] = []
        try:
            self._journal.begin(ids)
            self._write_jobs(batch, jobs, report)
        except (AuthError, BreakerOpenError) as exc:
            # A definite refusal. A job whose id was recorded may still land: its tickets stay
            # in the journal for the next run to wait for. (A request whose answer was lost
            # may land too; its safe_update stamps refuse it on a ticket written since.)
            self._abort(exc)
            self._fail_all([wb for wb in batch if wb.ticket_id not in settled], exc)
            if not jobs:
                self._journal.end(ids, ())
            return
        self._journal.end(ids, jobs)

    def _write_jobs(
        self, batch: list[WriteBack], jobs: list[str], report: Callable[[WriteOutcome], None]
    ) -> None:
        """Write ``batch`` as a job, re-sending once; every ticket gets its outcome reported."""
        todo = batch
        for attempt in range(JOB_ATTEMPTS):
            if attempt > 0:
                todo = self._reread(todo, report)
                if not todo:
                    return
            try:
                job = self._client.update_many(todo)
                jobs.append(job.id)
                self._journal.job_sent(job.id, [wb.ticket_id for wb in todo])
                done = self._client.wait_for_job(job)
            except (AuthError, BreakerOpenError):
                raise
            except TicketBotError:
                # The job failed as a whole, or whether Zendesk took it is unknown (a cut
                # connection, a timeout): it may still land, so read the tickets again and
                # send only what is still to do; safe_update keeps the two from both landing.
                continue
            self._settle(todo, done, report)
            return
        self._write_singly(self._reread(todo, report), report)

    def _settle(
        self, batch: list[WriteBack], done: JobStatusLike, report: Callable[[WriteOutcome], None]
    ) -> None:
        """Report the job's successes; re-read and write singly what it did not do."""
        by_id = {wb.ticket_id: wb for wb in batch}
        failed: list[WriteBack] = []
        reported: set[int] = set()
        for result in done.results:
            if result.ticket_id is None or result.ticket_id not in by_id:
                continue
            reported.add(result.ticket_id)
            if result.success:
                report(WriteOutcome(result.ticket_id, by_id[result.ticket_id]))
            else:
                failed.append(by_id[result.ticket_id])
        failed.extend(wb for wb in batch if wb.ticket_id not in reported)
        if failed:
            self._write_singly(self._reread(failed, report), report)

    def _reread(
        self, batch: list[WriteBack], report: Callable[[WriteOutcome], None]
    ) -> list[WriteBack]:
        """Read ``batch`` again (100 tickets a request) and re-plan each ticket against what
        Zendesk holds now; a ticket already written (or gone) is reported, not returned."""
        if not batch:
            return []
        try:
            fresh = {t.id: t for t in self._client.show_many([wb.ticket_id for wb in batch])}
        except (AuthError, BreakerOpenError):
            raise
        except TicketBotError as exc:
            for writeback in batch:
                report(WriteOutcome(writeback.ticket_id, None, exc))
            return []
        todo: list[WriteBack] = []
        for writeback in batch:
            ticket = fresh.get(writeback.ticket_id)
            if ticket is None:
                gone = NotFoundError(
                    f"ticket {writeback.ticket_id} no longer exists", status_code=404
                )
                report(WriteOutcome(writeback.ticket_id, None, gone))
                continue
            plan = self._replan(ticket)
            if plan is None:  # the marker is already there: written before
                report(WriteOutcome(writeback.ticket_id, None))
            else:
                todo.append(plan)
        return todo

    def _write_singly(self, batch: list[WriteBack], report: Callable[[WriteOutcome], None]) -> None:
        for writeback in batch:
            if self._aborted is not None:
                report(WriteOutcome(writeback.ticket_id, None, self._aborted))
                continue
            report(self._write_one(writeback))

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
                assert current is not None
                self._client.update_ticket(current)
                return WriteOutcome(writeback.ticket_id, current)
            except ConflictError as exc:
                last_error = exc  # someone changed the ticket: re-read and re-merge
            except (AuthError, BreakerOpenError) as exc:
                self._abort(exc)
                return WriteOutcome(writeback.ticket_id, None, exc)
            except TicketBotError as exc:
                return WriteOutcome(writeback.ticket_id, None, exc)
        return WriteOutcome(writeback.ticket_id, None, last_error)

    def _fail_all(self, batch: list[WriteBack], error: TicketBotError) -> None:
        for writeback in batch:
            self._on_outcome(WriteOutcome(writeback.ticket_id, None, error))

    def _abort(self, exc: TicketBotError) -> None:
        if self._aborted is None:
            self._aborted = (
                exc if isinstance(exc, AuthError | BreakerOpenError) else RunAborted(str(exc))
            )
