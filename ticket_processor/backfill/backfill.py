"""``ticketbot backfill``: a first import or a re-triage of history, past the read windows.

Two paths, one promise (every ticket is written once, and a kill -9 anywhere loses none):

- **Batch API** (half price, results within 24 h) where the LLM endpoint serves it
  (``backfill_batch``). One invocation discovers the tickets since ``--since`` (its own cursor
  in the ledger's ``backfill.json``), prepares them exactly as ``run`` does (trimmed, redacted,
  capped: personal data never leaves), submits them as one batch and records the batch id, the
  tickets and the cursor after them. A later invocation polls; once the batch is over it puts
  the answers in the analysis cache under the keys ``run`` looks up and runs ``run_once`` over
  exactly those tickets: the same recovery, planner, writer, journal and processed marker as a
  scheduled run, so a ticket already triaged is skipped and a line that failed or did not
  validate misses the cache and goes through the online path (or the rules). Only then is the
  batch forgotten, and the next one submitted. An expired, failed or cancelled batch is said,
  and its tickets take the online path. A kill -9 before the batch is recorded costs an
  orphaned batch upstream, never a ticket.
- **Online** where the endpoint has no Batch API (404: Ollama, vLLM) or with ``--no-batch``:
  ``run_once`` slices with the backfill's cursor, each under the run lock with the helpdesk's
  limits, so scheduled runs and the backfill never write at once; between slices, when the
  helpdesk's read window is used up, the backfill waits for it (with the lock released)
  instead of ending. ``--max-runtime`` and SIGINT/SIGTERM stop it with its progress saved.

What both paths share (the record, a slice, the waits, the counts) is ``BackfillSession``'s;
the Batch API client is built from the settings here (``build_batch_client``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from ..errors import LLMError, StopRequested
from ..exitcodes import SIGNAL_EXIT, ExitCode
from ..llm_client.batch import LLMBatchClient
from ..passes.types import RunSummary
from ..resilience.runtime import Runtime
from ..resilience.signals import StopOnSignal
from ..settings import Settings
from ..state.lock import RunLock
from ..triage.taxonomy import Taxonomy, load_taxonomy
from .batch import BatchPath
from .session import BackfillOptions, BackfillResult, BackfillSession


class Backfill:
    """One ``ticketbot backfill`` invocation. Build it, call ``run()`` once."""

    def __init__(
        self,
        settings: Settings,
        options: BackfillOptions,
        runtime: Runtime | None = None,
        on_notice: Callable[[str], None] = lambda line: None,
    ) -> None:
        self.session = BackfillSession(settings, options, runtime, on_notice)

    def run(self) -> BackfillResult:
        session = self.session
        log = session.log
        try:
            with StopOnSignal(
                announce=lambda n: log.emit("stop_requested", signal=n), flag=session.runtime.stop
            ) as sig:
                session.stop = sig
                client = self._batch_client()
                try:
                    result = (
                        BatchPath(session, client).run(BackfillResult(path="batch", message=""))
                        if client
                        else self._online()
                    )
                except StopRequested as exc:
                    # A signal ended a wait outside a slice (reading tickets for a batch): nothing
                    # was submitted, the record and its cursor are as they were.
                    result = BackfillResult(
                        path="batch" if client else "online",
                        message=f"backfill paused ({exc.signal_name}); progress saved: "
                        "run `ticketbot backfill` again to continue",
                    )
                finally:
                    if client is not None:
                        client.close()
            result.notes = list(dict.fromkeys([*session.notes, *result.notes]))
            signal_name = sig()
            if signal_name is not None and result.exit_code == ExitCode.OK:
                result.exit_code = SIGNAL_EXIT.get(signal_name, ExitCode.TERMINATED)
            log.emit(
                "backfill_finished",
                path=result.path,
                batch_id=result.batch_id,
                submitted=result.submitted,
                triaged=result.triaged,
                failed=result.failed,
                complete=result.complete,
                exit_code=int(result.exit_code),
            )
            return result
        finally:
            log.close()

    # -- choosing the path ------------------------------------------------------------------

    def _batch_client(self) -> LLMBatchClient | None:
        session = self.session
        if not session.options.use_batch or not session.settings.llm_configured:
            return None
        client = build_batch_client(session.settings, taxonomy=session.taxonomy)
        try:
            if client.supports_batch():
                return client
            reason = "the LLM endpoint has no Batch API (404); triaging through the normal path"
        except LLMError as exc:
            reason = f"could not reach the Batch API ({exc}); triaging through the normal path"
        client.close()
        session.log.emit("backfill_online", reason=reason)
        return None

    # -- the online path --------------------------------------------------------------------

    def _online(self) -> BackfillResult:
        session = self.session
        result = BackfillResult(path="online", message="")
        with RunLock(session.settings.state_dir):
            record = session.record(session.ledger())
        if record.batch is not None:  # left by the batch path: its tickets first, online
            session.log.emit(
                "backfill_batch_failed",
                level="warning",
                batch_id=record.batch.batch_id,
                status="abandoned",
            )
            ids = tuple(sorted(int(i) for i in record.batch.tickets))
            summary = session.run_slice(ticket_ids=ids)
            session.count(result, summary)
            if summary.status not in ("ok", "partial") or summary.deferred:
                return self._ended(result, summary)
            with RunLock(session.settings.state_dir):
                ledger = session.ledger()
                ledger.save_backfill(session.record(ledger).model_copy(update={"batch": None}))
        since = datetime.fromtimestamp(record.since, UTC)
        while True:
            summary = session.run_slice(since=since)
            session.count(result, summary)
            if summary.status in ("aborted", "stopped") or summary.stopped_early not in (
                None,
                "caught_up",
                "read_window",
            ):
                return self._ended(result, summary)
            if summary.stopped_early != "read_window":
                return session.complete(result)
            session.log.emit("backfill_waiting", reason="read_window", triaged=result.triaged)
            if not session.wait_for(session.window_wait()):
                return self._ended(result, summary)

    def _ended(self, result: BackfillResult, summary: RunSummary) -> BackfillResult:
        result.exit_code = summary.exit_code or result.exit_code
        why = summary.reason or summary.stopped_early or "stopped"
        result.message = (
            f"backfill paused ({why}) after {result.triaged} ticket(s); progress saved: "
            "run `ticketbot backfill` again to continue"
        )
        return result


def run_backfill(
    settings: Settings,
    options: BackfillOptions,
    runtime: Runtime | None = None,
    *,
    on_notice: Callable[[str], None] = lambda line: None,
) -> BackfillResult:
    """One ``ticketbot backfill`` invocation (the library entry point); ``on_notice`` hears
    what must be said at once (a slice finishing an interrupted run's writes)."""
    return Backfill(settings, options, runtime, on_notice).run()


def build_batch_client(settings: Settings, *, taxonomy: Taxonomy | None = None) -> LLMBatchClient:
    """The Batch API client for the settings' endpoint and first model."""
    key = settings.openai_api_key
    return LLMBatchClient(
        model=settings.models[0],
        taxonomy=taxonomy if taxonomy is not None else load_taxonomy(settings.taxonomy_file),
        api_key=key.get_secret_value() if key else None,
        base_url=settings.openai_base_url,
        timeout=max(settings.llm_timeout, 60.0),
        reply_draft=settings.reply_draft,
        max_line_bytes=settings.llm_max_bytes,
        max_file_bytes=settings.batch_max_bytes,
    )
