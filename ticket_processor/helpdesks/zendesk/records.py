"""Zendesk's answers as ticketbot's values: ticket pages and job statuses, parsed defensively.

Pure: no I/O. A ticket object that does not parse is kept aside (``ExportPage.malformed``) instead
of raising, and a job status tolerates both shapes Zendesk uses for ``results``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import ValidationError

from ...errors import HelpdeskError
from ...models import Ticket

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


def parse_tickets(items: object) -> tuple[list[Ticket], list[dict[str, Any]]]:
    """Zendesk ticket objects -> (tickets, malformed); never raises on bad data."""
    tickets: list[Ticket] = []
    malformed: list[dict[str, Any]] = []
    if not isinstance(items, list):
        return tickets, malformed
    for item in items:
        if not isinstance(item, dict):
            malformed.append({"value": item})
            continue
        try:
            tickets.append(Ticket.model_validate(_ticket_fields(item)))
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
    fields["form_id"] = item.get("ticket_form_id")
    custom = item.get("custom_fields")
    if isinstance(custom, list):
        fields["custom_fields"] = {
            str(f["id"]): f.get("value")
            for f in custom
            if isinstance(f, dict) and f.get("id") is not None
        }
    return fields


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
