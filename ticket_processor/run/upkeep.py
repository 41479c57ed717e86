"""What a run settles with its ledger: recovery, set-aside files, its cursor, the retries.

``LedgerUpkeep`` settles a killed run's writes before anything is read, reports the state
files the ledger set aside (damaged, replaced by a safe default), and saves the retry queue at
the end, giving up a ticket after ``RETRY_LIMIT`` runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ..models import Cursor
from ..resilience.deadline import RunDeadline
from .context import RunContext
from .record import RunRecorder

RETRY_LIMIT = 5  # runs a failing ticket is retried in before it is given up (and logged)


def recovery_notice(tickets: int, jobs: int) -> str:
    """What the user is told when a run starts by settling a killed run's writes."""
    writes = "write" if tickets == 1 else "writes"
    queued = f" ({jobs} helpdesk job(s) to look up)" if jobs else ""
    return (
        f"finishing {tickets} {writes} of the interrupted run{queued}: a run stopped hard "
        "(kill -9, power loss) or cut short (its --max-runtime, a signal) left them "
        "unconfirmed; each is checked once, never written twice"
    )


class LedgerUpkeep:
    """The ledger's side of one run."""

    def __init__(self, ctx: RunContext, record: RunRecorder) -> None:
        self.helpdesk = ctx.helpdesk
        self.ledger = ctx.ledger
        self.log = ctx.log
        self.stream = ctx.stream
        self.notice = ctx.on_notice
        self.runtime = ctx.runtime
        self.settle_s = ctx.write_settle_s
        self.record = record
        self._saved_cursor: Cursor | None = None

    def save_cursor(self, cursor: Cursor | None) -> None:
        """Save the checkpoint's safe cursor when it moved (only then: a write each time)."""
        if cursor is None or cursor is self._saved_cursor:
            return
        self._saved_cursor = cursor
        self.ledger.save_cursor(cursor, helpdesk=self.helpdesk.kind, stream=self.stream)

    def recover(self, deadline: RunDeadline | None = None) -> None:
        """Settle a killed run's writes before reading tickets again."""
        inflight = self.ledger.inflight()
        if not inflight:
            return
        self._let_cut_writes_land(deadline)
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

    def _let_cut_writes_land(self, deadline: RunDeadline | None) -> None:
        """A run that finished with writes unconfirmed (its bound or a signal gave up on them)
        may have left them still being answered: a note that lands after recovery looked for
        it would be written twice. Wait until the helpdesk's read timeout has passed since
        that run finished (a cron run minutes later never waits); ``RunOutOfTime`` when this
        run's own bound ends first, so the next run settles them."""
        last = self.ledger.last_run()
        if not last or not last.get("unsettled_writes"):
            return  # killed (no finish recorded), or nothing left: nothing is still in the air
        try:
            finished = datetime.fromisoformat(str(last["finished_at"]))
        except ValueError:
            return
        try:
            left = self.settle_s - (self.runtime.now() - finished).total_seconds()
        except TypeError:  # a time without its zone: not one this ledger wrote
            return
        if not 0 < left <= self.settle_s:
            return
        waited = left if deadline is None else deadline.cap(left)
        self.notice(
            f"waiting {left:.0f} s for the writes the last run cut short to land before "
            "looking for them (the helpdesk may still be answering them)"
        )
        self.log.emit("run_recovery_wait", seconds=round(left, 1))
        self.runtime.sleep(waited)
        if waited < left and deadline is not None:
            raise deadline.out_of_time("settling the interrupted run's writes")

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
