"""One triage run: discover → prepare → analyse (LLM, rules on failure) → write back → record.

The pipeline owns the order of things and the guarantees between them:

- analyses run concurrently (``--workers`` threads) with a bound on tickets in flight, so
  memory does not grow with the backlog;
- identical tickets are analysed once (a content-hash cache across runs, and in-flight
  coalescing within a run);
- any LLM failure, or an open LLM breaker, sends the ticket to the keyword rules with the
  ``ai_fallback`` tag: every ticket is triaged;
- write-backs go through ``BatchWriter`` (``update_many`` jobs of up to 100 tickets);
- the saved cursor only passes tickets whose write-back finished (``Checkpoint``); tickets that
  failed are queued for the next run; a killed run's jobs are waited for before anything else;
- past ``--max-runtime`` no new ticket is taken and queued ones are left to the next run
  (``deferred``); the analyses under way and the writes are finished.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from .checkpoint import Checkpoint
from .discover import DiscoveredPage, Discovery
from .errors import AuthError, BreakerOpenError, HelpdeskError, RunAborted
from .models import Analysis, Status, Ticket, TokenUsage, Triage, WriteBack
from .prepare import PreparedTicket, prepare_ticket
from .tags import is_processed, plan_writeback
from .writer import BatchWriter, WriteOutcome

RETRY_LIMIT = 5  # runs a failing ticket is retried in before it is given up (and logged)
RECOVERY_WAIT = 5.0  # seconds a killed run's unrecorded job gets to land before re-reading


class Analyser(Protocol):
    def analyse(self, ticket: PreparedTicket) -> Triage: ...


class Rules(Protocol):
    def analyse(self, subject: str, body: str) -> Analysis: ...


class EventSink(Protocol):
    def emit(self, event: str, **fields: Any) -> dict[str, Any]: ...


class Cache(Protocol):
    def get(self, key: str) -> dict[str, Any] | None: ...
    def put(self, key: str, value: dict[str, Any]) -> None: ...
    def flush(self) -> None: ...


@dataclass(frozen=True)
class RunOptions:
    dry_run: bool = False
    limit: int | None = None
    workers: int = 8
    since: datetime | None = None  # first run only; default 24 hours back
    engine: Literal["llm", "rules"] = "llm"
    max_runtime: float | None = None
    query: str | None = None
    set_priority: bool = True
    prefix: str = "ai_"
    confidence_threshold: float = 0.5
    max_input_tokens: int = 2000
    cache_tag: str = ""  # what else an analysis depends on (models, taxonomy) for the cache key


@dataclass(frozen=True)
class PlannedChange:
    """One row of the dry-run table (and of the demo's result)."""

    ticket_id: int
    subject: str
    triage: Triage
    writeback: WriteBack


@dataclass
class RunSummary:
    run_id: str
    status: Literal["ok", "partial", "aborted"] = "ok"
    exit_code: int = 0
    tickets_seen: int = 0
    triaged: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0  # taken, but --max-runtime passed before a worker reached them
    fallback: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    reason: str | None = None
    stopped_early: str | None = None  # "limit" | "max_runtime"
    planned: list[PlannedChange] = field(default_factory=list)
    categories: dict[str, int] = field(default_factory=dict)

    def as_event(self) -> dict[str, Any]:
        fields = {
            key: value
            for key, value in self.__dict__.items()
            if key not in {"run_id", "planned", "categories"}
        }
        fields["categories"] = dict(self.categories)
        return fields


@dataclass
class _InFlight:
    ticket: Ticket
    prepared_subject: str
    started: float
    triage: Triage | None = None


class Pipeline:
    """Runs one batch. Build it with the parts; call ``run()`` once."""

    def __init__(
        self,
        *,
        client: Any,
        rules: Rules,
        analyser: Analyser | None,
        state: Any,
        cache: Cache,
        log: EventSink,
        options: RunOptions,
        run_id: str,
        price: Callable[[str | None, int, int], float] = lambda model, p, c: 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_progress: Callable[[str], None] = lambda event: None,
        writer_flush_after: float = 1.0,
    ) -> None:
        self.client = client
        self.rules = rules
        self.analyser = analyser if options.engine == "llm" else None
        self.state = state
        self.cache = cache
        self.log = log
        self.options = options
        self.run_id = run_id
        self.price = price
        self.clock = clock
        self.sleep = sleep
        self.now = now
        self.on_progress = on_progress
        self.summary = RunSummary(run_id=run_id)
        self._lock = threading.Lock()
        self._inflight: dict[int, _InFlight] = {}
        self._coalesce: dict[str, Future[Triage]] = {}
        self._checkpoint = Checkpoint()
        self._seen: set[int] = set()
        self._retry: dict[int, int] = {}
        self._slots = threading.BoundedSemaphore(options.workers + 300)
        self._writer_flush_after = writer_flush_after
        self._writer: BatchWriter | None = None
        self._started_at: datetime | None = None
        self._clock_started = 0.0

    # -- the run ---------------------------------------------------------------------

    def run(self) -> RunSummary:
        started = self.clock()
        self._clock_started = started
        self._started_at = self.now()
        opts = self.options
        self.log.emit(
            "run_started",
            engine=opts.engine if self.analyser or opts.engine == "rules" else "rules",
            dry_run=opts.dry_run,
            workers=opts.workers,
            limit=opts.limit,
            since=opts.since.isoformat() if opts.since else None,
            query=opts.query,
        )
        try:
            if not opts.dry_run:
                self._recover()
            self._retry = self._load_retry()
            self._process()
        except (AuthError, BreakerOpenError, RunAborted) as exc:
            self._abort(str(exc))
        except HelpdeskError as exc:
            self._abort(f"helpdesk unreachable or failing: {exc}")
        finally:
            self._finish(started)
        return self.summary

    def _process(self) -> None:
        opts = self.options
        discovery = Discovery(
            self.client,
            state=self.state,
            prefix=opts.prefix,
            since=opts.since or (self.now() - timedelta(hours=24)),
            query=opts.query,
            log=self.log,
            run_started=self._started_at,
            clock=self.clock,
            sleep=self.sleep,
        )
        if not opts.dry_run:
            self._writer = BatchWriter(
                self.client,
                journal=_StateJournal(self.state),
                replan=self._replan,
                on_outcome=self._on_written,
                flush_after=self._writer_flush_after,
            )
        taken = 0
        with ThreadPoolExecutor(opts.workers, thread_name_prefix="analyse") as pool:
            try:
                for page in self._pages(discovery):
                    self._checkpoint.open_page(page.after_cursor)
                    stop = None
                    for ticket in page.tickets:
                        stop = self._stop_reason(taken)
                        if stop:
                            break
                        if self._skip(ticket):
                            continue
                        taken += 1
                        self._take(pool, ticket)
                    for bad in page.malformed:
                        self._fail(_ticket_id(bad), "discover", "MalformedTicket", "malformed")
                    self._checkpoint.close_page(complete=stop is None)
                    if stop:
                        self.summary.stopped_early = stop
                        break
            finally:
                pool.shutdown(wait=True)
                if self._writer is not None:
                    self._writer.close()
        if self._writer is not None and self._writer.aborted is not None:
            raise RunAborted(str(self._writer.aborted))
        if not opts.dry_run:
            cursor = self._checkpoint.safe_cursor
            if cursor is not None:
                discovery.save_cursor(cursor, now=self.now())

    def _pages(self, discovery: Discovery) -> Iterator[DiscoveredPage]:
        if self._retry:
            tickets = self.client.show_many(sorted(self._retry))
            yield DiscoveredPage(tickets=tickets, after_cursor=None)
        yield from discovery.pages()

    def _past_deadline(self) -> bool:
        limit = self.options.max_runtime
        return limit is not None and self.clock() - self._clock_started >= limit

    def _defer(self, ticket_id: int) -> None:
        """Leave a queued ticket to the next run: --max-runtime passed before it was started."""
        with self._lock:
            self._inflight.pop(ticket_id, None)
            self.summary.deferred += 1
            self.summary.stopped_early = "max_runtime"
        self._checkpoint.abandon(ticket_id)
        self._slots.release()
        self.on_progress("ticket")

    def _stop_reason(self, taken: int) -> str | None:
        if self.options.limit is not None and taken >= self.options.limit:
            return "limit"
        if self._past_deadline():
            return "max_runtime"
        if self._writer is not None and self._writer.aborted is not None:
            return "aborted"
        return None

    def _skip(self, ticket: Ticket) -> bool:
        with self._lock:
            if ticket.id in self._seen:
                return True  # reappeared in the export (updated meanwhile): handled once
            self._seen.add(ticket.id)
            self.summary.tickets_seen += 1
            done = is_processed(ticket.tags, self.options.prefix) or ticket.status in (
                Status.SOLVED,
                Status.CLOSED,
            )
            if done:
                self.summary.skipped += 1
                self._retry.pop(ticket.id, None)
        return done

    def _take(self, pool: ThreadPoolExecutor, ticket: Ticket) -> None:
        self._slots.acquire()
        self._checkpoint.take(ticket.id)
        prepared = prepare_ticket(
            ticket.subject, ticket.description, max_tokens=self.options.max_input_tokens
        )
        # Keep what the write-back needs, not the (possibly huge) original body.
        slim = ticket.model_copy(update={"description": ""})
        with self._lock:
            self._inflight[ticket.id] = _InFlight(slim, prepared.subject, self.clock())
        pool.submit(self._analyse_and_queue, slim, prepared)

    # -- analysis --------------------------------------------------------------------

    def _analyse_and_queue(self, ticket: Ticket, prepared: PreparedTicket) -> None:
        if self._past_deadline():
            self._defer(ticket.id)
            return
        try:
            triage = self._triage(prepared)
        except Exception as exc:  # noqa: BLE001 - a bug in one ticket must not sink the batch
            self._fail(ticket.id, "analyse", type(exc).__name__, str(exc))
            return
        with self._lock:
            entry = self._inflight[ticket.id]
            entry.triage = triage
        writeback = self._plan(ticket, triage)
        if self._writer is None:
            self.summary.planned.append(
                PlannedChange(ticket.id, entry.prepared_subject, triage, writeback)
            )
            self._on_written(WriteOutcome(ticket.id, writeback))
        else:
            self._writer.add(writeback)

    def _triage(self, prepared: PreparedTicket) -> Triage:
        if self.analyser is None:
            return self._rules_triage(prepared, fallback=self.options.engine == "llm")
        key = hashlib.sha256(
            f"{prepared.content_hash}|{self.options.cache_tag}".encode()
        ).hexdigest()
        hit = self.cache.get(key)
        if hit is not None:
            try:
                return Triage.model_validate({**hit, "cached": True})
            except ValueError:
                pass  # a stale cache entry (older format): analyse again
        with self._lock:
            running = self._coalesce.get(key)
            if running is None:
                mine: Future[Triage] = Future()
                self._coalesce[key] = mine
        if running is not None:
            triage = running.result()
            return triage.model_copy(update={"cached": True, "usage": TokenUsage()})
        try:
            triage = self.analyser.analyse(prepared)
            self.cache.put(key, triage.model_dump(mode="json", exclude={"cached"}))
        except Exception as exc:  # noqa: BLE001 - any LLM failure falls back to the rules
            reason = f"{type(exc).__name__}: {exc}"[:200]
            triage = self._rules_triage(prepared, fallback=True, reason=reason)
        finally:
            with self._lock:
                self._coalesce.pop(key, None)
        mine.set_result(triage)
        return triage

    def _rules_triage(
        self, prepared: PreparedTicket, *, fallback: bool, reason: str | None = None
    ) -> Triage:
        analysis = self.rules.analyse(prepared.subject, prepared.body)
        if fallback and reason is None:
            reason = "no LLM configured"
        return Triage(analysis=analysis, engine="rules", fallback=fallback, fallback_reason=reason)

    def _plan(self, ticket: Ticket, triage: Triage) -> WriteBack:
        return plan_writeback(
            ticket_id=ticket.id,
            current_priority=ticket.priority,
            current_tags=ticket.tags,
            updated_at=ticket.updated_at,
            triage=triage,
            prefix=self.options.prefix,
            confidence_threshold=self.options.confidence_threshold,
            set_priority=self.options.set_priority,
            run_id=self.run_id,
        )

    def _replan(self, fresh: Ticket) -> WriteBack | None:
        if is_processed(fresh.tags, self.options.prefix):
            return None
        with self._lock:
            entry = self._inflight.get(fresh.id)
        if entry is None or entry.triage is None:
            return None
        return self._plan(fresh, entry.triage)

    # -- outcomes --------------------------------------------------------------------

    def _on_written(self, outcome: WriteOutcome) -> None:
        with self._lock:
            entry = self._inflight.pop(outcome.ticket_id, None)
        if entry is None:
            return
        if outcome.error is not None or entry.triage is None:
            error = outcome.error
            self._fail(
                outcome.ticket_id,
                "write",
                type(error).__name__ if error else "Unknown",
                str(error) if error else "no analysis",
                release=False,
            )
        else:
            self._record_triaged(entry, entry.triage, outcome.writeback)
        self._checkpoint.settle(outcome.ticket_id)
        self._slots.release()
        self.on_progress("ticket")

    def _record_triaged(self, entry: _InFlight, triage: Triage, wb: WriteBack | None) -> None:
        analysis = triage.analysis
        with self._lock:
            s = self.summary
            s.triaged += 1
            s.fallback += triage.fallback
            s.cached += triage.cached
            s.prompt_tokens += triage.usage.prompt_tokens
            s.completion_tokens += triage.usage.completion_tokens
            s.cost_usd += self.price(
                triage.model, triage.usage.prompt_tokens, triage.usage.completion_tokens
            )
            s.categories[analysis.category] = s.categories.get(analysis.category, 0) + 1
            self._retry.pop(entry.ticket.id, None)
        self.log.emit(
            "ticket_triaged",
            ticket_id=entry.ticket.id,
            category=analysis.category,
            urgency=analysis.urgency.value,
            sentiment=analysis.sentiment.value,
            language=analysis.language,
            confidence=analysis.confidence,
            engine=triage.engine,
            model=triage.model,
            fallback=triage.fallback,
            fallback_reason=triage.fallback_reason,
            cached=triage.cached,
            prompt_tokens=triage.usage.prompt_tokens,
            completion_tokens=triage.usage.completion_tokens,
            llm_seconds=round(triage.llm_seconds, 4),
            seconds=round(self.clock() - entry.started, 4),
            priority=wb.priority.value if wb and wb.priority else None,
            tags_added=list(wb.additional_tags) if wb else [],
            dry_run=self.options.dry_run,
        )

    def _fail(
        self, ticket_id: int | None, stage: str, error_type: str, error: str, release: bool = True
    ) -> None:
        with self._lock:
            self.summary.failed += 1
            if ticket_id is not None:
                self._retry[ticket_id] = self._retry.get(ticket_id, 0) + 1
        self.log.emit(
            "ticket_failed", ticket_id=ticket_id, stage=stage, error_type=error_type, error=error
        )
        if release and ticket_id is not None and stage == "analyse":
            with self._lock:
                self._inflight.pop(ticket_id, None)
            self._checkpoint.settle(ticket_id)
            self._slots.release()
            self.on_progress("ticket")

    def _abort(self, reason: str) -> None:
        self.summary.status = "aborted"
        self.summary.exit_code = 1
        self.summary.reason = reason

    # -- state between runs ------------------------------------------------------------

    def _recover(self) -> None:
        """Let a killed run's write jobs land before reading tickets again."""
        inflight = set(self.state.inflight())
        if not inflight:
            return
        jobs = (self.state.read_json("jobs") or {}).get("jobs", {})
        covered: set[int] = set()
        for job_id, ids in jobs.items():
            # Expired or unknown jobs raise; re-reading the tickets decides then.
            with contextlib.suppress(HelpdeskError):
                self.client.wait_for_job(_JobRef(str(job_id)), timeout=120.0)
            covered.update(int(i) for i in ids)
        if inflight - covered:
            self.sleep(RECOVERY_WAIT)
        self.log.emit("run_recovered", tickets=len(inflight), jobs=len(jobs))
        self.state.clear_inflight(inflight)
        self.state.write_json("jobs", {"jobs": {}})

    def _load_retry(self) -> dict[int, int]:
        data = self.state.read_json("retry") or {}
        return {int(k): int(v) for k, v in data.get("tickets", {}).items()}

    def _finish(self, started: float) -> None:
        s = self.summary
        s.seconds = round(self.clock() - started, 3)
        if s.status != "aborted" and s.failed:
            s.status, s.exit_code = "partial", 3
        if not self.options.dry_run:
            keep = {k: v for k, v in self._retry.items() if v < RETRY_LIMIT}
            for ticket_id in set(self._retry) - set(keep):
                self.log.emit("ticket_given_up", ticket_id=ticket_id, attempts=RETRY_LIMIT)
            self.state.write_json("retry", {"tickets": {str(k): v for k, v in keep.items()}})
        self.cache.flush()
        self.log.emit("run_finished", **s.as_event())


class _StateJournal:
    """``WriteJournal`` over the state directory; one lock so writer threads do not race."""

    def __init__(self, state: Any) -> None:
        self._state = state
        self._lock = threading.Lock()

    def begin(self, ticket_ids: Sequence[int]) -> None:
        with self._lock:
            self._state.mark_inflight(ticket_ids)

    def job_sent(self, job_id: str, ticket_ids: Sequence[int]) -> None:
        with self._lock:
            jobs = (self._state.read_json("jobs") or {}).get("jobs", {})
            jobs[job_id] = list(ticket_ids)
            self._state.write_json("jobs", {"jobs": jobs})

    def end(self, ticket_ids: Sequence[int], job_ids: Sequence[str]) -> None:
        with self._lock:
            self._state.clear_inflight(ticket_ids)
            if job_ids:
                jobs = (self._state.read_json("jobs") or {}).get("jobs", {})
                removed = [job_id for job_id in job_ids if jobs.pop(job_id, None) is not None]
                if removed:
                    self._state.write_json("jobs", {"jobs": jobs})


@dataclass(frozen=True)
class _JobRef:
    """Just enough of a job status to poll it again by id."""

    id: str
    status: str = "queued"
    results: Sequence[Any] = ()


def _ticket_id(raw: dict[str, Any]) -> int | None:
    value = raw.get("id")
    return value if isinstance(value, int) else None
