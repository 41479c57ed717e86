"""Zendesk as a ``Helpdesk``: discovery, batched write-back, recovery, groups, agents, probe.

Discovery reads Zendesk's cursor-based incremental export (up to 1,000 full tickets a page,
tags included) from the saved cursor, or from ``since`` on a first run. An agent's token gets
403 there: then it says so (a notice) and uses the Search API
(``type:ticket status<solved -tags:<marker>``), as it does for ``--query``. A ``RequestWindow``
keeps the run inside the export's own limit of 10 requests a minute, which Zendesk's headers do
not announce: when the next request would be the 11th within a minute it waits if that is short
(``EXPORT_MAX_WAIT``), else ends discovery so the next scheduled run goes on from the cursor.
A cursor Zendesk refuses (400/422: malformed, or a start time in the future) raises
``CursorRejectedError``. Customers' replies are read from the ticket event export
(``helpdesks/zendesk/replies.py``), which counts against the same limit and window.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ...common.helpdesk_settings import HelpdeskSettings
from ...errors import (
    AuthError,
    CursorRejectedError,
    HelpdeskError,
    IncrementalExportForbidden,
    RecordInvalidError,
)
from ...models import (
    Agent,
    ArticleListing,
    Conversation,
    Cursor,
    FieldOption,
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
from ...resilience.pacing import RequestWindow
from ...writeback.triage_change import marker_tag
from ..descriptor import Wiring
from ..field_guard import FieldGuard
from ..history import in_window
from . import history, public_reply, replies
from .client import BATCH_LIMIT, ZendeskClient
from .guide import list_articles
from .kind import KIND, ZendeskSettings
from .links import ZendeskLinks
from .macros import ZendeskMacroReads
from .staffing import ZendeskStaffing
from .tag_authors import ZendeskTagAuthors
from .wire import UPDATES_PER_MINUTE
from .writer import ZendeskBatchWrite

EXPORT_PER_MINUTE = 10  # Zendesk's limit on the incremental export, per account
EXPORT_PAGE = 1000  # tickets an export page (Zendesk's maximum)
EXPORT_MAX_WAIT = 5.0  # seconds worth waiting for the export's next slot; longer: next run
SEARCH_PAGE = 100
RECOVERY_JOB_TIMEOUT = 120.0
RECOVERY_WAIT = 5.0  # seconds a killed run's unrecorded job gets to land before re-reading


def build(desk: HelpdeskSettings, wiring: Wiring) -> ZendeskHelpdesk:
    """The registry's ``AdapterBuilder`` for Zendesk (``kind.KIND.adapter``)."""
    if not isinstance(desk, ZendeskSettings):
        raise TypeError(f"the Zendesk adapter needs ZendeskSettings, not {type(desk).__name__}")
    client = ZendeskClient.from_desk(
        desk,
        retrier=wiring.retrier,
        throttle=wiring.throttle,
        timeout=wiring.timeout,
        pool_size=wiring.pool_size,
        max_bytes=wiring.max_bytes,
        write_budget=wiring.write_budget,
    )
    return ZendeskHelpdesk(client, marker=wiring.marker, sleep=wiring.sleep, clock=wiring.clock)


def default_query(marker: str) -> str:
    return f"type:ticket status<solved -tags:{marker}"


