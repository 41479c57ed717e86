"""The run's side of the audit store: which store, whose rows, and when they are written.

``open_audit`` opens the store the settings name (``TICKETBOT_DATABASE_URL``, else
``audit.sqlite3`` in the state directory) for the configured helpdesk's account, and starts an
``audit.feed.AuditFeed`` on the run's event log. A dry run before any real run creates no
store (it leaves nothing behind). A store that cannot be opened does not stop the run: it
says so (``audit_unavailable``, a warning) and the run goes on with the logs alone
(``ticketbot audit import`` loads them later).

``JournalThenWrite`` is the write journal the run's writers are handed: it flushes the feed
before the journal records a write as begun, so every decision whose change may reach the
helpdesk is in the store first, and again before the journal lets a batch go, so what the run
logged of the batch's writes is in the store before the journal forgets them (a run killed
later leaves the next run only the batches still in the journal to reconcile). Handed the
recorder's ``take_planned``, it journals each triage write with its decision
(``state.journal.PlannedWrite``). ``DecisionSink`` is what the recorder tells of a planned
change, and what the next run hands a killed run's logged events (``run.discovery.record_landed``);
``NO_AUDIT`` is the sink of a run without a store (tests that build a context by hand).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from ..audit.feed import AuditFeed, AuditWriter
from ..audit.said import account_of
from ..audit.upgrade import open_writer as open_embedded
from ..audit.writer import AuditStoreError
from ..common.eventlog import EventLog, new_run_id
from ..models import WriteJournal, WriteOutcome
from ..settings import Settings
from ..state.journal import PlannedWrite

if TYPE_CHECKING:
    from ..audit.store import AuditStore


class DecisionSink(Protocol):
    def planned(self, fields: Mapping[str, Any]) -> None: ...
    def event(self, record: Mapping[str, Any]) -> None: ...
    def flush(self) -> None: ...


class _NoAudit:
    def planned(self, fields: Mapping[str, Any]) -> None:
        return None

    def event(self, record: Mapping[str, Any]) -> None:
        return None

    def flush(self) -> None:
        return None


NO_AUDIT: DecisionSink = _NoAudit()


class DecisionJournal(WriteJournal, Protocol):
    """The ledger's journal, which keeps each triage write's decision while it is in flight."""

    def begin(
        self, ticket_ids: Sequence[int], decisions: Mapping[int, PlannedWrite] | None = None
    ) -> None: ...


TakePlanned = Callable[[Sequence[int]], Mapping[int, PlannedWrite]]


class JournalThenWrite:
    """A ``WriteJournal`` that stores the run's decisions before a write begins (and the
    events of its outcomes before the journal forgets it)."""

    def __init__(
        self, journal: DecisionJournal, sink: DecisionSink, planned: TakePlanned | None = None
    ) -> None:
        self._journal = journal
        self._sink = sink
        self._planned = planned

    def begin(self, ticket_ids: Sequence[int]) -> None:
        self._sink.flush()
        decisions = self._planned(ticket_ids) if self._planned is not None else None
        self._journal.begin(ticket_ids, decisions)

    def job_sent(self, job_id: str, ticket_ids: Sequence[int]) -> None:
        self._journal.job_sent(job_id, ticket_ids)

    def end(self, ticket_ids: Sequence[int], job_ids: Sequence[str]) -> None:
        self._sink.flush()
        self._journal.end(ticket_ids, job_ids)


def audited(
    journal: DecisionJournal, sink: DecisionSink, planned: TakePlanned | None = None
) -> WriteJournal:
    """The journal a run's writer is handed; ``planned``: the recorder's ``take_planned``,
    for the writes of the run's triage decisions."""
    if sink is NO_AUDIT and planned is None:
        return journal
    return JournalThenWrite(journal, sink, planned)


def audit_account(settings: Settings) -> str:
    """Whose rows these are in a shared store: the helpdesk's kind and host
    (``zendesk:acme.zendesk.com``), the same for every host that runs this account."""
    return account_of(settings.helpdesk, settings.desks)


