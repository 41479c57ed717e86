"""Freshdesk as a ``Helpdesk``: discovery, read-merge-write, one note, groups, agents, probe.

Discovery lists ``GET /api/v2/tickets?updated_since=…&order_by=updated_at&order_type=asc``
with ``include=description`` (two more credits a page of 100, instead of one request a ticket),
100 a page (``discovery``). Each next page is a new query from the last ``updated_at``
seen (``paging.next_query``: offsets into a list our own writes reorder would skip
tickets), so Freshdesk's cap of 300 pages is never reached either. The cursor is that time;
tickets updated in its second are read again and skipped by the marker.

Writing, per ticket, because Freshdesk has no add-tags call and no conditional update: a fresh
``GET`` right before the write (the change is re-planned from it, so an agent's edit since the
discovery read is kept), the internal note (``POST /notes``, private), then one ``PUT`` with the
merged tags (the ticket's own plus ours), the priority and the group. Three requests a ticket.
The three are retried as one unit: a retry after a 5xx or a 429's wait starts again from a
fresh ``GET``, so no update sends a plan made before the wait. A note whose answer leaves its
fate unknown (the transport's rule: 5xx, a gateway's page, a lost answer) is looked for among
the conversations before it is posted again, as is the note of a ticket changed since discovery
(another installation may have noted it). The evidence is the note's trailer, which names the
message it answers, never the run.

Two installations on one account can still both post before either updates: once one sees
the other, it deletes the copies at the end of each batch (``second_writer.py``).

The note goes first and the journal records the ticket before it: if a run dies between the
note and the ``PUT``, the next run's ``recover`` finds the note among its conversations and keeps
the ticket in the journal until it is written, so neither it nor a run killed again posts a
second one. ``bulk_update`` is not used: tags differ per ticket and notes are per ticket anyway,
so it would not save a request. The ``PUT``'s answer gives the ticket's ``updated_at`` after
the write (``WriteOutcome.updated_at``): reply discovery reads the conversations only of tickets
changed since then (``replies``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from ...common.helpdesk_settings import HelpdeskSettings
from ...errors import (
    AuthError,
    BreakerOpenError,
    HelpdeskError,
    HelpdeskServerError,
    NotFoundError,
    RecordInvalidError,
    WriteOutcomeUnknown,
)
from ...models import (
    Agent,
    ArticleListing,
    Conversation,
    Cursor,
    Group,
    HelpdeskField,
    Probe,
    Replan,
    ReplyPage,
    Ticket,
    TicketOutcome,
    TicketPage,
    WriteBack,
    WriteJournal,
    WriteLimits,
    WriteOutcome,
)
from ...resilience.bounds import HELPDESK_MAX_BYTES
from ...resilience.pacing import RateLimitThrottle
from ...resilience.retry import Retrier
from ...writeback.note import is_triage_note
from ...writeback.noted import NotedOutcome
from ...writeback.triage_change import marker_tag
from ..descriptor import Wiring
from ..field_guard import FieldGuard
from ..write_budget import HelpdeskWriteBudget
from . import public_reply
from . import reads as freshdesk_reads
from . import replies as freshdesk_replies
from .discovery import ticket_pages
from .history import HistoryReads
from .kind import KIND, FreshdeskSettings
from .links import FreshdeskLinks
from .list_reads import batch_as_now, newest
from .macros import CannedResponseReads
from .outcomes import outcomes as read_outcomes
from .people import WITH_REQUESTER, AgentNames
from .records import note_html, parse_tickets, update_body, updated_at_of
from .second_writer import SecondWriter
from .staffing import FreshdeskStaffingReads
from .wire import FreshdeskTransport

BATCH = 10  # tickets a write_batch call takes (each is three requests)
WRITES_A_TICKET = 2  # of those three, the writes: a note and an update
LIST_READ_FRESH = 2.0  # seconds a listed ticket stands for a fresh read of its own

log = logging.getLogger(__name__)


@dataclass
class _Tries:
    """What the tries of one ticket's write did so far, kept across its fresh reads."""

    plan: WriteBack | None = None
    note: str | None = None  # the note that is on the ticket (posted, or found after a loss)
    note_unknown: bool = False  # a post whose answer was lost: look before posting again
    update_sent: bool = False
    read: Ticket | None = None  # the batch's list read, for the first try only
    note_id: str | None = None  # the posted note's id, from the POST's answer


