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
The note goes first and the journal records the ticket before it: if a run dies between the
note and the ``PUT``, the next run finds the ticket in the journal, sees the note among its
conversations and does not post a second one. ``bulk_update`` is not used: tags differ per
ticket and notes are per ticket anyway, so it would not save a request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime

from ...errors import (
    AuthError,
    BreakerOpenError,
    ConflictError,
    HelpdeskError,
    NotFoundError,
    RecordInvalidError,
)
from ...models import Ticket, WriteBack
from ...resilience.bounds import HELPDESK_MAX_BYTES
from ...resilience.pacing import RateLimitThrottle
from ...resilience.retry import Retrier
from ...tags import answers_same_message, is_triage_note
from ..descriptor import HelpdeskSettings, Wiring
from ..protocol import (
    Agent,
    ArticleListing,
    Cursor,
    Group,
    Probe,
    Replan,
    TicketPage,
    WriteJournal,
    WriteLimits,
    WriteOutcome,
)
from ..transport import WriteOutcomeUnknown
from . import reads as freshdesk_reads
from .discovery import ticket_pages
from .kind import KIND, FreshdeskSettings
from .paging import note_sent_tag
from .records import note_html, parse_tickets, update_body
from .wire import FreshdeskTransport

BATCH = 10  # tickets a write_batch call takes (each is three requests)


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
        )
        return cls(http, marker=marker, sleep=sleep)

    @property
    def kind(self) -> str:
        return KIND.name

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
        return ticket_pages(self.http, cursor, since=since, query=query)

    def count_open_before(self, moment: int) -> int | None:
        # The filter compares dates only: tickets last changed before the day of ``moment``.
        day = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d")
        query = f"(status:2 OR status:3) AND updated_at:<'{day}'"
        answer = self.http.request(
            "GET", "/api/v2/search/tickets", params={"query": f'"{query}"', "page": 1}
        )
        total = answer.body.get("total") if isinstance(answer.body, dict) else None
        return total if isinstance(total, int) and not isinstance(total, bool) else None

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
            if any(answers_same_message(text, note) for text in self.notes(ticket_id)):
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
                if not any(is_triage_note(body) for body in self.notes(ticket_id)):
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

    # -- reading for notes, routing and the help centre (``freshdesk_reads``) ---------------

    def notes(self, ticket_id: int) -> list[str]:
        return freshdesk_reads.notes(self.http, ticket_id)

    def groups(self) -> list[Group]:
        return freshdesk_reads.groups(self.http)

    def agents(self) -> list[Agent]:
        return freshdesk_reads.agents(self.http)

    def articles(self, since: int | None) -> ArticleListing:
        """Freshdesk Solutions has no changed-since filter: always the whole help centre."""
        return freshdesk_reads.articles(self.http)

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
    )
