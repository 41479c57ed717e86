"""What a run settles with its ledger: recovery, set-aside files, its cursor, the retries.

``LedgerUpkeep`` settles a killed run's writes before anything is read, reports the state
files the ledger set aside (damaged, replaced by a safe default), and saves the retry queue at
the end, giving up a ticket after ``RETRY_LIMIT`` runs.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..models import Cursor
from .context import RunContext
from .record import RunRecorder

RETRY_LIMIT = 5  # runs a failing ticket is retried in before it is given up (and logged)


def recovery_notice(tickets: int, jobs: int) -> str:
    """What the user is told when a run starts by settling a killed run's writes."""
    writes = "write" if tickets == 1 else "writes"
    queued = f" ({jobs} helpdesk job(s) to look up)" if jobs else ""
    return (
        f"finishing {tickets} {writes} of the interrupted run{queued}: a run stopped hard "
        "(kill -9, power loss) left them unconfirmed; each is checked once, never written twice"
    )


class LedgerUpkeep:
    """The ledger's side of one run."""

    def __init__(self, ctx: RunContext, record: RunRecorder) -> None:
        self.helpdesk = ctx.helpdesk
        self.ledger = ctx.ledger
        self.log = ctx.log
        self.stream = ctx.stream
        self.notice = ctx.on_notice
        self.record = record
        self._saved_cursor: Cursor | None = None

    def save_cursor(self, cursor: Cursor | None) -> None:
        """Save the checkpoint's safe cursor when it moved (only then: a write each time)."""
        if cursor is None or cursor is self._saved_cursor:
            return
        self._saved_cursor = cursor
        self.ledger.save_cursor(cursor, helpdesk=self.helpdesk.kind, stream=self.stream)

    def recover(self) -> None:
        """Settle a killed run's writes before reading tickets again."""
        inflight = self.ledger.inflight()
        if not inflight:
            return
        jobs = self.ledger.jobs()
        # Settling them may take a while (a job to poll, each ticket's notes to read): say
        # what the run is doing before it does it, not after a silence.
        self.notice(recovery_notice(len(inflight), len(jobs)))
        self.log.emit("run_recovering", tickets=len(inflight), jobs=len(jobs))
        kept = self.helpdesk.recover(jobs, sorted(inflight))
        self.log.emit("run_recovered", tickets=len(inflight), jobs=len(jobs))
        self.ledger.clear_journal()
        if kept:  # noted but not updated yet: a run killed again before it must still know
            self.ledger.begin(kept)

    def report_set_aside(self) -> None:
        for aside in self.ledger.take_set_aside():
            self.record.set_aside(aside.file)
            self.log.emit(
                "state_file_set_aside",
                level="warning",
                file=aside.file,
                moved_to=aside.moved_to,
                reason=aside.reason,
            )

    def save_retry_queue(self, retry: Mapping[int, int]) -> None:
        keep = {k: v for k, v in retry.items() if v < RETRY_LIMIT}
        for ticket_id in set(retry) - set(keep):
            self.log.emit("ticket_given_up", ticket_id=ticket_id, attempts=RETRY_LIMIT)
        self.ledger.save_retry_queue(keep)