class FreshdeskHelpdesk(HistoryReads, CannedResponseReads, FreshdeskStaffingReads):
    """``Helpdesk`` over a ``FreshdeskTransport``. Thread-safe as the transport is."""

    def __init__(
        self,
        http: FreshdeskTransport,
        *,
        marker: str,
        sleep: Callable[[float], None] = time.sleep,
        burst_reads: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.http = http
        self._marker = marker
        self._sleep = sleep
        self._burst_reads = burst_reads  # ``serve``: a batch is re-read in one list request
        self._clock = clock
        self._lock = threading.Lock()
        # A ticket's write is retried as a whole (fresh read, note, update); its requests each
        # go through the transport's breaker once.
        self._unit_retrier = http.retrier.without_breaker()
        self._noted: set[int] = set()  # journaled tickets a killed run left with a triage note
        self._second = SecondWriter(http)  # another installation's copies of our notes
        self._sandbox: str | None = None
        self._own_id: tuple[int | None] | None = None  # (the id), once read
        self._agent_names = AgentNames(self.agents)  # the agents by name, listed once
        # Custom-field values refused mid-run (an option removed): left out from then on.
        self.field_guard = FieldGuard(self.ticket_fields)

    @classmethod
    def from_desk(
        cls,
        desk: FreshdeskSettings,
        *,
        retrier: Retrier,
        throttle: RateLimitThrottle,
        timeout: tuple[float, float],
        marker: str,
        pool_size: int = 16,
        sleep: Callable[[float], None] = time.sleep,
        max_bytes: int | None = HELPDESK_MAX_BYTES,
        burst_reads: bool = False,
        clock: Callable[[], float] = time.monotonic,
        write_budget: HelpdeskWriteBudget | None = None,
    ) -> FreshdeskHelpdesk:
        """Build from Freshdesk's own settings; ``ConfigError`` naming what is missing."""
        desk.require()
        key = desk.freshdesk_api_key
        http = FreshdeskTransport(
            desk.base_url,
            api_key=key.get_secret_value() if key else "",
            timeout=timeout,
            retrier=retrier,
            throttle=throttle,
            sleep=sleep,
            pool_size=pool_size,
            max_bytes=max_bytes,
            write_budget=write_budget,
        )
        return cls(http, marker=marker, sleep=sleep, burst_reads=burst_reads, clock=clock)

    @property
    def kind(self) -> str:
        return KIND.name

    @property
    def base_url(self) -> str:
        return self.http.base_url

    @property
    def limits(self) -> WriteLimits:
        # The plan's documented writes a minute, for the account total its answers announce.
        return WriteLimits(
            batch_size=BATCH, tickets_per_minute=self.http.write_limit / WRITES_A_TICKET
        )

    def ticket_url(self, ticket_id: int) -> str:
        return f"{self.base_url}/a/tickets/{int(ticket_id)}"

    def close(self) -> None:
        self.http.close()

    # -- discovery -------------------------------------------------------------------------

    def ticket_pages(
        self, cursor: Cursor | None, *, since: int, query: str | None = None
    ) -> Iterator[TicketPage]:
        for page in ticket_pages(self.http, cursor, since=since, query=query):
            yield replace(page, tickets=[self._agent_names.add(t) for t in page.tickets])

    def reply_pages(
        self,
        cursor: Cursor | None,
        *,
        since: int,
        prefix: str,
        written: Callable[[int], str | None],
    ) -> Iterator[ReplyPage]:
        pages = freshdesk_replies.reply_pages(
            self.http,
            cursor,
            since=since,
            marker=marker_tag(prefix),
            written=written,
            own_id=self.own_id,
        )
        for page in pages:  # the agent among each ticket's people, as discovery's have
            yield replace(page, conversations=[self._agent_names.on(c) for c in page.conversations])

    def conversation(self, ticket_id: int) -> Conversation | None:
        found = freshdesk_replies.conversation(self.http, ticket_id, self.own_id)
        return None if found is None else self._agent_names.on(found)

    def requester_name(self, user_id: int) -> str | None:
        return public_reply.requester_name(self.http, user_id)

    def post_answer(self, ticket_id: int, body: str, *, add_tags: Sequence[str]) -> str | None:
        return public_reply.post_answer(self.http, self._read, ticket_id, body, add_tags=add_tags)

    def set_status(
        self,
        ticket_id: int,
        status: str | None,
        *,
        add_tags: Sequence[str] = (),
        remove_tags: Sequence[str] = (),
        note: str | None = None,
    ) -> None:
        public_reply.set_status(
            self.http,
            self._read,
            ticket_id,
            status,
            add_tags=add_tags,
            remove_tags=remove_tags,
            note=note,
        )

    def links(self) -> FreshdeskLinks:
        """Tracker tickets and merges, for the incident grouping (``links.py``)."""
        return FreshdeskLinks(self.http, self.own_id())

    def own_id(self) -> int | None:
        """The id of the agent ticketbot signs in as, the author of its notes (``agents/me``
        read once); None when Freshdesk names none (no note is then taken for its own)."""
        if self._own_id is None:
            answer = self.http.request("GET", "/api/v2/agents/me")
            found = answer.body.get("id") if isinstance(answer.body, dict) else None
            ok = isinstance(found, int) and not isinstance(found, bool)
            self._own_id = (found if ok else None,)
        return self._own_id[0]

    def count_open_before(self, moment: int) -> int | None:
        return freshdesk_reads.count_open_before(self.http, moment)

    def requester_known(self, requester_id: int) -> bool | None:
        return freshdesk_reads.requester_known(self.http, requester_id)

    def tickets(self, ids: Sequence[int]) -> list[Ticket]:
        wanted = list(dict.fromkeys(ids))
        listed = newest(self.http, wanted) if self._burst_reads else {}
        found = (listed.get(i) or self._read(i, people=True) for i in wanted)
        return [self._agent_names.add(ticket) for ticket in found if ticket is not None]

    def _read(self, ticket_id: int, *, retry: bool = True, people: bool = False) -> Ticket | None:
        path, params = f"/api/v2/tickets/{int(ticket_id)}", WITH_REQUESTER if people else None
        try:
            answer = self.http.request("GET", path, params=params, retry=retry)
        except NotFoundError:
            return None
        tickets, _ = parse_tickets([answer.body])
        return tickets[0] if tickets else None

    # -- writing ---------------------------------------------------------------------------

    def write_batch(
        self,
        changes: Sequence[WriteBack],
        *,
        replan: Replan,
        journal: WriteJournal,
        report: Callable[[WriteOutcome], None],
    ) -> None:
        ids = [change.ticket_id for change in changes]
        noted: set[int] = set()  # tickets whose note went out and whose update did not (yet)
        journal.begin(ids)
        try:
            read = batch_as_now(self.http, changes) if self._burst_reads else {}
            read_at = self._clock()
            for change in changes:
                # Only while it is fresh: an agent's edit after it would be lost to the update.
                listed = read.pop(change.ticket_id, None)
                if self._clock() - read_at > LIST_READ_FRESH:
                    listed = None
                report(self._write_one(change, replan, noted, listed))
            self._second.settle_posted()
        finally:
            # A ticket with its note but without its update stays in the journal, so the next
            # run's ``recover`` finds the note and does not post a second one.
            journal.end([i for i in ids if i not in noted], ())

    def _write_one(
        self, change: WriteBack, replan: Replan, noted: set[int], read: Ticket | None = None
    ) -> WriteOutcome:
        """Read, re-plan, note, update; every retry (after a 5xx, a 429's wait, an answer that
        leaves the outcome unknown) starts again from a fresh read, so no update sends a plan
        made before the wait, and the note is looked for before it is posted again. ``read``:
        the ticket as the batch's list read it just now, used by the first try only."""
        ticket_id = change.ticket_id
        tries = _Tries(read=read)
        try:
            return self._unit_retrier.call(lambda: self._try_write(change, replan, noted, tries))
        except (AuthError, BreakerOpenError):
            raise
        except HelpdeskError as exc:
            return WriteOutcome(ticket_id, None, exc)

    def _try_write(
        self, change: WriteBack, replan: Replan, noted: set[int], tries: _Tries
    ) -> WriteOutcome:
        ticket_id = change.ticket_id
        fresh, tries.read = tries.read or self._read(ticket_id, retry=False), None
        if fresh is None:
            gone = NotFoundError(f"ticket {ticket_id} no longer exists", status_code=404)
            return WriteOutcome(ticket_id, None, gone)
        plan = replan(fresh)
        plan = self.field_guard.strip(plan) if plan is not None else None
        if plan is None:  # the marker is there: our lost-answer update, or another writer's
            if tries.update_sent and tries.plan is not None:
                return self._finished(ticket_id, tries.plan, noted)
            if self._marker in fresh.tags and change.note and is_triage_note(change.note):
                self._second.seen()
            if tries.note is not None:
                self._second.settle_notes(ticket_id, tries.note)
            return self._finished(ticket_id, None, noted)
        tries.plan = plan
        # Changed since it was discovered (a note moves ``updated_at`` too): look first, as
        # another installation may have noted it; a note that is not ours shows a second writer.
        changed = change.updated_stamp is not None and fresh.updated_at != change.updated_stamp
        with self._lock:
            recovered = ticket_id in self._noted
        if plan.note and tries.note is None:
            triage = is_triage_note(plan.note)
            # A killed run's ticket (``recover`` found a triage note on it): its note may be
            # for another message (a reply's note on a ticket triaged before), so look.
            if (recovered or tries.note_unknown or (changed and triage)) and self._second.has_note(
                ticket_id, plan.note
            ):
                if not (tries.note_unknown or recovered):
                    self._second.seen()
                tries.note = plan.note  # on the ticket already: the lost answer's, or theirs
            else:
                noted.add(ticket_id)
                self._post_note(ticket_id, plan.note, tries)
        plan, updated_at = self._update(ticket_id, plan, fresh, tries)
        return self._finished(ticket_id, plan, noted, updated_at, tries.note_id)

    def _update(
        self, ticket_id: int, plan: WriteBack, fresh: Ticket, tries: _Tries
    ) -> tuple[WriteBack, str | None]:
        """The ticket's update (after its note); a 400 for a custom-field value that is gone
        (an admin removed the option meanwhile) sends it once more without that value. The
        plan sent, and the ``updated_at`` it answered with."""
        body = update_body(plan, fresh)
        if not body:
            return plan, None
        tries.update_sent = True
        path = f"/api/v2/tickets/{ticket_id}"
        try:
            answer = self.http.request("PUT", path, json=body, retry=False)
        except RecordInvalidError:
            if not self.field_guard.learn([plan]):
                raise
            plan = self.field_guard.strip(plan)
            tries.plan = plan
            body = update_body(plan, fresh)
            if not body:
                return plan, None
            answer = self.http.request("PUT", path, json=body, retry=False)
        return plan, updated_at_of(answer.body)

    def _finished(
        self,
        ticket_id: int,
        plan: WriteBack | None,
        noted: set[int],
        updated_at: str | None = None,
        note_id: str | None = None,
    ) -> WriteOutcome:
        noted.discard(ticket_id)
        with self._lock:
            self._noted.discard(ticket_id)
        if plan is not None and note_id is not None:
            return NotedOutcome(ticket_id, plan, updated_at=updated_at, note_id=note_id)
        return WriteOutcome(ticket_id, plan, updated_at=updated_at)

    def _post_note(self, ticket_id: int, note: str, tries: _Tries) -> None:
        """Post the private note. An answer that leaves its fate unknown is retried as the
        whole write (the next try looks for the note first)."""
        body = {"body": note_html(note), "private": True}
        path = f"/api/v2/tickets/{ticket_id}/notes"
        try:
            answer = self.http.request("POST", path, json=body, replay_safe=False, retry=False)
        except WriteOutcomeUnknown as exc:
            tries.note_unknown = True
            cause = exc.__cause__
            wait = cause.retry_after if isinstance(cause, HelpdeskServerError) else None
            raise HelpdeskServerError(
                str(exc), status_code=exc.status_code, request_id=exc.request_id, retry_after=wait
            ) from exc
        tries.note = note
        found = answer.body.get("id") if isinstance(answer.body, dict) else None
        if isinstance(found, int) and not isinstance(found, bool):
            tries.note_id = str(found)
        if is_triage_note(note):  # a revert's note is never a second writer's copy
            self._second.posted(ticket_id, note)

    def recover(self, jobs: Mapping[str, Sequence[int]], inflight: Sequence[int]) -> list[int]:
        """A killed run's tickets: those that already have their note get none again.

        The evidence is the note itself (its trailer names the message it answers), never a
        tag anyone could set. The tickets found noted stay in the journal (returned) until
        their update is written, so a run killed again before writing them finds them again."""
        kept: list[int] = []
        for ticket_id in inflight:
            try:
                if not any(is_triage_note(body) for body in self.notes(ticket_id)):
                    continue
            except NotFoundError:
                continue  # gone
            with self._lock:
                self._noted.add(int(ticket_id))
            kept.append(int(ticket_id))
        return kept

    # -- reading for notes, routing and the help centre (``freshdesk_reads``) ---------------

    def notes(self, ticket_id: int) -> list[str]:
        return freshdesk_reads.notes(self.http, ticket_id)

    def notes_and_field(self, ticket_id: int, field_key: str) -> tuple[list[str], object]:
        return freshdesk_reads.notes_and_field(self.http, ticket_id, field_key)

    def outcomes(self, since: int) -> dict[int, TicketOutcome]:
        return read_outcomes(self.http, since)

    def groups(self) -> list[Group]:
        return freshdesk_reads.groups(self.http)

    def agents(self) -> list[Agent]:
        return freshdesk_reads.agents(self.http)

    def ticket_fields(self) -> list[HelpdeskField]:
        return freshdesk_reads.ticket_fields(self.http)

    def articles(self, since: int | None) -> ArticleListing:
        """Freshdesk Solutions has no changed-since filter: always the whole help centre."""
        return freshdesk_reads.articles(self.http)

    def probe(self) -> Probe:
        try:
            answer = self.http.request("GET", "/api/v2/agents/me")
        except HelpdeskError as exc:
            return Probe(False, str(exc), refused=isinstance(exc, AuthError))
        body = answer.body if isinstance(answer.body, dict) else {}
        contact = body.get("contact")
        email = contact.get("email") if isinstance(contact, dict) else None
        said = f"signed in as {email or 'an agent'}"
        return Probe(True, said, sandbox=answer.sandbox == "freshdesk", account={"email": email})


def build(desk: HelpdeskSettings, wiring: Wiring) -> FreshdeskHelpdesk:
    """The registry's ``AdapterBuilder`` for Freshdesk (``kind.KIND.adapter``)."""
    if not isinstance(desk, FreshdeskSettings):
        raise TypeError(f"the Freshdesk adapter needs FreshdeskSettings, not {type(desk).__name__}")
    return FreshdeskHelpdesk.from_desk(
        desk,
        retrier=wiring.retrier,
        throttle=wiring.throttle,
        timeout=wiring.timeout,
        marker=wiring.marker,
        pool_size=wiring.pool_size,
        sleep=wiring.sleep,
        max_bytes=wiring.max_bytes,
        burst_reads=wiring.burst_reads,
        clock=wiring.clock,
        write_budget=wiring.write_budget,
    )
