"""Freshdesk's service levels as the SLA feature reads them (``HelpdeskKind.slas``).

- ``GET /api/v2/sla_policies``: each policy's ``sla_target`` per priority (``priority_1`` low
  ... ``priority_4`` urgent: ``respond_within``, ``next_respond_within``, ``resolve_within`` in
  seconds, ``business_hours``) and the groups it applies to (``applicable_to.group_ids``; the
  default policy otherwise);
- ``GET /api/v2/business_hours``: the default calendar (``business_hours`` per weekday, ``8:00
  am``-style times, its ``time_zone``) and its holidays (``list_of_holidays``: ``--MM-DD``, every
  year);
- ``GET /api/v2/tickets?updated_since=...&include=stats``, 100 a page, oldest change first: each
  open ticket's ``fr_due_by`` (first response), ``nr_due_by`` (next response), ``due_by``
  (resolution) and the ``fr_escalated`` / ``nr_escalated`` / ``is_escalated`` flags Freshdesk
  sets when one was missed; ``stats.first_responded_at`` says the first response was given (the
  group's history too, with its ``fr_due_by``: the deadline it met or missed). A pending
  ticket (status 3, and the waiting statuses 6 and 7, whose SLA timer Freshdesk stops by
  default) has its clocks paused;
- ``GET /api/v2/groups`` and ``GET /api/v2/agents``: which agents of each group are
  ``available`` now (Freshdesk's own availability toggle); where no agent carries the toggle
  the account keeps no availability, and the agents at work stay unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ...models import Helpdesk
from ..sla import Clock, FirstReply, SlaRead, iso_seconds
from .adapter import FreshdeskHelpdesk
from .business_hours import read_schedule as _schedule
from .records import PRIORITY_FROM_FRESHDESK

OPEN, PAUSED = (2,), (3, 6, 7)
CLOCKS = (  # (our metric, due field, escalated flag, the policy's target key)
    ("first_reply", "fr_due_by", "fr_escalated", "respond_within"),
    ("next_reply", "nr_due_by", "nr_escalated", "next_respond_within"),
    ("resolution", "due_by", "is_escalated", "resolve_within"),
)


def _policy_for(policies: list[dict[str, Any]], group_id: object) -> dict[str, Any] | None:
    for policy in sorted(policies, key=lambda p: p.get("position") or 0):
        groups = (policy.get("applicable_to") or {}).get("group_ids") or ()
        if policy.get("active", True) and group_id in groups:
            return policy
    return next((p for p in policies if p.get("is_default")), None)


def _clocks(ticket: dict[str, Any], policies: list[dict[str, Any]], now: float) -> list[Clock]:
    status = ticket.get("status")
    if status not in OPEN + PAUSED:
        return []
    policy = _policy_for(policies, ticket.get("group_id")) or {}
    targets = policy.get("sla_target") or {}
    priority = PRIORITY_FROM_FRESHDESK.get(ticket.get("priority"))  # type: ignore[arg-type]
    own = targets.get(f"priority_{ticket.get('priority')}") or {}
    stats = ticket.get("stats") or {}
    found = []
    for metric, due_field, flag, target_key in CLOCKS:
        due = iso_seconds(ticket.get(due_field))
        if due is None:
            continue
        if metric == "first_reply" and stats.get("first_responded_at"):
            stage = "achieved"
        elif ticket.get(flag):
            stage = "breached"
        else:
            stage = "paused" if status in PAUSED else "active"
        per_priority = {
            PRIORITY_FROM_FRESHDESK[int(key[-1])]: float(value[target_key])
            for key, value in targets.items()
            if key[-1:].isdigit() and int(key[-1]) in PRIORITY_FROM_FRESHDESK
            and isinstance(value, dict) and isinstance(value.get(target_key), int | float)
        }  # fmt: skip
        found.append(
            Clock(
                ticket_id=int(ticket["id"]),
                metric=metric,
                stage=stage,
                breach_at=due,
                business_hours=bool(own.get("business_hours")),
                group_id=ticket.get("group_id"),
                priority=priority,
                tags=tuple(ticket.get("tags") or ()),
                subject=str(ticket.get("subject") or ""),
                started_at=iso_seconds(ticket.get("created_at")),
                targets=per_priority,
            )
        )
    return found


def _agents_at_work(http: Any) -> tuple[dict[int, int] | None, int]:
    """Group id -> its agents available now (None: no agent carries the toggle), and the
    requests it took."""
    available: set[int] = set()
    toggled = False
    pages = 0
    for page in http.pages("/api/v2/agents", {"per_page": 100}):
        pages += 1
        agents = [a for a in page if isinstance(a, dict) and isinstance(a.get("id"), int)]
        toggled = toggled or any("available" in agent for agent in agents)
        available |= {int(agent["id"]) for agent in agents if agent.get("available")}
    if not toggled:
        return None, pages
    at_work: dict[int, int] = {}
    for page in http.pages("/api/v2/groups", {"per_page": 100}):
        pages += 1
        for group in page:
            if isinstance(group, dict) and isinstance(group.get("id"), int):
                members = {int(a) for a in group.get("agent_ids") or ()}
                at_work[int(group["id"])] = len(members & available)
    return at_work, pages


def read_slas(
    helpdesk: Helpdesk,
    *,
    now: float,
    history_since: float,
    max_requests: int,
    since: Mapping[str, Any] | None = None,
) -> SlaRead:
    if not isinstance(helpdesk, FreshdeskHelpdesk):
        raise TypeError("the Freshdesk SLA read needs the Freshdesk adapter")
    http = helpdesk.http
    policies = http.request("GET", "/api/v2/sla_policies").body
    policies = [p for p in policies if isinstance(p, dict)] if isinstance(policies, list) else []
    calendars = http.request("GET", "/api/v2/business_hours").body
    year = date.fromtimestamp(now).year
    schedule = _schedule(calendars if isinstance(calendars, list) else [], year)
    at_work, pages = _agents_at_work(http)
    requests = 2 + pages
    clocks: list[Clock] = []
    history: list[FirstReply] = []
    from_position = since.get("updated_since") if since else None
    incremental = isinstance(from_position, str) and iso_seconds(from_position) is not None
    first = date.fromtimestamp(history_since).isoformat() + "T00:00:00Z"
    latest = str(from_position) if incremental else first
    params = {
        "updated_since": latest,
        "include": "stats",
        "per_page": 100,
        "order_by": "updated_at",
        "order_type": "asc",
    }
    # updated_since counts whole seconds, inclusive: the tickets of the position's second
    # come again (one changed in that second after the last read is not missed).
    changed: set[int] = set()
    complete = True
    for page in http.pages("/api/v2/tickets", params):
        requests += 1
        for ticket in page:
            if not isinstance(ticket, dict) or not isinstance(ticket.get("id"), int):
                continue
            updated = iso_seconds(ticket.get("updated_at")) or 0.0
            changed.add(int(ticket["id"]))
            if updated > (iso_seconds(latest) or 0):
                latest = str(ticket["updated_at"])
            clocks.extend(_clocks(ticket, policies, now))
            asked = iso_seconds(ticket.get("created_at"))
            if asked is not None and asked >= history_since:
                stats = ticket.get("stats") or {}
                answered = iso_seconds(stats.get("first_responded_at"))
                group = ticket.get("group_id")
                due = iso_seconds(ticket.get("fr_due_by"))
                breached = bool(ticket.get("fr_escalated"))
                history.append(FirstReply(group, asked, answered, breached, due, int(ticket["id"])))
        if requests >= max_requests:
            complete = False
            break
    notes = [] if complete else ["the SLA read stopped at its request budget"]
    return SlaRead(
        clocks, history, schedule, at_work, requests, complete, notes,
        {"updated_since": latest}, frozenset(changed) if incremental else None,
    )  # fmt: skip