def open_store(settings: Settings, *, account: str | None = None) -> AuditStore:
    """The store the settings name, opened (and upgraded) for ``account`` (default: the
    configured helpdesk's)."""
    from ..audit.store import AuditStore  # SQLAlchemy: for the commands that read the store

    url = settings.database_url.get_secret_value() if settings.database_url else None
    store = AuditStore.open(
        url, state_dir=settings.state_dir, account=account or audit_account(settings)
    )
    if account is None and ":" not in store.account:
        # No helpdesk host configured (the dashboard or report over a copied state directory):
        # the one account of that kind the store holds, rather than an empty view.
        found = [a for a in store.accounts() if a.partition(":")[0] == store.account]
        if len(found) == 1:
            store.account = found[0]
    return store


def tickets_reverted(settings: Settings, run_id: str) -> set[int] | None:
    """The tickets of run ``run_id`` an earlier ``ticketbot revert`` undid, as the audit store
    recorded them (``record_revert``); None when the store cannot say (off, out of reach)."""
    import sqlalchemy as sa

    from ..audit.queries import reverted_tickets
    from ..errors import TicketBotError

    try:
        with open_store(settings) as store, store.engine.connect() as conn:
            return reverted_tickets(conn, store.account, run_id)
    except (TicketBotError, sa.exc.SQLAlchemyError):
        return None


def ticket_decisions(settings: Settings, ticket_id: int) -> list[dict[str, Any]] | None:
    """The audit store's decisions on one ticket, oldest first (``answers explain`` reads what
    the run decided); None when the store cannot say (off, out of reach)."""
    import sqlalchemy as sa

    from ..audit.schema import decisions
    from ..errors import TicketBotError

    d = decisions.c
    try:
        with open_store(settings) as store, store.engine.connect() as conn:
            found = conn.execute(
                sa.select(decisions)
                .where(d.account == store.account, d.ticket_id == ticket_id)
                .order_by(d.at, d.id)
            )
            return [dict(row) for row in found.mappings()]
    except (TicketBotError, sa.exc.SQLAlchemyError):
        return None


def open_writer(settings: Settings) -> AuditWriter:
    """What a run's feed writes through: the embedded store through ``sqlite3`` alone (its
    schema created or upgraded first, in a child process, when it is behind), PostgreSQL
    through ``AuditStore``."""
    if settings.database_url is None or not settings.database_url.get_secret_value():
        return open_embedded(settings.state_dir, account=audit_account(settings))
    return open_store(settings)


def mode_of(*, dry_run: bool, shadow: bool, backfill: bool = False) -> str:
    """A run's mode in the audit store: a backfill's slice is ``backfill`` (the dashboard's
    Last runs tell it from the cron runs), unless it is only a dry or shadow one."""
    if shadow:
        return "shadow"
    if dry_run:
        return "dry-run"
    return "backfill" if backfill else "normal"


def open_audit(settings: Settings, log: EventLog, *, run_id: str, mode: str) -> AuditFeed | None:
    """The run's feed on ``log``, or None (and a warning in the log) without a store.

    A dry run before any real one (no state directory yet) creates none: it leaves nothing
    behind; later dry runs are stored, marked ``dry-run``.

    A server (``mode`` ``serve``) lives longer than an outage: its feed opens the store again
    after a failure, and when the cron run set a damaged file aside and made a new store, writes
    that one (``AuditFeed``'s ``reopen``); it says so as ``audit_recovered``. A store out of
    reach when the server starts is tried the same way."""
    if mode == "dry-run" and settings.database_url is None and not settings.state_dir.exists():
        return None

    def failed(message: str) -> None:
        log.emit("audit_unavailable", level="warning", reason=message)

    def recovered(where: str, dropped: int) -> None:
        log.emit("audit_recovered", level="warning", store=where, rows_not_stored=dropped)

    serving = mode == "serve"
    try:
        store: AuditWriter = open_writer(settings)
    except AuditStoreError as exc:
        log.emit("audit_unavailable", level="warning", reason=str(exc))
        if not serving:
            return None
        store = _Unopened(str(exc))
    feed = AuditFeed(
        store,
        run_id=run_id,
        helpdesk=settings.helpdesk,
        mode=mode,
        on_error=failed,
        reopen=(lambda: open_writer(settings)) if serving else None,
        on_recover=recovered,
    )
    if isinstance(store, _Unopened):
        feed.not_opened(store.reason)
    log.listen(feed.event)
    return feed


