"""The Batch API path of ``ticketbot backfill`` (see ``backfill``): submit, poll, collect.

One invocation submits the tickets discovered since the backfill's cursor as one batch and
records it; a later one polls, and once the batch is over puts its answers where ``run`` looks
first (the analysis cache, under the keys of the tickets' prepared text) and runs ``run_once``
over exactly those tickets, then submits the next batch. Discovery is the shared
``common.ticket_stream.TicketStream``, and which tickets go in a batch ``scope.choose`` decides,
as it does for ``run``.
"""

from __future__ import annotations

from ..common.ticket_stream import TicketStream, holds_updates_since
from ..errors import LLMError, UnknownBatch
from ..llm_client.batch import LLMBatchClient
from ..models import Cursor, Helpdesk, Triage
from ..run.build import analysis_cache_tag
from ..state.cache import AnalysisCache
from ..state.ledger import RunLedger
from ..state.shapes import BackfillFile, BatchRecord, CursorRecord
from ..triage.chain import cache_key
from ..triage.prepare import PreparedTicket, prepare_ticket
from ..writeback.scope import choose, in_shard, parse_scope
from .session import BackfillResult, BackfillSession


class BatchPath:
    """The batch half of one invocation, over its session's settings, log and ledger."""

    def __init__(self, owner: BackfillSession, client: LLMBatchClient) -> None:
        self.owner = owner
        self.client = client

    # -- the Batch API path -----------------------------------------------------------------

    def run(self, result: BackfillResult) -> BackfillResult:
        with self.owner.lock():
            record = self.owner.record(self.owner.ledger())
        if record.batch is not None:
            if not self._collect(record.batch, result):
                return result
            with self.owner.lock():
                ledger = self.owner.ledger()
                record = self.owner.record(ledger).model_copy(update={"batch": None})
                ledger.save_backfill(record)
        if self.owner.stopping() is not None:
            result.message = result.message or "stopped; run `ticketbot backfill` again"
            return result
        if record.discovered_all:
            return self.owner.complete(result)
        with self.owner.lock():
            submitted = self._submit(self.owner.ledger(), record, result)
        return result if submitted else self.owner.complete(result)

    def _collect(self, batch: BatchRecord, result: BackfillResult) -> bool:
        """Poll; when the batch is over, write its tickets back. True when it is done with.

        A batch the endpoint does not know (``UnknownBatch``: purged, another project or
        endpoint) is over too: its tickets go through the normal path, and once they are
        written its record is dropped like any collected batch's."""
        result.batch_id = batch.batch_id
        try:
            state = self.client.poll(batch.batch_id)
        except UnknownBatch as exc:
            self._unknown(batch, exc, result)
            return self._write_back(batch, {}, "unknown", result)
        if not state.done:
            self.owner.log.emit(
                "backfill_waiting",
                batch_id=batch.batch_id,
                status=state.status,
                completed=state.completed,
                total=state.total,
            )
            result.message = (
                f"batch {batch.batch_id} is {state.status} ({state.completed} of "
                f"{state.total or len(batch.tickets)} done); run `ticketbot backfill` again "
                "later to collect (results within 24 h)"
            )
            return False
        try:
            answers = self.client.collect(batch.batch_id)
        except UnknownBatch as exc:
            self._unknown(batch, exc, result)
            return self._write_back(batch, {}, "unknown", result)
        except LLMError as exc:
            answers = {}
            result.notes.append(f"could not read batch {batch.batch_id}'s results: {exc}")
        if state.status != "completed":
            result.notes.append(
                f"batch {batch.batch_id} ended {state.status}: its tickets without an answer "
                "go through the normal path"
            )
            self.owner.log.emit(
                "backfill_batch_failed",
                level="warning",
                batch_id=batch.batch_id,
                status=state.status,
                answered=len(answers),
            )
        return self._write_back(batch, answers, state.status, result)

    def _unknown(self, batch: BatchRecord, exc: UnknownBatch, result: BackfillResult) -> None:
        """Say it in one line: which batch, what happened, where its tickets go."""
        count = len(batch.tickets)
        result.notes.append(f"{exc}: its {count} ticket(s) go through the normal path")
        self.owner.log.emit(
            "backfill_batch_unknown",
            level="warning",
            batch_id=batch.batch_id,
            tickets=count,
            reason=str(exc),
        )

    def _write_back(
        self,
        batch: BatchRecord,
        answers: dict[str, Triage | LLMError],
        status: str,
        result: BackfillResult,
    ) -> bool:
        """Run the batch's tickets (its answers in the cache first); True when all are done."""
        from_batch = self._seed_cache(batch, answers)
        ids = tuple(sorted(int(i) for i in batch.tickets))
        summary = self.owner.run_slice(ticket_ids=ids)
        self.owner.count(result, summary)
        self.owner.log.emit(
            "backfill_collected",
            batch_id=batch.batch_id,
            status=status,
            tickets=len(ids),
            from_batch=from_batch,
            online=len(ids) - from_batch,
            triaged=summary.triaged,
            skipped=summary.skipped,
            failed=summary.failed,
            run=summary.run_id,
        )
        done = summary.status in ("ok", "partial") and not summary.deferred
        if done:
            result.message = (
                f"collected batch {batch.batch_id}: {summary.triaged} ticket(s) triaged, "
                f"{summary.failed} failed (left to the scheduled runs' retries)"
            )
        else:
            result.exit_code = summary.exit_code or result.exit_code
            result.message = (
                f"batch {batch.batch_id} collected only in part ({summary.reason or 'stopped'}); "
                "run `ticketbot backfill` again to finish it"
            )
        return done

    def _seed_cache(self, batch: BatchRecord, answers: dict[str, Triage | LLMError]) -> int:
        """Put the batch's good answers where ``run`` looks first; how many there were."""
        settings = self.owner.settings
        cache = AnalysisCache(RunLedger(settings.state_dir), max_entries=settings.cache_entries)
        tag = analysis_cache_tag(settings, self.owner.taxonomy)
        seeded = 0
        for ticket_id, content_hash in batch.tickets.items():
            answer = answers.get(ticket_id)
            if isinstance(answer, Triage):
                value = answer.model_dump(mode="json", exclude={"cached"})
                value["billing"] = "batch"  # its tokens are counted, at the batch price, once
                cache.put(cache_key(content_hash, tag), value)
                seeded += 1
        cache.flush()
        return seeded

    def _submit(self, ledger: RunLedger, record: BackfillFile, result: BackfillResult) -> bool:
        """Discover and submit the next batch; False when there was nothing left to submit."""
        helpdesk = self.owner.helpdesk()
        try:
            found = self._discover(helpdesk, record)
        finally:
            helpdesk.close()
        prepared, cursor, discovered_all = found
        if self.owner.stopping() is not None:
            result.message = "stopped before submitting; run `ticketbot backfill` again"
            return True
        if not prepared:
            ledger.save_backfill(record.model_copy(update={"cursor": cursor}))
            return False
        lines = {str(ticket_id): ticket for ticket_id, ticket in prepared.items()}
        batch_id = self.client.submit(lines, metadata={"ticketbot": "backfill"})
        batch = BatchRecord(
            batch_id=batch_id,
            submitted_at=self.owner.runtime.now().isoformat(),
            tickets={str(i): p.content_hash for i, p in prepared.items()},
        )
        update = {"batch": batch, "cursor": cursor, "discovered_all": discovered_all}
        ledger.save_backfill(record.model_copy(update=update))
        self.owner.log.emit(
            "backfill_submitted",
            batch_id=batch_id,
            tickets=len(prepared),
            since=record.since,
            discovered_all=discovered_all,
        )
        result.batch_id, result.submitted = batch_id, len(prepared)
        done = f"{result.message}; " if result.message else ""
        result.message = (
            f"{done}submitted batch {batch_id} with {len(prepared)} tickets; run "
            "`ticketbot backfill` again to collect (results within 24 h)"
        )
        return True

    def _discover(
        self, helpdesk: Helpdesk, record: BackfillFile
    ) -> tuple[dict[int, PreparedTicket], CursorRecord | None, bool]:
        """Tickets to submit (prepared as ``run`` prepares them), the cursor after them, and
        whether discovery reached the end. Waits through the helpdesk's read windows."""
        owner = self.owner
        settings = owner.settings
        scope = parse_scope(settings.scope, prefix=settings.tag_prefix)
        saved = record.cursor
        cursor = Cursor(saved.kind, saved.value, saved.start_time) if saved else None
        started = owner.runtime.now()
        prepared: dict[int, PreparedTicket] = {}

        def wait_out_pause() -> bool:
            owner.log.emit("backfill_waiting", reason="read_window", tickets=len(prepared))
            return owner.wait_for(owner.window_wait())

        stream = TicketStream(helpdesk, since=record.since, wait_out_pause=wait_out_pause)
        for page in stream.pages(cursor):
            wanted = [
                t
                for t in page.tickets
                if in_shard(t.id, owner.options.shard)
                and stream.first_sighting(t.id)
                and choose(t, scope=scope, prefix=settings.tag_prefix) == "take"
            ]
            room = owner.batch_size - len(prepared)
            for ticket in wanted[:room]:
                prepared[ticket.id] = prepare_ticket(
                    ticket.subject, ticket.description, max_tokens=settings.max_input_tokens
                )
            if len(wanted) > room:
                # The batch is full inside this page: the cursor stays before it, and the
                # next batch reads it again (the processed marker skips what this one did).
                return prepared, _record_of(cursor), False
            cursor = page.next_cursor or cursor
            if page.last or holds_updates_since(page, started):
                return prepared, _record_of(cursor), True
            if len(prepared) >= owner.batch_size or owner.stopping():
                return prepared, _record_of(cursor), False
        return prepared, _record_of(cursor), not stream.paused


def _record_of(cursor: Cursor | None) -> CursorRecord | None:
    if cursor is None:
        return None
    return CursorRecord(kind=cursor.kind, value=cursor.value, start_time=cursor.start_time)
