"""A run that failed where its pipeline could not record it, recorded as one that aborted in it.

The pipeline opens a run's record (``run_started``) once every part is built, and writes it
(``run_finished``, ``last_run.json``) whatever happens to its tickets; the passes after it then
alert. A run can fail before that: while its parts are built (the routes' or the fields' first
request to the helpdesk meets refused credentials or a closed port, a state file or the help
centre's index cannot be used), or by an error that escapes the pipeline. ``record_failure``
gives such a run the same trace: the two events (the audit store hears them through the log),
``last_run.json`` (which ``health`` reads), the "run aborted" alert and the run's figures
(``order.closing_passes``). It needs the settings, the log and the ledger only, so which parts
were built changes nothing in what a failed run leaves.
"""

from __future__ import annotations

from collections.abc import Callable

from ..common.eventlog import EventLog
from ..errors import TicketBotError
from ..exitcodes import ExitCode
from ..passes.protocol import RunEnd, after_writes
from ..passes.types import RunOptions, RunSummary
from ..settings import Settings
from ..state.ledger import RunLedger
from .build import alerter_for
from .order import closing_passes
from .record import abort_reason, failure_reason, record_run_end, run_started_fields


def record_failure(
    settings: Settings,
    options: RunOptions,
    ledger: RunLedger,
    log: EventLog,
    error: Exception,
    *,
    run_id: str,
    recorded: RunSummary | None = None,
    backfill: bool = False,
    llm_alerted: Callable[[], bool] = lambda: False,
) -> RunSummary | None:
    """Record the run that ``error`` ended, send what its end calls for and close the log.

    ``recorded``: the pipeline's summary when the pipeline had written the record already (an
    error it could not handle: it recorded the run aborted); None when the run failed before
    its record was opened. Returns the run's summary when ``error`` aborts the run
    (``record.abort_reason``: refused credentials, a helpdesk out of reach), for the command to
    report as it reports an abort in the pipeline, whichever request met it first; None when the
    caller raises ``error`` again for the command to say as its own (a setting, a state file).
    Recording is best effort: a failure to record is logged, and ``error`` is still the one
    reported."""
    summary = recorded
    if summary is None:
        summary = RunSummary(
            run_id=run_id,
            status="aborted",
            exit_code=error.exit_code if isinstance(error, TicketBotError) else ExitCode.ABORTED,
            helpdesk=settings.helpdesk,
            engine=options.engine,
            reason=failure_reason(error, query=options.query),
            backfill=backfill,
        )
    try:
        if recorded is None:
            log.emit("run_started", **run_started_fields(options, settings.helpdesk))
            record_run_end(summary, log, ledger, dry_run=options.dry_run)
        end = RunEnd(
            run_id,
            summary,
            log,
            dry_run=options.dry_run,
            shadow=options.shadow,
            backfill=backfill,
        )
        alerter = alerter_for(settings, ledger)
        after_writes(closing_passes(settings, options, alerter, llm_alerted=llm_alerted), end)
    except Exception as failed:  # noqa: BLE001 - the run's own error is the one to report
        log.emit("run_record_failed", level="error", error=f"{type(failed).__name__}: {failed}")
    log.close()
    aborts = recorded is None and abort_reason(error, query=options.query) is not None
    return summary if aborts else None
