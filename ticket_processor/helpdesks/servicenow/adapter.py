"""ServiceNow as a ``Helpdesk``: discovery, read-replan-write, one note, groups, agents, probe.

Tickets are the records of one table (``SERVICENOW_TABLE``: ``incident`` or
``sn_customerservice_case``) read through the Table API (``discovery``, keyset-paged by
``sys_updated_on`` and ``sys_id``); tags are labels (``labels``); the internal note is a work
note, a public answer a comment.

Writing, per ticket: a fresh read right before the write (by its number: a record an ACL
hides is left out of the list, so it is settled as a deleted one), the change re-planned from
it (an agent's edit since discovery is kept: their priority, group, labels), then the
labels ticketbot adds (``label_entry`` rows) but the marker, one ``PATCH`` carrying the work
note with the fields together — impact and urgency for the priority (the instance computes
``priority``), the group and assignee, the ``u_`` columns — and last the marker. The ``PATCH``
is never replayed by the transport: an answer that leaves its fate unknown (5xx, a lost
connection) is retried as the whole write, which looks for the note in the journal before
sending it again. The journal records the ticket before the ``PATCH``: a run killed between
the ``PATCH`` and the marker leaves the ticket in flight, and the next run's ``recover`` finds
the note and keeps it there until the labels are written, so no second note is posted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from ...common.helpdesk_settings import HelpdeskSettings
from ...errors import (
    AuthError,
    BreakerOpenError,
    HelpdeskError,
    HelpdeskServerError,
    NotFoundError,
    WriteOutcomeUnknown,
)
from ...models import (
    Agent,
    ArticleListing,
    Conversation,
    Cursor,
    Group,
    HelpdeskField,
    HistoryTicket,
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
from ...models.ready_reply import ReadyReply
from ...writeback.note import answers_same_message, is_triage_note
from ...writeback.triage_change import marker_tag
from ..descriptor import Wiring
from . import public_reply, reads, replies
from .discovery import ticket_pages
from .history import solved_history
from .kind import KIND, ServiceNowSettings
from .labels import Labels
from .links import ServiceNowLinks
from .list_reads import Record, TableReads
from .macros import templates
from .outcomes import outcomes as read_outcomes
from .people import IdBook
from .records import fit_subcategory, iso, tag_changes, update_body
from .staffing import ServiceNowStaffingReads
from .tag_authors import ServiceNowTagAuthors
from .wire import TABLE_API, BearerAuth, ServiceNowTransport, result_row

BATCH = 10  # tickets a write_batch call takes (each is two requests and its labels)
DONE_STATES = {"incident": "6,7,8", "sn_customerservice_case": "6,3,7"}


@dataclass
class _Tries:
    """What the tries of one ticket's write did so far, kept across its fresh reads."""

    plan: WriteBack | None = None
    note: str | None = None  # the note that is on the ticket (sent, or found after a loss)
    note_unknown: bool = False  # a PATCH whose answer was lost: look before sending again
    updated_at: str | None = None


