"""Zendesk client: discover tickets, write back, create samples. The only Zendesk HTTP speaker.

Endpoints and their shapes live here and in ``reads.py`` (the paged reads: export, search,
lists, comments); the HTTP (session, retries, pacing, the whole-call deadline) is the shared
``helpdesks/transport.py``, with Zendesk's auth and status table in ``wire.py``. What this
module promises the pipeline:

- Discovery streams pages (``ExportPage``) from the cursor-based incremental export or the
  Search API; the backlog is never held in memory. A ticket object that does not parse is
  skipped and reported in ``ExportPage.malformed``; it never stops the stream.
- A 403 on the incremental export (it needs an admin's token) raises
  ``IncrementalExportForbidden`` so the caller can switch to search.
- Writes add, never replace: ``additional_tags``, a priority, and one internal note
  (``public: false``), each a ``safe_update`` against the ``updated_stamp`` it was planned
  from. Batches go through ``update_many`` (a job, polled with backoff; a ticket changed since
  it was read fails in the job's results); the single-ticket path raises ``ConflictError`` on
  409 without retrying (a stale stamp stays stale).
- No per-ticket GET in the normal paths; ``show_many`` reads up to 100 tickets a request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any

from ...common.scrub import display_url
from ...errors import ConflictError, HelpdeskError, JobTimeoutError
from ...models import Ticket, WriteBack
from ...resilience.bounds import HELPDESK_MAX_BYTES
from ...resilience.deadline import RunDeadline
from ...resilience.pacing import RateLimitThrottle
from ...resilience.retry import Retrier
from ..write_budget import HelpdeskWriteBudget
from .kind import ZendeskSettings
from .reads import comments, incremental_pages, paged, search_pages, ticket_event_page
from .records import (
    EventPage,
    ExportPage,
    JobRef,
    JobStatus,
    parse_job_status,
    parse_tickets,
    side_loaded_people,
)
from .wire import ZendeskTransport

__all__ = ["BATCH_LIMIT", "ZendeskClient"]

log = logging.getLogger(__name__)

BATCH_LIMIT = 100  # show_many, create_many and update_many take at most 100 tickets


def _ticket_changes(writeback: WriteBack) -> dict[str, Any]:
    """The additive change: tags to add, maybe a priority, maybe one internal note.

    With ``updated_stamp`` (the ``updated_at`` the change was planned from) the change is a
    ``safe_update``: Zendesk applies it only to the ticket as it was read, else refuses it with a
    conflict. So a priority decided from a stale read never lands over an agent's newer one, and
    of two copies of one change (a write that timed out but landed late, and its re-send) only
    the first can land: a ticket never gets a second note.
    """
    change: dict[str, Any] = {"additional_tags": list(writeback.additional_tags)}
    if writeback.remove_tags:
        change["remove_tags"] = list(writeback.remove_tags)
    if writeback.priority is not None:
        change["priority"] = str(writeback.priority)
    elif writeback.clear_priority:
        change["priority"] = None
    if writeback.group_id is not None:
        change["group_id"] = writeback.group_id
    elif writeback.clear_group:
        change["group_id"] = None
    if writeback.assignee_id is not None:
        change["assignee_id"] = writeback.assignee_id
    if writeback.custom_fields:
        change["custom_fields"] = [
            {"id": int(key) if key.isdigit() else key, "value": value}
            for key, value in writeback.custom_fields.items()
        ]
    if writeback.note:
        change["comment"] = {"body": writeback.note, "public": False}
    if writeback.updated_stamp:
        change["safe_update"] = True
        change["updated_stamp"] = writeback.updated_stamp
    return change


def _check_batch(items: Sequence[Any], what: str) -> None:
    if not items:
        raise ValueError(f"{what} needs at least one ticket")
    if len(items) > BATCH_LIMIT:
        raise ValueError(f"{what} takes at most {BATCH_LIMIT} tickets, got {len(items)}")


class ZendeskClient:
    """The Zendesk Support API as ticketbot uses it. Thread-safe; close it (or use ``with``)."""

    def __init__(
        self,
        base_url: str,
        *,
        email: str | None = None,
        api_token: str | None = None,
        oauth_token: str | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        retrier: Retrier | None = None,
        throttle: RateLimitThrottle | None = None,
        sleep: Callable[[float], None] = time.sleep,
        pool_size: int = 16,
        max_bytes: int | None = HELPDESK_MAX_BYTES,
        write_budget: HelpdeskWriteBudget | None = None,
    ) -> None:
        self._http = ZendeskTransport(
            base_url,
            email=email,
            api_token=api_token,
            oauth_token=oauth_token,
            timeout=timeout,
            retrier=retrier,
            throttle=throttle,
            sleep=sleep,
            pool_size=pool_size,
            max_bytes=max_bytes,
            write_budget=write_budget,
        )
        self._sleep = sleep

    @property
    def http(self) -> ZendeskTransport:
        """The transport (retries, pacing, bounds) for the requests of ``links.py``."""
        return self._http

    @property
    def run_deadline(self) -> RunDeadline | None:
        """The run's bound the requests and job polling keep to (None: unbounded)."""
        return self._http.run_deadline

    @classmethod
    def from_desk(cls, desk: ZendeskSettings, **kwargs: Any) -> ZendeskClient:
        """Build from Zendesk's own settings; raises ``ConfigError`` naming what is missing."""
        desk.require()
        token = desk.zendesk_api_token
        oauth = desk.zendesk_oauth_token
        return cls(
            desk.base_url,
            email=desk.zendesk_email,
            api_token=token.get_secret_value() if token else None,
            oauth_token=oauth.get_secret_value() if oauth else None,
            **kwargs,
        )

    @property
    def base_url(self) -> str:
        return self._http.base_url

    @property
    def sandbox_kind(self) -> str | None:
        """``"zendesk"`` when the last answer came from ticketbot's own sandbox."""
        return self._http.sandbox_kind

    def __repr__(self) -> str:
        shown = display_url(self._http.base_url)
        return f"ZendeskClient(base_url={shown!r}, auth={self._http.auth_kind!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ZendeskClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        """The authenticated user (an auth check that costs one request)."""
        user = self._http.request("GET", "/api/v2/users/me.json").get("user")
        return user if isinstance(user, dict) else {}

    def incremental_tickets(
        self, *, start_time: int | None = None, cursor: str | None = None, per_page: int = 1000
    ) -> Iterator[ExportPage]:
        """Stream the cursor-based incremental export from ``cursor`` (or ``start_time``);
        ``IncrementalExportForbidden`` on 403 (``pages.incremental_pages``)."""
        return incremental_pages(
            self._http, start_time=start_time, cursor=cursor, per_page=per_page
        )

    def ticket_events(self, start_time: int) -> EventPage:
        """One page of the ticket event export with its comments, from ``start_time``
        (``pages.ticket_event_page``)."""
        return ticket_event_page(self._http, start_time)

    def search_tickets(self, query: str, *, per_page: int = 100) -> Iterator[ExportPage]:
        """Stream Search API results for ``query``, up to Zendesk's 1,000-result limit
        (``pages.search_pages``)."""
        return search_pages(self._http, query, per_page=per_page)

    def search_count(self, query: str) -> int | None:
        """How many tickets ``query`` matches: one Search API request for one result, read for
        its ``count`` (None when the answer carries none)."""
        body = self._http.request(
            "GET", "/api/v2/search.json", params={"query": query, "per_page": 1}
        )
        count = body.get("count") if isinstance(body, dict) else None
        return count if isinstance(count, int) and not isinstance(count, bool) else None

    def paged(
        self, path: str, key: str, *, params: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Every object under ``key`` of a list endpoint, following ``next_page`` (100 a page)."""
        return paged(self._http, path, key, params=params)

    def show_many(self, ids: Sequence[int]) -> list[Ticket]:
        """The tickets with these ids, 100 a request; ids Zendesk does not know are left out."""
        found: list[Ticket] = []
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), BATCH_LIMIT):
            chunk = unique[start : start + BATCH_LIMIT]
            body = self._http.request(
                "GET",
                "/api/v2/tickets/show_many.json",
                params={"ids": ",".join(str(i) for i in chunk), "include": "users"},
            )
            tickets, _ = parse_tickets(body.get("tickets"), side_loaded_people(body.get("users")))
            found.extend(tickets)
        return found

    def comments(self, ticket_id: int) -> list[dict[str, Any]]:
        """Every comment on a ticket, oldest first, 100 a page."""
        return comments(self._http, ticket_id)

    # -- writing ---------------------------------------------------------------------------

    def update_many(self, writebacks: Sequence[WriteBack]) -> JobStatus:
        """Queue one job updating up to 100 tickets, each with its own change."""
        _check_batch(writebacks, "update_many")
        tickets = [{"id": wb.ticket_id, **_ticket_changes(wb)} for wb in writebacks]
        body = self._http.request(
            "PUT",
            "/api/v2/tickets/update_many.json",
            json={"tickets": tickets},
            replay_safe=False,  # a replay would add every note twice
        )
        return parse_job_status(body)

    def create_many(self, tickets: Sequence[dict[str, Any]]) -> JobStatus:
        """Queue one job creating up to 100 tickets (Zendesk ticket objects)."""
        _check_batch(tickets, "create_many")
        body = self._http.request(
            "POST",
            "/api/v2/tickets/create_many.json",
            json={"tickets": list(tickets)},
            replay_safe=False,  # a replay would create every ticket twice
        )
        return parse_job_status(body)

    def job_status(self, job_id: str) -> JobStatus:
        return parse_job_status(self._http.request("GET", f"/api/v2/job_statuses/{job_id}.json"))

    def wait_for_job(self, job: JobRef, *, timeout: float = 300.0) -> JobStatus:
        """Poll until the job completed, failed or was killed: 0.2 s doubling to 5 s.

        ``job`` is a ``JobStatus`` or anything with its ``id`` and ``status`` (a job id kept
        across a crash). ``timeout`` counts the time slept between polls (so an injected sleep
        controls it); past it, ``JobTimeoutError``. No poll sleeps past the run's bound
        (``RunOutOfTime``): a job still queued then is the next run's to wait for.
        """
        current = job if isinstance(job, JobStatus) else self.job_status(job.id)
        delay, waited = 0.2, 0.0
        bound = self._http.run_deadline
        while not current.done:
            if waited >= timeout:
                raise JobTimeoutError(
                    f"Zendesk job {current.id} still {current.status} after {waited:.0f}s "
                    f"({current.progress or 0}/{current.total or '?'} done)"
                )
            left = bound.left() if bound is not None else None
            self._sleep(delay if left is None else min(delay, left))
            waited += delay
            delay = min(delay * 2, 5.0)
            if bound is not None and bound.left() == 0:
                raise bound.out_of_time(f"waiting for Zendesk job {current.id} ({current.status})")
            current = self.job_status(current.id)
        return current

    def put_ticket(self, ticket_id: int, change: dict[str, Any], *, replay_safe: bool) -> Any:
        """One ``PUT /tickets/{id}`` of a raw change (a public reply, a status); Zendesk's
        answer (the ticket and the update's audit)."""
        return self._http.request(
            "PUT",
            f"/api/v2/tickets/{int(ticket_id)}.json",
            json={"ticket": change},
            replay_safe=replay_safe,
        )

    def update_ticket(self, writeback: WriteBack) -> Ticket:
        """Apply one change with ``PUT /tickets/{id}``; with ``updated_stamp``, only if the
        ticket is unchanged since (``safe_update``), else ``ConflictError`` at once."""
        change = _ticket_changes(writeback)
        body = self._http.request(
            "PUT",
            f"/api/v2/tickets/{int(writeback.ticket_id)}.json",
            json={"ticket": change},
            # With safe_update a replay of an applied change is refused with 409, so it is safe.
            replay_safe=bool(writeback.updated_stamp) or not writeback.note,
            no_retry=(ConflictError,),
        )
        tickets, _ = parse_tickets([body.get("ticket")])
        if not tickets:
            raise HelpdeskError(
                f"Zendesk answered the update of ticket {writeback.ticket_id} without a ticket"
            )
        return tickets[0]