class _Unopened:
    """A server's store that could not be opened at the start: every write fails, so its feed
    opens the real one when it can."""

    where = "(not open)"

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def _fail(self, *_: object) -> None:
        raise AuditStoreError(self.reason)

    upsert_runs = upsert_decisions = upsert_writes = upsert_ratings = _fail
    upsert_sla_clocks = record_outcome = _fail

    def batch(self) -> AbstractContextManager[None]:
        raise AuditStoreError(self.reason)

    def prune(self, before: datetime) -> dict[str, int]:
        raise AuditStoreError(self.reason)

    def close(self) -> None:
        return None


def close_audit(feed: AuditFeed | None) -> None:
    if feed is not None:
        feed.close()
        feed.store.close()


def record_revert(
    settings: Settings, plan_run_id: str, outcomes: Sequence[WriteOutcome]
) -> str | None:
    """Store what ``ticketbot revert`` undid (a ``reverts`` row and a ``writes`` row of kind
    ``revert`` per ticket, and the revert itself as a ``runs`` row of mode ``revert``, so the
    dashboard's last runs list it beside the run it undid); None, or why the store could not
    take it (the revert stands)."""
    revert_id = new_run_id()
    now = datetime.now(UTC)
    reverts, writes = [], []
    for outcome in outcomes:
        change = outcome.writeback
        ok = outcome.error is None
        reverts.append(
            {
                "run_id": revert_id,
                "reverted_run_id": plan_run_id,
                "ticket_id": outcome.ticket_id,
                "at": now,
                "ok": ok,
                "detail": {"error": str(outcome.error)} if outcome.error else None,
            }
        )
        writes.append(
            {
                "run_id": revert_id,
                "ticket_id": outcome.ticket_id,
                "message_id": 0,
                "at": now,
                "helpdesk": settings.helpdesk,
                "kind": "revert",
                "ok": ok,
                "tags_removed": list(change.remove_tags) if change else [],
                "priority": change.priority.value if change and change.priority else None,
                "group_id": change.group_id if change else None,
                "note": bool(change and change.note),
                "error": str(outcome.error) if outcome.error else None,
            }
        )
    failed = sum(1 for row in reverts if not row["ok"])
    run = {
        "run_id": revert_id,
        "helpdesk": settings.helpdesk,
        "mode": "revert",
        "started_at": now,
        "finished_at": now,
        "status": "partial" if failed else "ok",
        "tickets_seen": len(reverts),
        "failed": failed,
    }
    try:
        with open_store(settings) as store:
            store.upsert_reverts(reverts)
            store.upsert_writes(writes)
            store.upsert_runs([run])
    except AuditStoreError as exc:
        return str(exc)
    return None


def prune_audit(feed: AuditFeed | None, log: EventLog, *, keep_days: int) -> None:
    """Retention as the logs': rows older than ``keep_days`` days go."""
    if feed is None:
        return
    cutoff = datetime.now(UTC) - timedelta(days=keep_days)
    try:
        deleted = feed.store.prune(cutoff)
    except AuditStoreError as exc:
        log.emit("audit_unavailable", level="warning", reason=str(exc))
        return
    if any(deleted.values()):
        log.emit("audit_pruned", before=cutoff.isoformat(), **deleted)
