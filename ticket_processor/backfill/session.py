"""What one ``ticketbot backfill`` invocation shares between its two paths (see ``backfill``).

``BackfillSession`` holds the invocation's settings, options, clock, log and stop, and does
what both the Batch API path (``backfill_batch``) and the online path (``backfill``) do: find
or start the backfill's record in the ledger, run a slice with ``run_once`` on the backfill's
own cursor, count a slice's outcome, wait out the helpdesk's read window with the lock
released, and close the backfill once nothing is left.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..common.atomic import SET_ASIDE_EVENT
from ..common.eventlog import EventLog, new_run_id
from ..errors import StopRequested
from ..exitcodes import ExitCode
from ..models import Helpdesk
from ..passes.types import RunSummary
from ..resilience.runtime import Runtime
from ..run.connect import connect
from ..run.runner import run_once
from ..settings import Settings
from ..state.ledger import RunLedger
from ..state.lock import RunLock
from ..state.shapes import BackfillFile
from ..triage.taxonomy import load_taxonomy

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
    # What the slices held back and left to an agent, summed, and the cautions the last slice
    # said: the backfill's line says them as a run's does (``commands.render.held_back_parts``).
    held_back: RunSummary = field(default_factory=lambda: RunSummary(run_id=""))


@dataclass(frozen=True)
class BackfillOptions:
    since: datetime | None = None
    use_batch: bool = True
    batch_size: int = DEFAULT_BATCH_SIZE
    max_runtime: float | None = None
    read_window_wait: float | None = None  # None: READ_WINDOW_WAIT
    shard: tuple[int, int] | None = None  # --shard i/n: the tickets whose id is i modulo n
    # Where the audit store is: a shard keeps its cursor, journal and lock in a state directory
    # of its own, but its decisions go to the one store every run writes (report, dashboard,
    # revert read it). None: the state directory's.
    audit_dir: Path | None = None


class BackfillSession:
    """One invocation's shared parts and steps; ``stop`` is set once signals are held."""

    def __init__(
        self,
        settings: Settings,
        options: BackfillOptions,
        runtime: Runtime | None = None,
        on_notice: Callable[[str], None] = lambda line: None,
    ) -> None:
        settings.require_helpdesk()
        self.settings = settings
        self.options = options
        self.runtime = runtime or Runtime()
        # What a slice says at once, as a run does ("finishing N writes of the interrupted run").
        self.on_notice = on_notice
        self.log = EventLog(settings.log_dir, run_id=new_run_id(), secrets=settings.scrubber())
        self.taxonomy = load_taxonomy(settings.taxonomy_file)
        self._started = self.runtime.clock()
        self.stop: Callable[[], str | None] = lambda: None
        self.notes: list[str] = []  # said once on stderr at the end
        if options.batch_size > settings.cache_entries and options.use_batch:
            self.notes.append(
                f"batches of {settings.cache_entries} tickets, not {options.batch_size}: "
                "the answers wait in the analysis cache (TICKETBOT_CACHE_ENTRIES)"
            )

    @property
    def batch_size(self) -> int:
        """Tickets a batch: as asked, but no more than the cache holds (see DEFAULT_BATCH_SIZE)."""
        return min(self.options.batch_size, self.settings.cache_entries)

    def ledger(self) -> RunLedger:
        return RunLedger(self.settings.state_dir)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """The run lock, for a step that touches the ledger; what stood in its place (a link,
        a directory) is set aside by the lock and said here once."""
        with RunLock(self.settings.state_dir) as held:
            if held.set_aside is not None:
                aside = held.set_aside
                self.log.emit(SET_ASIDE_EVENT, **aside.logged())
                self.notes.append(f"{aside.file} set aside ({aside.reason})")
            yield

    def record(self, ledger: RunLedger) -> BackfillFile:
        """The backfill under way, or a new one from ``--since`` (default: 24 hours back)."""
        found = ledger.backfill()
        for aside in ledger.take_set_aside():
            self.log.emit(SET_ASIDE_EVENT, **aside.logged())
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

    def run_slice(
        self, *, since: datetime | None = None, ticket_ids: tuple[int, ...] = ()
    ) -> RunSummary:
        """One ``run_once`` on the backfill's cursor (or over exactly ``ticket_ids``), within
        what is left of ``--max-runtime``: the lock, the limits and the writes of a run."""
        return run_once(
            self.settings,
            since=since,
            ticket_ids=ticket_ids,
            max_runtime=self.remaining(),
            runtime=self.runtime,
            backfill=True,
            shard=self.options.shard,
            on_notice=self.on_notice,
            audit_dir=self.options.audit_dir,
        )

    def complete(self, result: BackfillResult) -> BackfillResult:
        with self.lock():
            ledger = self.ledger()
            found = ledger.backfill()
            ledger.clear_backfill()
        self.log.emit("backfill_complete", triaged=result.triaged, path=result.path)
        result.complete = True
        done = f"{result.message}; " if result.message else ""
        if result.path == "online":
            # The batch path's own message counts what it collected; this one counts the slices'.
            done = (
                f"{done}triaged and wrote back {result.triaged} ticket(s) through the normal "
                f"path, {result.failed} failed; "
            )
        result.message = f"{done}backfill complete: {self._covered(found)}"
        return result

    def _covered(self, record: BackfillFile | None) -> str:
        """What the backfill covered, by its dates: "nothing left to triage among the tickets
        updated from 2026-11-01 00:00 to 2026-11-28 09:15 UTC"."""
        until = self.runtime.now().astimezone(UTC)
        if record is None:  # cleared by another process meanwhile: the dates are not known
            return f"nothing left to triage up to {until:%Y-%m-%d %H:%M} UTC"
        since = datetime.fromtimestamp(record.since, UTC)
        return (
            "nothing left to triage among the tickets updated from "
            f"{since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC"
        )

    def count(self, result: BackfillResult, summary: RunSummary) -> None:
        result.triaged += summary.triaged
        result.failed += summary.failed
        result.notes.extend(summary.warnings)
        held = result.held_back
        held.low_confidence += summary.low_confidence
        held.escalations_suggested += summary.escalations_suggested
        held.cautions.update(summary.cautions)
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
        if self.stop() is not None:
            return self.stop()
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
            try:
                self.runtime.sleep(min(WAIT_STEP, max(0.0, ends - self.runtime.clock())))
            except StopRequested:
                return False  # a signal ended the wait (the runtime's sleep)
        return self.stopping() is None
