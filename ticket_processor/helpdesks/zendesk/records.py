"""Zendesk's answers as ticketbot's values: ticket pages, ticket event pages and job statuses,
parsed defensively.

Pure: no I/O. A ticket object or event record that does not parse is kept aside
(``ExportPage.malformed``, ``EventPage.malformed``) instead of raising, and a job status
tolerates both shapes Zendesk uses for ``results``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import ValidationError

from ...errors import HelpdeskError
from ...models import Person, Ticket

log = logging.getLogger(__name__)

JOB_DONE_STATES = frozenset({"completed", "failed", "killed"})


class JobRef(Protocol):
    """What ``wait_for_job`` needs of a job: its id and last known status."""

    @property
    def id(self) -> str: ...

    @property
    def status(self) -> str: ...


@dataclass(frozen=True)
class ExportPage:
    """One page of discovered tickets; save ``after_cursor`` once the page is written back."""

    tickets: list[Ticket]
    after_cursor: str | None
    end_of_stream: bool
    malformed: list[dict[str, Any]] = field(default_factory=list)
    limit_reached: bool = False


@dataclass(frozen=True)
class JobResult:
    """One ticket's outcome in a job (``ticket_id`` is the new id for a create; ``index`` is
    the position in the request, which Zendesk keeps in its results)."""

    ticket_id: int | None
    index: int | None
    success: bool
    status: str | None
    error: str | None
    details: str | None


@dataclass(frozen=True)
class JobStatus:
    id: str
    status: str
    total: int | None
    progress: int | None
    results: list[JobResult]

    @property
    def done(self) -> bool:
        return self.status in JOB_DONE_STATES

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if not r.success]


def side_loaded_people(users: object) -> dict[int, Person]:
    """``include=users``'s side-loaded users by id: whose names are redacted from the tickets
    that name them (requester, submitter, assignee, CCs, followers), with no request of their
    own."""
    found: dict[int, Person] = {}
    for user in users if isinstance(users, list) else []:
        if isinstance(user, dict) and isinstance(user.get("id"), int):
            name, email, locale = user.get("name"), user.get("email"), user.get("locale")
            found[user["id"]] = Person(
                name=name if isinstance(name, str) else "",
                email=email if isinstance(email, str) else "",
                locale=locale if isinstance(locale, str) else "",
            )
    return found


_PERSON_KEYS = ("requester_id", "submitter_id", "assignee_id")
_PEOPLE_KEYS = ("collaborator_ids", "email_cc_ids", "follower_ids")


def _people(item: dict[str, Any], users: dict[int, Person]) -> tuple[Person, ...]:
    ids = [item.get(key) for key in _PERSON_KEYS]
    for key in _PEOPLE_KEYS:
        listed = item.get(key)
        ids.extend(listed if isinstance(listed, list) else ())
    found = (users.get(i) for i in dict.fromkeys(ids) if isinstance(i, int))
    return tuple(person for person in found if person is not None)


def parse_tickets(
    items: object, users: dict[int, Person] | None = None
) -> tuple[list[Ticket], list[dict[str, Any]]]:
    """Zendesk ticket objects -> (tickets, malformed); never raises on bad data. ``users``:
    the side-loaded users (``side_loaded_people``) whose names each ticket keeps.

    A list given is emptied as it is read: each object's decoded JSON goes as soon as its
    ``Ticket`` is made, so a 1,000-ticket page is not held twice (decoded and parsed)."""
    tickets: list[Ticket] = []
    malformed: list[dict[str, Any]] = []
    if not isinstance(items, list):
        return tickets, malformed
    items.reverse()
    while items:
        item = items.pop()
        if not isinstance(item, dict):
            malformed.append({"value": item})
            continue
        try:
            fields = _ticket_fields(item)
            if users:
                fields["people"] = _people(item, users)
                rid = item.get("requester_id")
                requester = users.get(rid) if isinstance(rid, int) else None
                if requester is not None and requester.locale:
                    fields["requester_locale"] = requester.locale
            tickets.append(Ticket.model_validate(fields))
        except (ValidationError, TypeError, ValueError):
            malformed.append(item)
    if malformed:
        log.warning("skipped %d malformed ticket object(s)", len(malformed))
    return tickets, malformed


def _ticket_fields(item: dict[str, Any]) -> dict[str, Any]:
    """Zendesk's ticket object in ``models.Ticket``'s names (form, channel, custom fields)."""
    fields = dict(item)
    fields.pop("custom_fields", None)
    via = item.get("via")
    fields["channel"] = via.get("channel") if isinstance(via, dict) else None
    fields["sender"] = _sender(via)
    fields["form_id"] = item.get("ticket_form_id")
    custom = item.get("custom_fields")
    if isinstance(custom, list):
        fields["custom_fields"] = {
            str(f["id"]): f.get("value")
            for f in custom
            if isinstance(f, dict) and f.get("id") is not None
        }
    return fields


def _sender(via: object) -> str | None:
    """The address a mail-born ticket came from (``via.source.from.address``), else None."""
    if not isinstance(via, dict) or via.get("channel") != "email":
        return None
    source = via.get("source")
    sent = source.get("from") if isinstance(source, dict) else None
    address = sent.get("address") if isinstance(sent, dict) else None
    return address if isinstance(address, str) and address else None


def _opt_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def parse_job_status(body: dict[str, Any]) -> JobStatus:
    job = body.get("job_status")
    if not isinstance(job, dict) or not job.get("id"):
        raise HelpdeskError("Zendesk answered without a job status")
    results: list[JobResult] = []
    raw = job.get("results")
    # ``results`` is a list per ticket, or a single {"success": ...} object for some jobs.
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(item, dict):
            continue
        error = item.get("error")
        success = item.get("success")
        results.append(
            JobResult(
                ticket_id=_opt_int(item.get("id")),
                index=_opt_int(item.get("index", index)),
                success=bool(success) if success is not None else error is None,
                status=_opt_str(item.get("status")),
                error=_opt_str(error),
                details=_opt_str(item.get("details")),
            )
        )
    return JobStatus(
        id=str(job["id"]),
        status=str(job.get("status") or "queued"),
        total=_opt_int(job.get("total")),
        progress=_opt_int(job.get("progress")),
        results=results,
    )


@dataclass(frozen=True)
class EventPage:
    """One page of the ticket event export, read for customers' replies: who wrote a public
    comment on which ticket (``(ticket id, author id)``, a ticket's creation left out: its
    first comment is the ticket itself), where the next page starts (``end_time``), whether
    this was the last one, and the event records that did not parse."""

    public_comments: list[tuple[int, int]]
    end_time: int | None
    end_of_stream: bool
    malformed: list[dict[str, Any]] = field(default_factory=list)


def parse_ticket_events(body: object) -> EventPage:
    """A ticket event export answer (with ``include=comment_events``) -> ``EventPage``; a
    malformed event record is kept aside, never raised."""
    body = body if isinstance(body, dict) else {}
    found: list[tuple[int, int]] = []
    malformed: list[dict[str, Any]] = []
    events = body.get("ticket_events")
    for event in events if isinstance(events, list) else []:
        ticket_id = _opt_int(event.get("ticket_id")) if isinstance(event, dict) else None
        children = event.get("child_events") if isinstance(event, dict) else None
        if not isinstance(event, dict) or ticket_id is None or not isinstance(children, list):
            malformed.append(event if isinstance(event, dict) else {"value": event})
            continue
        kinds = [c.get("event_type") for c in children if isinstance(c, dict)]
        if "Create" in kinds:
            continue  # the ticket's creation: its comment is the description, not a reply
        for child in children:
            if not isinstance(child, dict) or child.get("event_type") != "Comment":
                continue
            author = _opt_int(child.get("author_id"))
            if child.get("public") is True and author is not None:
                found.append((ticket_id, author))
    if malformed:
        log.warning("skipped %d malformed ticket event record(s)", len(malformed))
    end_time = _opt_int(body.get("end_time"))
    # A page without a time to go on from is the last one, whatever it claims.
    end = bool(body.get("end_of_stream")) or end_time is None
    return EventPage(found, end_time, end, malformed)
