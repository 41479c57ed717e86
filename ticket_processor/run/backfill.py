"""``ticketbot backfill``: a first import or a re-triage of history, past the read windows.

Two paths, one promise (every ticket is written once, and a kill -9 anywhere loses none):

- **Batch API** (half price, results within 24 h) where the LLM endpoint serves it. One
  invocation discovers the tickets since ``--since`` (its own cursor in ``backfill.json``),
  prepares them exactly as ``run`` does (trimmed, redacted, capped: personal data never leaves),
  submits them as one batch and records the batch id, the tickets and the cursor after them.
  A later invocation polls; once the batch is over it puts the answers in the analysis cache
  under the keys ``run`` looks up and runs ``run_once`` over exactly those tickets: the same
  recovery, planner, writer, journal and processed marker as a scheduled run, so a ticket
  already triaged is skipped and a line that failed or did not validate misses the cache and
  goes through the online path (or the rules). Only then is the batch forgotten, and the next
  one submitted. An expired, failed or cancelled batch is said, and its tickets take the online
  path. A kill -9 before the batch is recorded costs an orphaned batch upstream, never a ticket.
- **Online** where the endpoint has no Batch API (404: Ollama, vLLM) or with ``--no-batch``:
  ``run_once`` slices with the backfill's cursor, each under the run lock with the helpdesk's
  limits, so scheduled runs and the backfill never write at once; between slices, when the
  helpdesk's read window is used up, the backfill waits for it (with the lock released)
  instead of ending. ``--max-runtime`` and SIGINT/SIGTERM stop it with its progress saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..errors import LLMError
from ..exitcodes import SIGNAL_EXIT, ExitCode
from ..helpdesks.factory import connect
from ..helpdesks.protocol import Helpdesk
from ..llm_client.batch import LLMBatchClient, build_batch_client
from ..ops.logs import EventLog, new_run_id
from ..settings import Settings
from ..state.ledger import RunLedger
from ..state.lock import RunLock
from ..state.shapes import BackfillFile
from ..triage.taxonomy import load_taxonomy
from .backfill_batch import BatchPath
from .runner import run_once
from .runtime import Runtime
from .signals import StopOnSignal
from .types import RunSummary

# Tickets a batch (OpenAI allows 50,000). The answers wait in the analysis cache until the
# write-back reads them, so a batch is never larger than the cache (TICKETBOT_CACHE_ENTRIES).
DEFAULT_BATCH_SIZE = 5000
READ_WINDOW_WAIT = 60.0  # the helpdesk's read window: Zendesk counts exports per minute
WAIT_STEP = 1.0  # seconds between looks at a stop while waiting


@dataclass
class BackfillResult:
    """What one invocation did; ``exit_code`` follows ``ExitCode``."""

    path: str  # "batch" | "online"
    message: str
    exit_code: int = ExitCode.OK
    batch_id: str | None = None
    submitted: int = 0
    triaged: int = 0
    failed: int = 0
    complete: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BackfillOptions:
    since: datetime | None = None
    use_batch: bool = True
    batch_size: int = DEFAULT_BATCH_SIZE
    max_runtime: float | None = None
    read_window_wait: float | None = None  # None: READ_WINDOW_WAIT


class Backfill:
    """One ``ticketbot backfill`` invocation. Build it, call ``run()`` once."""

    def __init__(
        self, settings: Settings, options: BackfillOptions, runtime: Runtime | None = None
    ) -> None:
        settings.require_helpdesk()
        self.settings = settings
        self.options = options
        self.runtime = runtime or Runtime()
        self.log = EventLog(settings.log_dir, run_id=new_run_id(), secrets=settings.scrubber())
        self.taxonomy = load_taxonomy(settings.taxonomy_file)
        self._started = self.runtime.clock()
        self._stop: Callable[[], str | None] = lambda: None
        self.notes: list[str] = []  # said once on stderr at the end
        if options.batch_size > settings.cache_entries and options.use_batch:
            self.notes.append(
                f"batches of {settings.cache_entries} tickets, not {options.batch_size}: "
                "the answers wait in the analysis cache (TICKETBOT_CACHE_ENTRIES)"
            )

    def run(self) -> BackfillResult:
        try:
            with StopOnSignal(announce=lambda n: self.log.emit("stop_requested", signal=n)) as sig:
                self._stop = sig
                client = self._batch_client()
                try:
                    result = (
                        BatchPath(self, client).run(BackfillResult(path="batch", message=""))
                        if client
                        else self._online()
                    )
                finally:
                    if client is not None:
                        client.close()
            result.notes = list(dict.fromkeys([*self.notes, *result.notes]))
            signal_name = sig()
            if signal_name is not None and result.exit_code == ExitCode.OK:
                result.exit_code = SIGNAL_EXIT.get(signal_name, ExitCode.TERMINATED)
            self.log.emit(
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
            self.log.close()

    # -- choosing the path ------------------------------------------------------------------

    def _batch_client(self) -> LLMBatchClient | None:
        if not self.options.use_batch or not self.settings.llm_configured:
            return None
        client = build_batch_client(self.settings, taxonomy=self.taxonomy)
        try:
            if client.supports_batch():
                return client
            reason = "the LLM endpoint has no Batch API (404); triaging through the normal path"
        except LLMError as exc:
            reason = f"could not reach the Batch API ({exc}); triaging through the normal path"
        client.close()
        self.log.emit("backfill_online", reason=reason)
        return None

    @property
    def batch_size(self) -> int:
        """Tickets a batch: as asked, but no more than the cache holds (see DEFAULT_BATCH_SIZE)."""
        return min(self.options.batch_size, self.settings.cache_entries)

    def ledger(self) -> RunLedger:
        return RunLedger(self.settings.state_dir)

    def record(self, ledger: RunLedger) -> BackfillFile:
        """The backfill under way, or a new one from ``--since`` (default: 24 hours back)."""
        found = ledger.backfill()
        for aside in ledger.take_set_aside():
            self.log.emit("state_file_set_aside", level="warning", file=aside.file,
                          moved_to=aside.moved_to, reason=aside.reason)  # fmt: skip
            self.notes.append(
                f"damaged {aside.file} set aside ({aside.reason}): the backfill starts again "
                "from --since (the processed marker skips what was done)"
            )
        since = self.options.since
        if found is not None:
            if since is not None and int(since.timestamp()) != found.since:
                began = datetime.fromtimestamp(found.since, UTC).isoformat()
                self.notes.append(f"a backfill since {began} is under way: continuing it")
            return found
        since = since or (self.runtime.now() - timedelta(hours=24))
        record = BackfillFile(
            since=int(since.timestamp()), started_at=self.runtime.now().isoformat()
        )
        ledger.save_backfill(record)
        return record

    # -- the online path --------------------------------------------------------------------

    def _online(self) -> BackfillResult:
        result = BackfillResult(path="online", message="")
        with RunLock(self.settings.state_dir):
            record = self.record(self.ledger())
        if record.batch is not None:  # left by the batch path: its tickets first, online
            self.log.emit(
                "backfill_batch_failed",
                level="warning",
                batch_id=record.batch.batch_id,
                status="abandoned",
            )
            ids = tuple(sorted(int(i) for i in record.batch.tickets))
            summary = run_once(
                self.settings,
                ticket_ids=ids,
                backfill=True,
                max_runtime=self.remaining(),
                runtime=self.runtime,
            )
            self.count(result, summary)
            if summary.status not in ("ok", "partial") or summary.deferred:
                return self._ended(result, summary)
            with RunLock(self.settings.state_dir):
                ledger = self.ledger()
                ledger.save_backfill(self.record(ledger).model_copy(update={"batch": None}))
        since = datetime.fromtimestamp(record.since, UTC)
        while True:
            summary = run_once(
                self.settings,
                since=since,
                max_runtime=self.remaining(),
                runtime=self.runtime,
                backfill=True,
            )
            self.count(result, summary)
            if summary.status in ("aborted", "stopped") or summary.stopped_early not in (
                None,
                "caught_up",
                "read_window",
            ):
                return self._ended(result, summary)
            if summary.stopped_early != "read_window":
                return self.complete(result)
            self.log.emit("backfill_waiting", reason="read_window", triaged=result.triaged)
            if not self.wait_for(self.window_wait()):
                return self._ended(result, summary)

    def _ended(self, result: BackfillResult, summary: RunSummary) -> BackfillResult:
        result.exit_code = summary.exit_code or result.exit_code
        why = summary.reason or summary.stopped_early or "stopped"
        result.message = (
            f"backfill paused ({why}) after {result.triaged} ticket(s); progress saved: "
            "run `ticketbot backfill` again to continue"
        )
        return result

    # -- shared -----------------------------------------------------------------------------

    def complete(self, result: BackfillResult) -> BackfillResult:
        with RunLock(self.settings.state_dir):
            self.ledger().clear_backfill()
        self.log.emit("backfill_complete", triaged=result.triaged, path=result.path)
        result.complete = True
        done = f"{result.message}; " if result.message else ""
        result.message = f"{done}backfill complete: nothing more to triage since the start"
        return result

    def count(self, result: BackfillResult, summary: RunSummary) -> None:
        result.triaged += summary.triaged
        result.failed += summary.failed
        result.notes.extend(summary.warnings)
        if summary.failed and result.exit_code == ExitCode.OK:
            result.exit_code = ExitCode.PARTIAL
        if summary.status == "aborted":
            result.exit_code = ExitCode.ABORTED

    def helpdesk(self) -> Helpdesk:
        rt = self.runtime
        return connect(self.settings, sleep=rt.sleep, clock=rt.clock, rng=rt.rng)

    def remaining(self) -> float | None:
        limit = self.options.max_runtime
        if limit is None:
            return None
        return max(1.0, limit - (self.runtime.clock() - self._started))

    def stopping(self) -> str | None:
        if self._stop() is not None:
            return self._stop()
        limit = self.options.max_runtime
        if limit is not None and self.runtime.clock() - self._started >= limit:
            return "max_runtime"
        return None

    def window_wait(self) -> float:
        return self.options.read_window_wait or READ_WINDOW_WAIT

    def wait_for(self, seconds: float) -> bool:
        """Wait for the read window with the lock released; False when told to stop."""
        ends = self.runtime.clock() + seconds
        while self.runtime.clock() < ends:
            if self.stopping() is not None:
                return False
            self.runtime.sleep(min(WAIT_STEP, max(0.0, ends - self.runtime.clock())))
        return self.stopping() is None


def run_backfill(
    settings: Settings, options: BackfillOptions, runtime: Runtime | None = None
) -> BackfillResult:
    """One ``ticketbot backfill`` invocation (the library entry point)."""
    return Backfill(settings, options, runtime).run()
