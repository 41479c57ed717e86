"""Freshdesk as a ``Helpdesk``: discovery, read-merge-write, one note, groups, agents, probe.

Discovery lists ``GET /api/v2/tickets?updated_since=…&order_by=updated_at&order_type=asc``
with ``include=description`` (two more credits a page of 100, instead of one request a ticket),
100 a page. Each next page is a new query from the last ``updated_at`` seen (``_next_query``:
offsets into a list our own writes reorder would skip tickets), so Freshdesk's cap of 300 pages
is never reached either. The cursor is that time; tickets updated in its second are read again
and skipped by the marker.

Writing, per ticket, because Freshdesk has no add-tags call and no conditional update: a fresh
``GET`` right before the write (the change is re-planned from it, so an agent's edit since the
discovery read is kept), the internal note (``POST /notes``, private), then one ``PUT`` with the
merged tags (the ticket's own plus ours), the priority and the group. Three requests a ticket.
The note goes first and the journal records the ticket before it: if a run dies between the
note and the ``PUT``, the next run finds the ticket in the journal, sees the note among its
conversations and does not post a second one. ``bulk_update`` is not used: tags differ per
ticket and notes are per ticket anyway, so it would not save a request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from .errors import (
    AuthError,
    BreakerOpenError,
    ConflictError,
    HelpdeskError,
    NotFoundError,
    RecordInvalidError,
)
from .freshdesk_http import FreshdeskTransport, WriteOutcomeUnknown
from .freshdesk_paging import earliest, iso, latest, next_query, note_sent_tag
from .freshdesk_records import note_html, parse_tickets, plain_text, update_body
from .helpdesk import (
    Agent,
    Article,
    ArticleListing,
    Cursor,
    CursorRejectedError,
    Group,
    HelpdeskKind,
    Probe,
    Replan,
    TicketPage,
    WriteJournal,
    WriteLimits,
    WriteOutcome,
)
from .models import Ticket, WriteBack
from .resilience import RateLimitThrottle, Retrier
from .settings import Settings
from .tags import NOTE_HEADER

PER_PAGE = 100
SEARCH_PAGES = 10  # ... and no search page past the tenth (30 results each)
BATCH = 10  # tickets a write_batch call takes (each is three requests)
VISIBILITY = {1: "everyone", 2: "signed_in"}  # folder visibility; anything else is internal


class FreshdeskHelpdesk:
    """``Helpdesk`` over a ``FreshdeskTransport``. Thread-safe as the transport is."""

    def __init__(
        self,
        http: FreshdeskTransport,
        *,
        marker: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self._marker = marker
        self._sleep = sleep
        self._noted: set[int] = set()  # journaled tickets whose note a killed run did post
        self._note_sent = note_sent_tag(marker)
        self._sandbox: str | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        retrier: Retrier,
        throttle: RateLimitThrottle,
        timeout: tuple[float, float],
        marker: str,
        pool_size: int = 16,
        sleep: Callable[[float], None] = time.sleep,
    ) -> FreshdeskHelpdesk:
        settings.require_helpdesk()
        key = settings.freshdesk_api_key
        http = FreshdeskTransport(
            settings.freshdesk_base_url,
            api_key=key.get_secret_value() if key else "",
            timeout=timeout,
            retrier=retrier,
            throttle=throttle,
            sleep=sleep,
            pool_size=pool_size,
        )
        return cls(http, marker=marker, sleep=sleep)

    @property
    def kind(self) -> HelpdeskKind:
        return "freshdesk"

    @property
    def base_url(self) -> str:
        return self.http.base_url

    @property
    def limits(self) -> WriteLimits:
        return WriteLimits(batch_size=BATCH, updates_per_minute=None)

    def ticket_url(self, ticket_id: int) -> str:
        return f"{self.base_url}/a/tickets/{int(ticket_id)}"

    def close(self) -> None:
        self.http.close()

    # -- discovery -------------------------------------------------------------------------

    def ticket_pages(
        self, cursor: Cursor | None, *, since: int, query: str | None = None
    ) -> Iterator[TicketPage]:
        if query is not None:
            yield from self._search(query)
            return
        start = cursor.value if cursor is not None and cursor.kind == "updated_since" else None
        if start is not None:
            try:
                datetime.fromisoformat(start.replace("Z", "+00:00"))
            except ValueError:
                raise CursorRejectedError(f"the saved position {start!r} is not a time") from None
        updated_since = start or iso(since)
        floor: str | None = None  # the cursor may not pass this (see _next_query)
        page_number = 1
        while True:
            params = {
                "updated_since": updated_since,
                "order_by": "updated_at",
                "order_type": "asc",
                "per_page": PER_PAGE,
                "page": page_number,
                "include": "description",
            }
            try:
                answer = self.http.request("GET", "/api/v2/tickets", params=params)
            except HelpdeskError as exc:
                if page_number == 1 and exc.status_code == 400 and start is not None:
                    raise CursorRejectedError(
                        f"Freshdesk refused the saved position ({exc})"
                    ) from exc
                raise
            tickets, malformed = parse_tickets(answer.body)
            top = latest(t.updated_at for t in tickets)
            following = None
            if top is not None and self.http.next_page(answer.headers) is not None:
                following = next_query(updated_since, page_number, top)
            if following is not None and following[1] > 1:
                floor = floor or updated_since
            resume = earliest(floor, top) if top is not None else floor
            after = Cursor("updated_since", resume) if resume else None
            yield TicketPage(tickets, after, malformed, last=following is None)
            if following is None:
                return
            updated_since, page_number = following

    def _search(self, query: str) -> Iterator[TicketPage]:
        for page_number in range(1, SEARCH_PAGES + 1):
            answer = self.http.request(
                "GET", "/api/v2/search/tickets", params={"query": f'"{query}"', "page": page_number}
            )
            body = answer.body if isinstance(answer.body, dict) else {}
            tickets, malformed = parse_tickets(body.get("results"))
            total = body.get("total")
            more = isinstance(total, int) and page_number * 30 < total and bool(tickets)
            notices: tuple[tuple[str, str], ...] = ()
            if more and page_number == SEARCH_PAGES:
                notices = (("discover_limit", "Freshdesk search stops at 10 pages of 30"),)
            yield TicketPage(tickets, None, malformed, notices, last=not more)
            if not more:
                return

    def tickets(self, ids: Sequence[int]) -> list[Ticket]:
        found: list[Ticket] = []
        for ticket_id in dict.fromkeys(ids):
            ticket = self._read(ticket_id)
            if ticket is not None:
                found.append(ticket)
        return found

    def _read(self, ticket_id: int) -> Ticket | None:
        try:
            answer = self.http.request("GET", f"/api/v2/tickets/{int(ticket_id)}")
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
            for change in changes:
                report(self._write_one(change, replan, noted))
        finally:
            # A ticket with its note but without its update stays in the journal, so the next
            # run's ``recover`` finds the note and does not post a second one.
            journal.end([i for i in ids if i not in noted], ())

    def _write_one(self, change: WriteBack, replan: Replan, noted: set[int]) -> WriteOutcome:
        ticket_id = change.ticket_id
        try:
            fresh = self._read(ticket_id)
            if fresh is None:
                gone = NotFoundError(f"ticket {ticket_id} no longer exists", status_code=404)
                return WriteOutcome(ticket_id, None, gone)
            plan = replan(fresh)
            if plan is None:  # the marker is already there: written before
                return WriteOutcome(ticket_id, None)
            sent = ticket_id in self._noted or self._note_sent in fresh.tags
            if plan.note and not sent:
                noted.add(ticket_id)
                self._post_note(ticket_id, plan.note)
            written = plan
            if self._note_sent in fresh.tags:  # recover's mark: off again with the update
                removed = (*plan.remove_tags, self._note_sent)
                written = plan.model_copy(update={"remove_tags": removed})
            body = update_body(written, fresh)
            if body:
                self.http.request(
                    "PUT", f"/api/v2/tickets/{ticket_id}", json=body, no_retry=(ConflictError,)
                )
            noted.discard(ticket_id)
            self._noted.discard(ticket_id)
            return WriteOutcome(ticket_id, plan)
        except (AuthError, BreakerOpenError):
            raise
        except HelpdeskError as exc:
            return WriteOutcome(ticket_id, None, exc)

    def _post_note(self, ticket_id: int, note: str) -> None:
        """Post the private note once: when the connection broke after sending it, look
        whether it arrived before sending it again (a replay would add it twice)."""
        body = {"body": note_html(note), "private": True}
        path = f"/api/v2/tickets/{ticket_id}/notes"
        try:
            self.http.request("POST", path, json=body, replay_safe=False)
        except WriteOutcomeUnknown:
            if any(NOTE_HEADER in text for text in self.notes(ticket_id)):
                return
            self.http.request("POST", path, json=body, replay_safe=False)

    def recover(self, jobs: Mapping[str, Sequence[int]], inflight: Sequence[int]) -> None:
        """A killed run's tickets: mark those that already have their note, so none gets two.

        The mark is a tag on the ticket itself (``ai_note_sent``; the update that finishes the
        ticket takes it off again), because the journal is cleared once this returns: a run
        killed again before it wrote the ticket must not leave the next one without the fact.
        """
        for ticket_id in inflight:
            try:
                if not any(NOTE_HEADER in body for body in self.notes(ticket_id)):
                    continue
                self._noted.add(int(ticket_id))
                fresh = self._read(ticket_id)
                if fresh is None or {self._marker, self._note_sent} & set(fresh.tags):
                    continue
                self.http.request(
                    "PUT",
                    f"/api/v2/tickets/{int(ticket_id)}",
                    json={"tags": [*fresh.tags, self._note_sent]},
                )
            except (NotFoundError, RecordInvalidError):
                continue  # gone, or refused: this run still knows (``_noted``)

    # -- reading for notes, routing and the help centre -------------------------------------

    def notes(self, ticket_id: int) -> list[str]:
        found: list[str] = []
        for page in self.http.pages(f"/api/v2/tickets/{int(ticket_id)}/conversations"):
            for item in page:
                if isinstance(item, dict) and item.get("private"):
                    text = item.get("body_text")
                    found.append(
                        text if isinstance(text, str) else plain_text(str(item.get("body") or ""))
                    )
        return found

    def groups(self) -> list[Group]:
        return [
            Group(int(g["id"]), str(g.get("name") or ""))
            for page in self.http.pages("/api/v2/groups", {"per_page": 100})
            for g in page
            if isinstance(g, dict) and isinstance(g.get("id"), int)
        ]

    def agents(self) -> list[Agent]:
        members: dict[int, list[int]] = {}
        for group in self.http.pages("/api/v2/groups", {"per_page": 100}):
            for g in group:
                for agent_id in g.get("agent_ids") or () if isinstance(g, dict) else ():
                    if isinstance(agent_id, int) and isinstance(g.get("id"), int):
                        members.setdefault(agent_id, []).append(g["id"])
        found = []
        for page in self.http.pages("/api/v2/agents", {"per_page": 100}):
            for a in page:
                if not isinstance(a, dict) or not isinstance(a.get("id"), int):
                    continue
                contact = a.get("contact")
                contact = contact if isinstance(contact, dict) else {}
                found.append(
                    Agent(
                        int(a["id"]),
                        str(contact.get("name") or ""),
                        contact.get("email") if isinstance(contact.get("email"), str) else None,
                        tuple(members.get(int(a["id"]), ())),
                    )
                )
        return found

    def articles(self, since: int | None) -> ArticleListing:
        """Freshdesk Solutions has no changed-since filter: always the whole help centre."""
        return ArticleListing(self._all_articles(), complete=True)

    def _all_articles(self) -> Iterator[Article]:
        for categories in self.http.pages("/api/v2/solutions/categories"):
            for category in categories:
                if not isinstance(category, dict):
                    continue
                path = f"/api/v2/solutions/categories/{category.get('id')}/folders"
                for folders in self.http.pages(path):
                    for folder in folders:
                        if isinstance(folder, dict):
                            yield from self._folder_articles(folder)

    def _folder_articles(self, folder: dict[str, Any]) -> Iterator[Article]:
        visibility = VISIBILITY.get(folder.get("visibility"), "internal")  # type: ignore[arg-type]
        for page in self.http.pages(f"/api/v2/solutions/folders/{folder.get('id')}/articles"):
            for item in page:
                if not isinstance(item, dict) or not isinstance(item.get("id"), int):
                    continue
                text = item.get("description_text")
                yield Article(
                    id=int(item["id"]),
                    title=str(item.get("title") or ""),
                    body=text
                    if isinstance(text, str)
                    else plain_text(str(item.get("description") or "")),
                    url=f"{self.base_url}/support/solutions/articles/{item['id']}",
                    locale=str(item.get("language") or "en"),
                    updated_at=str(item.get("updated_at") or ""),
                    visibility=visibility,  # type: ignore[arg-type]
                    removed=item.get("status") != 2,  # 1 draft, 2 published
                )

    def probe(self) -> Probe:
        try:
            answer = self.http.request("GET", "/api/v2/agents/me")
        except HelpdeskError as exc:
            return Probe(False, str(exc))
        body = answer.body if isinstance(answer.body, dict) else {}
        contact = body.get("contact")
        contact = contact if isinstance(contact, dict) else {}
        email = contact.get("email")
        return Probe(
            True,
            f"signed in as {email or 'an agent'}",
            sandbox=answer.sandbox == "freshdesk",
            account={"email": email},
        )
