"""Write-back, whatever the helpdesk: collect planned changes into batches and hand each batch
to the helpdesk's ``write_batch``, reporting every ticket's outcome exactly once.

``BatchWriter`` sends a batch when it is full (the helpdesk's ``limits.batch_size``) or has
waited ``flush_after`` seconds, up to ``max_jobs`` batches at a time. An ``AuthError`` or an open
breaker ends writing for the run (``aborted``): the tickets of that batch that had no outcome
yet, and every later one, fail with it. ``DryRunWriter`` has the same face and writes nothing:
a dry run plans through exactly the code a real run uses.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol

from ..errors import AuthError, BreakerOpenError, RunAborted, TicketBotError
from ..models import Helpdesk, Replan, WriteBack, WriteJournal, WriteOutcome

OnOutcome = Callable[[WriteOutcome], None]


class Writer(Protocol):
    @property
    def aborted(self) -> TicketBotError | None: ...
    def add(self, writeback: WriteBack) -> None: ...
    def close(self) -> None: ...


class WriteClaims(Protocol):
    """Claims on tickets around one write batch (``state.claims.TicketClaims``): another
    ticketbot process on the same state directory (a run beside ``serve``) waits for them."""

    def hold(self, ticket_ids: Iterable[int]) -> AbstractContextManager[None]: ...


class DryRunWriter:
    """Writes nothing: every planned change is reported as if written."""

    def __init__(self, on_outcome: OnOutcome) -> None:
        self._on_outcome = on_outcome

    @property
    def aborted(self) -> TicketBotError | None:
        return None

    def add(self, writeback: WriteBack) -> None:
        self._on_outcome(WriteOutcome(writeback.ticket_id, writeback))

    def close(self) -> None:
        return None


class BatchWriter:
    """Collects write-backs, sends them in batches, reports each ticket's outcome once."""

    def __init__(
        self,
        helpdesk: Helpdesk,
        *,
        journal: WriteJournal,
        replan: Replan,
        on_outcome: OnOutcome,
        flush_after: float = 1.0,
        max_jobs: int = 4,
        clock: Callable[[], float] = time.monotonic,
        claims: WriteClaims | None = None,
    ) -> None:
        self._helpdesk = helpdesk
        self._claims = claims
        self._journal = journal
        self._replan = replan
        self._on_outcome = on_outcome
        self._batch_size = max(1, helpdesk.limits.batch_size)
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
        if self._aborted is not None or self._closed.is_set():
            error = self._aborted or RunAborted("the run stopped before this ticket was written")
            self._on_outcome(WriteOutcome(writeback.ticket_id, None, error))
            return
        with self._lock:
            if not self._batch:
                self._batch_started = self._clock()
            self._batch.append(writeback)
            if len(self._batch) >= self._batch_size:
                self._submit_locked()

    def close(self) -> None:
        """Send what is left and wait for every batch: every added ticket has its outcome."""
        with self._lock:
            if self._batch:
                self._submit_locked()
            self._closed.set()
        self._timer.join()
        for job in list(self._jobs):
            job.result()
        self._pool.shutdown(wait=True)

    def _flush_when_stale(self) -> None:
        while not self._closed.wait(min(0.2, self._flush_after)):
            with self._lock:
                if self._batch and self._clock() - self._batch_started >= self._flush_after:
                    self._submit_locked()

    def _submit_locked(self) -> None:
        batch, self._batch = self._batch, []
        self._jobs.append(self._pool.submit(self._write_batch, batch))

    def _write_batch(self, batch: list[WriteBack]) -> None:
        settled: set[int] = set()

        def report(outcome: WriteOutcome) -> None:
            if outcome.ticket_id in settled:
                return  # an adapter that reported twice: the first word stands
            settled.add(outcome.ticket_id)
            self._on_outcome(outcome)

        error: TicketBotError | None = self._aborted
        if error is None:
            ids = [writeback.ticket_id for writeback in batch]
            try:
                with self._claims.hold(ids) if self._claims is not None else nullcontext():
                    self._helpdesk.write_batch(
                        batch, replan=self._replan, journal=self._journal, report=report
                    )
            except (AuthError, BreakerOpenError) as exc:
                self._abort(exc)
                error = exc
            except TicketBotError as exc:
                error = exc
            except Exception as exc:  # noqa: BLE001 - a bug must fail tickets, not lose them
                error = TicketBotError(f"write failed unexpectedly: {type(exc).__name__}: {exc}")
        missing = error or TicketBotError("the helpdesk reported no outcome for this ticket")
        for writeback in batch:
            if writeback.ticket_id not in settled:
                report(WriteOutcome(writeback.ticket_id, None, missing))

    def _abort(self, exc: TicketBotError) -> None:
        if self._aborted is None:
            self._aborted = exc