class ZendeskHelpdesk(ZendeskMacroReads, ZendeskTagAuthors):
    """``Helpdesk`` over a ``ZendeskClient``. Thread-safe as the client is."""

    def __init__(
        self,
        client: ZendeskClient,
        *,
        marker: str,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        page_size: int | None = None,
    ) -> None:
        self.client = client
        self._marker = marker
        self._window = RequestWindow(EXPORT_PER_MINUTE, clock=clock)
        self._sleep = sleep
        self._page_size = page_size or EXPORT_PAGE
        self._own_id: tuple[int | None] | None = None  # (the id), once read
        # Custom-field values refused mid-run (an option removed): left out from then on.
        self.field_guard = FieldGuard(self.ticket_fields)

    @property
    def kind(self) -> str:
        return KIND.name

    @property
    def base_url(self) -> str:
        return self.client.base_url

    @property
    def limits(self) -> WriteLimits:
        # Update jobs a minute, each of up to BATCH_LIMIT tickets.
        return WriteLimits(
            batch_size=BATCH_LIMIT, tickets_per_minute=float(UPDATES_PER_MINUTE * BATCH_LIMIT)
        )

    def ticket_url(self, ticket_id: int) -> str:
        return f"{self.base_url}/agent/tickets/{int(ticket_id)}"

    def close(self) -> None:
        self.client.close()

    # -- discovery -------------------------------------------------------------------------

    def count_open_before(self, moment: int) -> int | None:
        stamp = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        query = f"type:ticket status<solved updated<{stamp} -tags:{self._marker}"
        return self.client.search_count(query)

    def requester_known(self, requester_id: int) -> bool | None:
        count = self.client.search_count(
            f"type:ticket requester:{int(requester_id)} status>=solved"
        )
        return None if count is None else count > 0

    def ticket_pages(
        self, cursor: Cursor | None, *, since: int, query: str | None = None
    ) -> Iterator[TicketPage]:
        if query is not None:
            yield from self._search(query)
            return
        value = cursor.value if cursor is not None and cursor.kind == "incremental" else None
        start = (cursor.start_time if cursor is not None else None) or since
        if cursor is None:
            # Reading from ``since``: first an empty page whose cursor is that start, so a run
            # stopped inside its first page still saves where it began (a backfill's --since)
            # and the next run does not start from its own default instead.
            yield TicketPage([], Cursor("incremental", None, start))
        stream = self.client.incremental_tickets(
            start_time=None if value else start, cursor=value, per_page=self._page_size
        )
        produced = False
        try:
            while True:
                pause = self._export_slot()
                if pause is not None:
                    yield TicketPage([], None, notices=(pause,), last=True)
                    return
                page = next(stream, None)
                if page is None:
                    return
                produced = True
                after = (
                    Cursor("incremental", page.after_cursor, start) if page.after_cursor else None
                )
                end = page.end_of_stream
                yield TicketPage(list(page.tickets), after, list(page.malformed), last=end)
                del page  # the reader has it: not held here while the next is read
                if end:
                    return
        except IncrementalExportForbidden:
            if produced:
                raise
            notice = (
                "discover_fallback",
                "the incremental export needs an admin's token (403); using the Search API",
            )
            yield TicketPage([], None, notices=(notice,))
            yield from self._search(default_query(self._marker))
        except (RecordInvalidError, HelpdeskError) as exc:
            if produced or exc.status_code not in (400, 422):
                raise
            raise CursorRejectedError(
                f"Zendesk refused the saved export position ({exc.status_code}): {exc}"
            ) from exc

    def reply_pages(
        self,
        cursor: Cursor | None,
        *,
        since: int,
        prefix: str,
        written: Callable[[int], str | None],
    ) -> Iterator[ReplyPage]:
        # ``written`` is not needed: the event export names each comment and its author.
        return replies.reply_pages(
            self.client,
            cursor,
            since=since,
            marker=marker_tag(prefix),
            export_slot=self._export_slot,
            own_id=self.own_id,
        )

    def conversation(self, ticket_id: int) -> Conversation | None:
        return replies.conversation(self.client, ticket_id, self.own_id)

    def solved_history(self, since: int) -> Iterator[HistoryTicket]:
        """The solved tickets updated since ``since`` and their agents' public replies, read
        through discovery's export (its pages and pacing) and each one's comments."""
        own = self.own_id()
        seen: set[int] = set()  # a page boundary's second is read again on the next page
        for page in self.ticket_pages(None, since=since):
            for ticket in page.tickets:
                if in_window(ticket, since) and ticket.id not in seen:
                    seen.add(ticket.id)
                    yield history.solved(ticket, self.client.comments(ticket.id), own)

    def requester_name(self, user_id: int) -> str | None:
        return public_reply.requester_name(self.client, user_id)

    def requester_locale(self, user_id: int) -> str | None:
        return public_reply.requester_locale(self.client, user_id)

    def post_answer(self, ticket_id: int, body: str, *, add_tags: Sequence[str]) -> str | None:
        return public_reply.post_answer(self.client, ticket_id, body, add_tags=add_tags)

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
            self.client, ticket_id, status, add_tags=add_tags, remove_tags=remove_tags, note=note
        )

    def links(self) -> ZendeskLinks:
        """Problem and incident tickets and merges, for the incident grouping (``links.py``)."""
        return ZendeskLinks(self.client)

    def staffing(self) -> ZendeskStaffing:
        """Agents, skills, availability and organisations, for the assignment (``staffing.py``)."""
        return ZendeskStaffing(self.client, self.own_id)

    def own_id(self) -> int | None:
        """The id of the user ticketbot signs in as, the author of its notes (one ``users/me``
        read, then kept); None when Zendesk names none (no note is then taken for its own)."""
        if self._own_id is None:
            found = self.client.me().get("id")
            ok = isinstance(found, int) and not isinstance(found, bool)
            self._own_id = (found if ok else None,)
        return self._own_id[0]

    def _export_slot(self) -> tuple[str, str] | None:
        """Record one export request if it fits the minute (waiting briefly); else a notice."""
        wait = self._window.wait_time()
        bound = self.client.run_deadline
        if wait > (EXPORT_MAX_WAIT if bound is None else bound.cap(EXPORT_MAX_WAIT)):
            return (
                "discover_paused",
                f"used Zendesk's {EXPORT_PER_MINUTE} incremental exports a minute; "
                "the next run continues from here",
            )
        if wait > 0:
            self._sleep(wait)
        self._window.record()
        return None

    def _search(self, query: str) -> Iterator[TicketPage]:
        for page in self.client.search_tickets(query, per_page=SEARCH_PAGE):
            notices: tuple[tuple[str, str], ...] = ()
            if page.limit_reached:
                notices = (
                    ("discover_limit", "search stops at 1,000 results; the next run continues"),
                )
            yield TicketPage(
                list(page.tickets), None, list(page.malformed), notices, page.end_of_stream
            )

    def tickets(self, ids: Sequence[int]) -> list[Ticket]:
        return self.client.show_many(ids)

    # -- writing ---------------------------------------------------------------------------

    def write_batch(
        self,
        changes: Sequence[WriteBack],
        *,
        replan: Replan,
        journal: WriteJournal,
        report: Callable[[WriteOutcome], None],
    ) -> None:
        ZendeskBatchWrite(
            self.client,
            changes,
            replan=replan,
            journal=journal,
            report=report,
            guard=self.field_guard,
        ).run()

    def recover(self, jobs: Mapping[str, Sequence[int]], inflight: Sequence[int]) -> list[int]:
        """Wait for a killed run's jobs; give one whose id was never recorded time to land.
        Nothing stays in flight: safe_update settles every ticket when it is written again."""
        covered: set[int] = set()
        for job_id, ids in jobs.items():
            # Expired or unknown jobs raise; re-reading the tickets decides then.
            with contextlib.suppress(HelpdeskError):
                self.client.wait_for_job(_JobRef(str(job_id)), timeout=RECOVERY_JOB_TIMEOUT)
            covered.update(int(i) for i in ids)
        if set(inflight) - covered:
            bound = self.client.run_deadline
            self._sleep(RECOVERY_WAIT if bound is None else bound.cap(RECOVERY_WAIT))
        return []

    # -- reading for notes, routing and the help centre -------------------------------------

    def notes(self, ticket_id: int) -> list[str]:
        """The ticket's private comments after its first: the first is the ticket's own text
        (its description, private when an agent opened the ticket so), never a note."""
        return [
            str(c.get("plain_body") or c.get("body") or "")
            for c in self.client.comments(ticket_id)[1:]
            if c.get("public") is False
        ]

    def notes_and_field(self, ticket_id: int, field_key: str) -> tuple[list[str], object]:
        """From the ticket's audits, one request for up to 100 of them: the comments carry no
        field values and the ticket no comments, but each audit holds the comment it added
        and the fields it set (``Create`` and ``Change`` events name a custom field by its
        id), so the last value set is the field's value now."""
        comments: list[str] = []
        first = True
        value: object = None
        for audit in self.client.paged(f"/api/v2/tickets/{int(ticket_id)}/audits.json", "audits"):
            for event in audit.get("events") or ():
                if not isinstance(event, dict):
                    continue
                kind = event.get("type")
                if kind == "Comment":
                    if not first and event.get("public") is False:  # the first: the ticket's text
                        comments.append(str(event.get("plain_body") or event.get("body") or ""))
                    first = False
                elif kind in ("Create", "Change") and str(event.get("field_name")) == field_key:
                    value = event.get("value")
        return comments, value

    def outcomes(self, since: int) -> dict[int, TicketOutcome]:
        from .outcomes import outcomes

        return outcomes(self.client, since)

    def groups(self) -> list[Group]:
        return [
            Group(int(g["id"]), str(g.get("name") or ""))
            for g in self.client.paged("/api/v2/groups.json", "groups")
            if isinstance(g.get("id"), int) and not g.get("deleted")
        ]

    def ticket_fields(self) -> list[HelpdeskField]:
        kinds = {"text": "text", "textarea": "text", "regexp": "text", "tagger": "dropdown"}
        found = []
        for f in self.client.paged("/api/v2/ticket_fields.json", "ticket_fields"):
            if not isinstance(f.get("id"), int) or f.get("active") is False:
                continue
            options = tuple(
                FieldOption(str(o.get("name") or ""), str(o.get("value") or ""))
                for o in f.get("custom_field_options") or ()
                if isinstance(o, dict) and o.get("value")
            )
            kind = str(f.get("type") or "")
            found.append(
                HelpdeskField(
                    str(f["id"]),
                    str(f.get("title") or ""),
                    kinds.get(kind, kind),
                    options,
                    shown_to_customers=f.get("visible_in_portal") is True,
                    customers_can_edit=f.get("editable_in_portal") is True,
                )
            )
        return found

    def agents(self) -> list[Agent]:
        members: dict[int, list[int]] = {}
        for m in self.client.paged("/api/v2/group_memberships.json", "group_memberships"):
            if isinstance(m.get("user_id"), int) and isinstance(m.get("group_id"), int):
                members.setdefault(m["user_id"], []).append(m["group_id"])
        users = self.client.paged(
            "/api/v2/users.json", "users", params={"role[]": ["agent", "admin"]}
        )
        return [
            Agent(
                int(u["id"]),
                str(u.get("name") or ""),
                u.get("email") if isinstance(u.get("email"), str) else None,
                tuple(members.get(int(u["id"]), ())),
            )
            for u in users
            if isinstance(u.get("id"), int) and u.get("active", True)
        ]

    def articles(self, since: int | None) -> ArticleListing:
        return list_articles(self.client, since)

    def probe(self) -> Probe:
        try:
            user = self.client.me()
        except HelpdeskError as exc:
            sandbox = self.client.sandbox_kind == "zendesk"
            return Probe(False, str(exc), sandbox=sandbox, refused=isinstance(exc, AuthError))
        who: dict[str, Any] = {"role": user.get("role"), "email": user.get("email")}
        ok = user.get("id") is not None
        detail = f"signed in as {user.get('email')} ({user.get('role')})" if ok else "anonymous"
        return Probe(ok, detail, sandbox=self.client.sandbox_kind == "zendesk", account=who)


class _JobRef:
    """Just enough of a job status to poll it again by id."""

    def __init__(self, job_id: str) -> None:
        self.id = job_id
        self.status = "queued"