class ServiceNowHelpdesk(ServiceNowStaffingReads, ServiceNowTagAuthors):
    """``Helpdesk`` over a ``ServiceNowTransport``. Thread-safe as the transport is."""

    MACROS_NOUN = ("record template", "record templates")
    MACRO_WORD = "record template"

    def __init__(
        self,
        http: ServiceNowTransport,
        *,
        table: str,
        marker: str,
        knowledge_bases: Sequence[str] = (),
    ) -> None:
        self.http = http
        self.table = table
        self._marker = marker
        self._bases = tuple(knowledge_bases)
        self.labels = Labels(http, table)
        self.reads = TableReads(http, table, self.labels)
        self.ids = IdBook(http)
        self._unit_retrier = http.retrier.without_breaker()
        self._lock = threading.Lock()
        self._noted: set[int] = set()  # journaled tickets a killed run left with a note
        self._own_user: str | None = http.user_name
        self._columns: frozenset[str] | None = None
        self._choices: dict[str, set[str]] | None = None

    @classmethod
    def from_desk(cls, desk: ServiceNowSettings, wiring: Wiring) -> ServiceNowHelpdesk:
        """Build from ServiceNow's own settings; ``ConfigError`` naming what is missing."""
        desk.require()
        password = desk.servicenow_password.get_secret_value() if desk.servicenow_password else ""
        auth: tuple[str, str] | BearerAuth = (desk.servicenow_username or "", password)
        if desk.servicenow_client_id:
            secret = desk.servicenow_client_secret
            auth = BearerAuth(
                desk.base_url,
                desk.servicenow_client_id,
                secret.get_secret_value() if secret else "",
                username=desk.servicenow_username,
                password=password or None,
                timeout=wiring.timeout,
            )
        http = ServiceNowTransport(
            desk.base_url,
            auth=auth,
            timeout=wiring.timeout,
            retrier=wiring.retrier,
            throttle=wiring.throttle,
            sleep=wiring.sleep,
            pool_size=wiring.pool_size,
            max_bytes=wiring.max_bytes,
            write_budget=wiring.write_budget,
        )
        return cls(
            http,
            table=desk.servicenow_table,
            marker=wiring.marker,
            knowledge_bases=desk.knowledge_bases,
        )

    @property
    def kind(self) -> str:
        return KIND.name

    @property
    def base_url(self) -> str:
        return self.http.base_url

    @property
    def limits(self) -> WriteLimits:
        # An instance's rate limit rules count requests an hour per user, and say so only in
        # their answers' headers: none is assumed before one is announced.
        return WriteLimits(batch_size=BATCH, tickets_per_minute=None)

    def ticket_url(self, ticket_id: int) -> str:
        return (
            f"{self.base_url}/{self.table}.do?sysparm_query=number={self.reads.number(ticket_id)}"
        )

    def close(self) -> None:
        self.http.close()

    def own_user(self) -> str | None:
        """The ``user_name`` ticketbot signs in as (the author of its notes): the setting's,
        or (OAuth's client credentials) learned from the first record it wrote."""
        return self._own_user

    def _subcategories(self) -> dict[str, set[str]]:
        """Each category's subcategories (``sys_choice``), read once."""
        if self._choices is None:
            self._choices = reads.subcategories(self.http, self.table)
        return self._choices

    def _custom(self) -> frozenset[str]:
        """The table's ``u_`` columns, read once (or with the run's fields); read with every
        record from then on."""
        if self._columns is None:
            try:
                self.ticket_fields()
            except (NotFoundError, AuthError):
                self._learn_columns([])
        return self._columns or frozenset()

    def _learn_columns(self, fields: Sequence[HelpdeskField]) -> None:
        self._columns = frozenset(f.key for f in fields)
        self.reads.custom = tuple(sorted(self._columns))

    # -- discovery -------------------------------------------------------------------------

    def ticket_pages(
        self, cursor: Cursor | None, *, since: int, query: str | None = None
    ) -> Iterator[TicketPage]:
        self._custom()
        yield from ticket_pages(
            self.http,
            self.table,
            self.reads.fields,
            self.labels.of,
            cursor,
            since=since,
            query=query,
            custom=self.reads.custom,
        )

    def reply_pages(
        self,
        cursor: Cursor | None,
        *,
        since: int,
        prefix: str,
        written: Callable[[int], str | None],
    ) -> Iterator[ReplyPage]:
        self._custom()
        yield from replies.reply_pages(
            self.http,
            self.reads,
            cursor,
            since=since,
            marker=marker_tag(prefix),
            own_user=self.own_user(),
        )

    def conversation(self, ticket_id: int) -> Conversation | None:
        self._custom()
        return replies.conversation(self.http, self.reads, ticket_id, self.own_user())

    def tickets(self, ids: Sequence[int]) -> list[Ticket]:
        self._custom()
        found = self.reads.by_ids(ids)
        return [found[i].ticket for i in dict.fromkeys(int(i) for i in ids) if i in found]

    def count_open_before(self, moment: int) -> int | None:
        return reads.count_open_before(self.http, self.table, moment, DONE_STATES[self.table])

    def requester_known(self, requester_id: int) -> bool | None:
        """Whether the caller (a case's contact) has a resolved or closed record."""
        user = self.ids.sys_id("sys_user", requester_id)
        if user is None:
            return None
        who = "caller_id" if self.table == "incident" else "contact"
        count = reads.total(self.http, self.table, f"{who}={user}^stateIN{DONE_STATES[self.table]}")
        return None if count is None else count > 0

    # -- answers, incidents, macros, history ----------------------------------------------

    def requester_name(self, user_id: int) -> str | None:
        try:
            return public_reply.requester_name(self.http, self.ids.sys_id("sys_user", user_id))
        except HelpdeskError:
            return None

    def requester_locale(self, user_id: int) -> str | None:
        return self.ids.locale(user_id)

    def post_answer(self, ticket_id: int, body: str, *, add_tags: Sequence[str]) -> str | None:
        return public_reply.post_answer(
            self.http, self.reads, self.labels, ticket_id, body, add_tags=add_tags
        )

    def set_status(self, ticket_id: int, status: str | None, *, add_tags: Sequence[str] = (),
                   remove_tags: Sequence[str] = (), note: str | None = None) -> None:  # fmt: skip
        public_reply.set_status(self.http, self.reads, self.labels, ticket_id, status,
                                add_tags=add_tags, remove_tags=remove_tags, note=note)  # fmt: skip

    def links(self) -> ServiceNowLinks:
        """Parent records and their children, for the incident grouping (``links.py``)."""
        return ServiceNowLinks(self.http, self.reads, self.labels, self.ids.groups())

    def macros(self) -> list[ReadyReply]:
        return templates(self.http, self.table)

    def solved_history(self, since: int) -> Iterator[HistoryTicket]:
        self._custom()
        return solved_history(self.http, self.reads, since, self.own_user())

    def outcomes(self, since: int) -> dict[int, TicketOutcome]:
        return read_outcomes(self.http, self.table, since)

    # -- writing ---------------------------------------------------------------------------

    def write_batch(
        self,
        changes: Sequence[WriteBack],
        *,
        replan: Replan,
        journal: WriteJournal,
        report: Callable[[WriteOutcome], None],
    ) -> None:
        self._custom()
        ids = [change.ticket_id for change in changes]
        noted: set[int] = set()  # tickets whose note went out and whose labels did not (yet)
        journal.begin(ids)
        try:
            for change in changes:
                report(self._write_one(change, replan, noted))
        finally:
            journal.end([i for i in ids if i not in noted], ())

    def _write_one(self, change: WriteBack, replan: Replan, noted: set[int]) -> WriteOutcome:
        """Read, re-plan, PATCH (note and fields), labels; every retry (a 5xx, a 429's wait,
        an answer that leaves the outcome unknown) starts again from a fresh read."""
        tries = _Tries()
        try:
            return self._unit_retrier.call(lambda: self._try_write(change, replan, noted, tries))
        except (AuthError, BreakerOpenError):
            raise
        except HelpdeskError as exc:
            return WriteOutcome(change.ticket_id, None, exc)

    def _try_write(
        self, change: WriteBack, replan: Replan, noted: set[int], tries: _Tries
    ) -> WriteOutcome:
        ticket_id = change.ticket_id
        fresh = self.reads.one(ticket_id)
        if fresh is None:
            gone = NotFoundError(f"ticket {ticket_id} no longer exists", status_code=404)
            noted.discard(ticket_id)
            return WriteOutcome(ticket_id, None, gone)
        plan = replan(fresh.ticket)
        if plan is None:  # done already: our lost answer's write, or another writer's
            return self._finished(ticket_id, tries.plan if tries.updated_at else None, noted)
        landed = self._landed(fresh, tries)
        # The PATCH whose answer was lost is on the record: a plan made again from the fields
        # it set sees no change to make (no priority label); its own plan is what was written.
        plan = tries.plan = landed or plan
        add, remove = tag_changes(plan, fresh.ticket)
        # Labels before the PATCH, the marker after it: a write cut short (a killed run, an
        # open breaker) never leaves a priority ticketbot set without the label that says so,
        # which is what lets a later run or a revert change it again; a label is taken off
        # only once the field it stood for is put back.
        self.labels.add(fresh.sys_id, [tag for tag in add if tag != self._marker])
        if landed is None:
            self._send(fresh, plan, change, tries, noted)
        self.labels.remove(fresh.sys_id, remove)
        self.labels.add(fresh.sys_id, [tag for tag in add if tag == self._marker])
        return self._finished(ticket_id, plan, noted, tries.updated_at)

    def _send(
        self, fresh: Record, plan: WriteBack, change: WriteBack, tries: _Tries, noted: set[int]
    ) -> None:
        """The PATCH of ``plan``'s fields, with its note unless the note is there already."""
        note = self._note_to_send(plan, fresh, change, tries)
        body = update_body(
            self.table,
            plan,
            fresh.ticket,
            group=self.ids.sys_id("sys_user_group", plan.group_id) if plan.group_id else None,
            assignee=self.ids.sys_id("sys_user", plan.assignee_id) if plan.assignee_id else None,
            columns=self._custom(),
        )
        if "category" in body or "subcategory" in body:
            body = fit_subcategory(body, fresh.row, self._subcategories())
        if note is not None:
            body["work_notes"] = note
            noted.add(fresh.ticket.id)
        if body:
            self._patch(fresh, body, tries, note)

    def _landed(self, fresh: Record, tries: _Tries) -> WriteBack | None:
        """The plan of the PATCH whose answer was lost (note and fields together) if it is on
        the record, its note looked for once; if not, the next PATCH sends the note again."""
        sent = tries.plan.note if tries.plan is not None and tries.note_unknown else None
        if not sent:
            return None
        tries.note_unknown = False
        if not self._has_note(fresh, sent):
            return None
        tries.note = sent
        return tries.plan

    def _note_to_send(
        self, plan: WriteBack, fresh: Record, change: WriteBack, tries: _Tries
    ) -> str | None:
        """The note this try sends: none when it is on the record already (a lost answer's,
        a killed run's, another installation's), which is looked for only when it may be."""
        if not plan.note or tries.note is not None:
            return None
        changed = (
            change.updated_stamp is not None and fresh.ticket.updated_at != change.updated_stamp
        )
        with self._lock:
            recovered = fresh.ticket.id in self._noted
        if (recovered or tries.note_unknown or changed) and self._has_note(fresh, plan.note):
            tries.note = plan.note
            return None
        return plan.note

    def _has_note(self, record: Record, note: str) -> bool:
        found = reads.work_notes(self.http, self.table, record.sys_id)
        if not is_triage_note(note):
            opening = note.strip().splitlines()[0] if note.strip() else ""
            return bool(opening) and any(opening in text for text in found)
        return any(answers_same_message(text, note) for text in found)

    def _patch(
        self, fresh: Record, body: dict[str, object], tries: _Tries, note: str | None
    ) -> None:
        path = f"{TABLE_API}/{self.table}/{fresh.sys_id}"
        try:
            answer = self.http.request(
                "PATCH", path, json=body, replay_safe=note is None, retry=False
            )
        except WriteOutcomeUnknown as exc:
            tries.note_unknown = True
            cause = exc.__cause__
            wait = cause.retry_after if isinstance(cause, HelpdeskServerError) else None
            raise HelpdeskServerError(
                str(exc), status_code=exc.status_code, request_id=exc.request_id, retry_after=wait
            ) from exc
        tries.note = note
        row = result_row(answer.body)
        tries.updated_at = iso(row.get("sys_updated_on"))
        author = row.get("sys_updated_by")
        if self._own_user is None and isinstance(author, str) and author:
            self._own_user = author  # the client credentials grant's user, as the instance names it

    def _finished(
        self, ticket_id: int, plan: WriteBack | None, noted: set[int], updated_at: str | None = None
    ) -> WriteOutcome:
        noted.discard(ticket_id)
        with self._lock:
            self._noted.discard(ticket_id)
        return WriteOutcome(ticket_id, plan, updated_at=updated_at)

    def recover(self, jobs: Mapping[str, Sequence[int]], inflight: Sequence[int]) -> list[int]:
        """A killed run's tickets: those whose work notes hold a triage note get none again;
        they stay in the journal (returned) until their labels are written."""
        kept: list[int] = []
        for ticket_id in inflight:
            record = self.reads.one(ticket_id)
            if record is None:
                continue
            if not any(
                is_triage_note(b) for b in reads.work_notes(self.http, self.table, record.sys_id)
            ):
                continue
            with self._lock:
                self._noted.add(int(ticket_id))
            kept.append(int(ticket_id))
        return kept

    # -- reading for notes, routing and the help centre ------------------------------------

    def notes(self, ticket_id: int) -> list[str]:
        return self.notes_and_field(ticket_id, "")[0]

    def notes_and_field(self, ticket_id: int, field_key: str) -> tuple[list[str], object]:
        """The work notes and one column (a page's): the record read for its sys_id and that
        column alone, not as a ticket (no labels, no fields list), then its journal."""
        params = {
            "sysparm_query": f"number={self.reads.number(ticket_id)}",
            "sysparm_fields": ",".join(["sys_id", *([field_key] if field_key else [])]),
            "sysparm_limit": "1",
            "sysparm_exclude_reference_link": "true",
        }
        rows = self.http.rows(self.table, params)
        if not rows or not rows[0].get("sys_id"):
            raise NotFoundError(f"ticket {ticket_id} no longer exists", status_code=404)
        value = rows[0].get(field_key) or None if field_key else None
        return reads.work_notes(self.http, self.table, str(rows[0]["sys_id"])), value

    def groups(self) -> list[Group]:
        return reads.groups(self.http)

    def agents(self) -> list[Agent]:
        return reads.agents(self.http)

    def ticket_fields(self) -> list[HelpdeskField]:
        """The fields as the instance has them now (a run that reads them reads them once)."""
        found = reads.custom_columns(self.http, self.table)
        self._learn_columns(found)
        return found

    def articles(self, since: int | None) -> ArticleListing:
        return reads.articles(self.http, self._bases, since)

    def probe(self) -> Probe:
        return reads.probe(self.http, self._own_user, self.table)


def build(desk: HelpdeskSettings, wiring: Wiring) -> ServiceNowHelpdesk:
    """The registry's ``AdapterBuilder`` for ServiceNow (``kind.KIND.adapter``)."""
    if not isinstance(desk, ServiceNowSettings):
        raise TypeError(
            f"the ServiceNow adapter needs ServiceNowSettings, not {type(desk).__name__}"
        )
    return ServiceNowHelpdesk.from_desk(desk, wiring)
