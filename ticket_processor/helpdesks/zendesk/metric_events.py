"""Zendesk's ticket metric events as the SLA read takes them: what each target did and when.

``GET /api/v2/incremental/ticket_metric_events?start_time=`` is a time-based incremental export
(1,000 events a page, oldest first; the next page starts at the last one's ``end_time``, whose
second's events come again: kept once by ``id``; a page short of 1,000 is the last). Each event
names a ``metric`` and its ``instance_id`` (``reply_time`` 1 is the first reply, later
instances the next replies), a ``type`` (``activate``, ``pause``, ``fulfill``, ``apply_sla``
with the ``sla`` applied: ``target`` minutes, ``business_hours``, ``policy``; ``breach``, set
aside when ``deleted``) and its ``time``.

They say better than the ticket export what the calibration needs of a past target (when it
breached, when it was fulfilled, to the second) and whether a running target is paused or
achieved now (the last of activate / pause / fulfill).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..sla import iso_seconds

EVENTS_PAGE = 1000
# Zendesk's metric -> ticketbot's target (reply_time: by instance, in ``target_of``).
METRICS = {
    "periodic_update_time": "periodic_update",
    "pausable_update_time": "periodic_update",
    "requester_wait_time": "resolution",
    "agent_work_time": "resolution",
    "resolution_time": "resolution",
}


def target_of(metric: object, instance: object) -> str | None:
    """Ticketbot's name for an event's metric instance (None: not a target it reads)."""
    if metric == "reply_time":
        return "first_reply" if instance == 1 else "next_reply"
    return METRICS.get(str(metric))


@dataclass
class Trail:
    """One target on one ticket as its events tell it: when its clock started, the target
    applied (seconds, business hours or not), when it breached and was fulfilled, and the
    state its last activate / pause / fulfill left it in."""

    started_at: float | None = None
    target: float | None = None
    business_hours: bool = False
    breached_at: float | None = None
    fulfilled_at: float | None = None
    state: str = "active"

    @property
    def due_at(self) -> float | None:
        """When it was due: its breach, or a calendar target counted from its start."""
        if self.breached_at is not None:
            return self.breached_at
        if self.target is None or self.business_hours or self.started_at is None:
            return None
        return self.started_at + self.target

    @property
    def stage(self) -> str:
        """achieved (fulfilled since it last ran), paused, or active."""
        return {"fulfill": "achieved", "pause": "paused"}.get(self.state, "active")


Trails = dict[tuple[int, str], Trail]  # (ticket id, ticketbot's target) -> its trail


def _apply(trail: Trail, event: dict[str, Any], moment: float) -> None:
    kind = event.get("type")
    if kind == "activate":
        trail.started_at = moment if trail.started_at is None else trail.started_at
        trail.state = "activate"
    elif kind in ("pause", "fulfill"):
        trail.state = str(kind)
        if kind == "fulfill" and trail.fulfilled_at is None:
            trail.fulfilled_at = moment
    elif kind == "apply_sla":
        sla = event.get("sla")
        sla = sla if isinstance(sla, dict) else {}
        minutes = sla.get("target")
        trail.target = float(minutes) * 60 if isinstance(minutes, int | float) else None
        trail.business_hours = bool(sla.get("business_hours"))
    elif kind == "breach" and not event.get("deleted") and trail.breached_at is None:
        trail.breached_at = moment


def read_trails(http: Any, start_time: float, max_requests: int) -> tuple[Trails, int, bool, int]:
    """The targets' trails from ``start_time`` on, the requests it took (at most
    ``max_requests``), whether it read to the end of the stream, and where the next read
    starts (the last page's ``end_time``)."""
    trails: Trails = {}
    seen: set[int] = set()
    start, requests = int(start_time), 0
    while requests < max_requests:
        path = "/api/v2/incremental/ticket_metric_events.json"
        body = http.request("GET", path, params={"start_time": start})
        requests += 1
        events = body.get("ticket_metric_events") if isinstance(body, dict) else None
        fresh = 0
        for event in events if isinstance(events, list) else ():
            if not isinstance(event, dict) or event.get("id") in seen:
                continue
            fresh += 1
            seen.add(event.get("id"))  # type: ignore[arg-type]
            target = target_of(event.get("metric"), event.get("instance_id"))
            moment = iso_seconds(event.get("time"))
            if target is None or moment is None or not isinstance(event.get("ticket_id"), int):
                continue
            _apply(trails.setdefault((event["ticket_id"], target), Trail()), event, moment)
        end = body.get("end_time") if isinstance(body, dict) else None
        count = len(events) if isinstance(events, list) else 0
        if not fresh and count >= EVENTS_PAGE:
            break  # a second with more events than a page: the export cannot go past it
        if count < EVENTS_PAGE or not fresh or not isinstance(end, int) or end < start:
            return trails, requests, True, end if isinstance(end, int) else start
        start = end
    return trails, requests, False, start
