"""Zendesk's service levels as the SLA feature reads them (``HelpdeskKind.slas``).

- ``GET /api/v2/slas/policies``: each policy's ``policy_metrics`` (``priority``, ``metric``,
  ``target`` in minutes, ``business_hours``), in ``position`` order;
- ``GET /api/v2/business_hours/schedules`` and ``.../schedules/{id}/holidays``: the account's
  first schedule (``intervals`` in minutes from Sunday 00:00, its ``time_zone``) and holidays;
- ``GET /api/v2/incremental/tickets/cursor.json?include=slas,metric_sets`` from the history's
  start, 1,000 tickets a page: each ticket's applied targets (``slas.policy_metrics``:
  ``metric``, ``stage`` active / paused / achieved, ``breach_at``) and its metric set
  (``reply_time_in_minutes``, the group's first-reply history); a solved ticket's first-reply
  target (``breach_at``) is the deadline its first reply met or missed, what the breach
  probability is calibrated on;
- ``GET /api/v2/incremental/ticket_metric_events`` (``metric_events.py``), the last day's on
  a full read and a few pages a run: a past first reply's breach and fulfilment to the second
  (before the metric set's whole minutes and the applied target), and a running target paused
  or achieved now.

Zendesk's ticket does not name the policy applied to it; the targets per priority are read
from the first policy (by position) that sets this metric for the ticket's priority, which is
what a priority change would re-apply.

The agents at work per group are the omnichannel routing's availabilities
(``GET /api/v2/agent_availabilities``: ``agent_status.name`` online, counted in each of the
agent's ``group_ids``), the assignment's reader; an account without omnichannel routing says
nothing of who is at work, and the read leaves ``agents_at_work`` unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ...models import Helpdesk
from ..sla import Clock, FirstReply, SlaRead, iso_seconds
from .adapter import ZendeskHelpdesk
from .business_hours import read_schedule as _schedule
from .metric_events import Trail, Trails, read_trails
from .staffing import agents_at_work

METRIC_NAMES = {
    "first_reply_time": "first_reply",
    "next_reply_time": "next_reply",
    "periodic_update_time": "periodic_update",
    "pausable_update_time": "periodic_update",
    "requester_wait_time": "resolution",
    "agent_work_time": "resolution",
    "total_resolution_time": "resolution",
}
OPEN = ("new", "open", "pending", "hold")
EXPORT_PAGE = 1000
EVENTS_DAY = 86400  # a full read's metric events: the last day's
MINUTES_A_WEEK = 7 * 24 * 60


def _targets(policies: list[dict[str, Any]]) -> dict[str, dict[str, tuple[float, bool]]]:
    """Our metric -> priority -> (target seconds, business hours), first policy first."""
    found: dict[str, dict[str, tuple[float, bool]]] = {}
    for policy in sorted(policies, key=lambda p: p.get("position") or 0):
        for item in policy.get("policy_metrics") or ():
            metric = METRIC_NAMES.get(str(item.get("metric")))
            target, priority = item.get("target"), item.get("priority")
            if metric is None or not isinstance(target, int | float) or not priority:
                continue
            per = found.setdefault(metric, {})
            per.setdefault(str(priority), (float(target) * 60, bool(item.get("business_hours"))))
    return found


def _clocks(
    ticket: dict[str, Any], targets: dict[str, dict[str, tuple[float, bool]]]
) -> list[Clock]:
    slas = ticket.get("slas")
    slas = slas if isinstance(slas, dict) else {}
    found = []
    priority = ticket.get("priority")
    for item in slas.get("policy_metrics") or ():
        metric = METRIC_NAMES.get(str(item.get("metric")))
        stage = str(item.get("stage") or "")
        if metric is None or stage not in ("active", "paused", "achieved"):
            continue
        per = targets.get(metric, {})
        business = per.get(str(priority), (0.0, False))[1]
        found.append(
            Clock(
                ticket_id=int(ticket["id"]),
                metric=metric,
                stage=stage,
                breach_at=iso_seconds(item.get("breach_at")),
                business_hours=business,
                group_id=ticket.get("group_id"),
                priority=priority,
                tags=tuple(ticket.get("tags") or ()),
                subject=str(ticket.get("subject") or ""),
                started_at=iso_seconds(ticket.get("created_at")),
                targets={p: seconds for p, (seconds, _) in per.items()},
            )
        )
    return found


def _first_reply(ticket: dict[str, Any], metric_sets: dict[int, dict[str, Any]]) -> FirstReply:
    asked = iso_seconds(ticket.get("created_at")) or 0.0
    metrics = metric_sets.get(int(ticket["id"]), {})
    reply = metrics.get("reply_time_in_minutes") or {}
    minutes = reply.get("calendar") if isinstance(reply, dict) else None
    answered = asked + float(minutes) * 60 if isinstance(minutes, int | float) else None
    due = None
    slas = ticket.get("slas")
    for item in (slas.get("policy_metrics") or ()) if isinstance(slas, dict) else ():
        if isinstance(item, dict) and item.get("metric") == "first_reply_time":
            due = iso_seconds(item.get("breach_at"))
    breached = None if due is None else (answered is None or answered > due)
    return FirstReply(ticket.get("group_id"), asked, answered, breached, due, int(ticket["id"]))


def _as_events_say(clock: Clock, trails: Trails) -> Clock:
    """A running clock its metric events say is paused or achieved now, shown so."""
    trail = trails.get((clock.ticket_id, clock.metric))
    if trail is None or clock.stage != "active" or trail.stage == "active":
        return clock
    return replace(clock, stage=trail.stage)


def _told_by(reply: FirstReply, trail: Trail | None) -> FirstReply:
    """A first reply of the history with what its metric events say of it: when it was
    fulfilled and due, and whether it breached."""
    if trail is None:
        return reply
    answered = trail.fulfilled_at if trail.fulfilled_at is not None else reply.answered_at
    due = trail.due_at if trail.due_at is not None else reply.due_at
    breached = reply.breached
    if trail.breached_at is not None:
        breached = True
    elif answered is not None and due is not None:
        breached = answered > due
    return replace(reply, answered_at=answered, due_at=due, breached=breached)


def read_slas(
    helpdesk: Helpdesk,
    *,
    now: float,
    history_since: float,
    max_requests: int,
    since: Mapping[str, Any] | None = None,
) -> SlaRead:
    if not isinstance(helpdesk, ZendeskHelpdesk):
        raise TypeError("the Zendesk SLA read needs the Zendesk adapter")
    http = helpdesk.client.http
    count = [1]
    policies = http.request("GET", "/api/v2/slas/policies.json")
    targets = _targets(policies.get("sla_policies") or [] if isinstance(policies, dict) else [])
    schedule = _schedule(http, count)
    at_work, pages = agents_at_work(http, max_pages=max(1, max_requests // 10))
    count[0] += pages
    cursor = since.get("cursor") if since else None
    cursor = cursor if isinstance(cursor, str) and cursor else None
    incremental = cursor is not None
    events_from = since.get("events_from") if cursor and since else None
    events_from = max(history_since, events_from) if isinstance(events_from, int) else None
    # The metric events share Zendesk's 10 incremental exports a minute with the ticket
    # export and the run's discovery: a few pages a run, the last day's on a full read, and
    # from where the last read stopped after it (a read in part goes on next run).
    trails, asked, told, events_end = read_trails(
        http, events_from or max(history_since, now - EVENTS_DAY), max(1, max_requests // 20)
    )
    count[0] += asked
    clocks: list[Clock] = []
    history: list[FirstReply] = []
    changed: set[int] = set()
    params: dict[str, Any] = (
        {"cursor": cursor, "include": "slas,metric_sets"}
        if cursor
        else {"start_time": int(history_since), "include": "slas,metric_sets",
              "per_page": EXPORT_PAGE}
    )  # fmt: skip
    complete = False
    while count[0] < max_requests:
        body = http.request("GET", "/api/v2/incremental/tickets/cursor.json", params=params)
        count[0] += 1
        metric_sets = {
            int(m["ticket_id"]): m
            for m in body.get("metric_sets") or ()
            if isinstance(m, dict) and isinstance(m.get("ticket_id"), int)
        }
        for ticket in body.get("tickets") or ():
            if not isinstance(ticket, dict) or not isinstance(ticket.get("id"), int):
                continue
            changed.add(int(ticket["id"]))
            if ticket.get("status") in OPEN:
                clocks.extend(_as_events_say(c, trails) for c in _clocks(ticket, targets))
            if (iso_seconds(ticket.get("created_at")) or 0) >= history_since:
                trail = trails.get((int(ticket["id"]), "first_reply"))
                history.append(_told_by(_first_reply(ticket, metric_sets), trail))
        if body.get("after_cursor"):
            cursor = str(body["after_cursor"])
        if body.get("end_of_stream") or not body.get("after_cursor"):
            complete = True
            break
        params = {"cursor": body["after_cursor"], "include": "slas,metric_sets"}
    notes = [] if complete else ["the SLA read stopped at its request budget"]
    if not told:
        notes.append("the metric events were read in part: the history's times in part")
    position = {"cursor": cursor, "events_from": events_end} if cursor else None
    return SlaRead(
        clocks, history, schedule, at_work, count[0], complete, notes, position,
        frozenset(changed) if incremental else None,
    )  # fmt: skip
