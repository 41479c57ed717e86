"""Zendesk's service levels as the sandbox serves them, in Zendesk's shapes:

- ``GET /api/v2/slas/policies``: ``{"sla_policies": [...], "next_page": null, "count": n}``,
  each with ``policy_metrics`` (``priority``, ``metric``, ``target`` in minutes,
  ``business_hours``);
- ``GET /api/v2/business_hours/schedules``: ``{"schedules": [...]}``, each with ``intervals``
  (``start_time`` / ``end_time`` in minutes from Sunday 00:00) and a ``time_zone``;
- ``GET /api/v2/business_hours/schedules/{id}/holidays``: ``{"holidays": [...]}``;
- the ``slas`` sideload on the incremental export (``include=slas``: each ticket's
  ``slas.policy_metrics`` with ``breach_at`` and ``stage``) and ``metric_sets``
  (``include=metric_sets``: ``reply_time_in_minutes``), added by ``sideloads``;
- ``GET /api/v2/incremental/ticket_metric_events?start_time=``: the metric events (``metric``
  reply_time / requester_wait_time / ..., ``instance_id``, ``type`` activate / apply_sla /
  pause / fulfill / breach, ``time``; an apply_sla event's ``sla`` with ``target`` minutes,
  ``business_hours`` and ``policy``) from ``start_time`` on, oldest first, as a time-based
  incremental export: ``EVENTS_PAGE`` a page and every event sharing the last one's second,
  with ``next_page`` (from ``end_time``, the last event's time: its second's events are
  served again), ``count`` and ``end_time``; a page short of ``EVENTS_PAGE`` is the last.

What each ticket's targets say (breach times, stages) is set as Zendesk's SLA engine would have
set them, through ``ZendeskSlaState`` (the test desk's ``sla_clock``), not computed here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from ....sandbox.httpbase import not_found
from .config import bad_request
from .records import iso
from .routes import Call, Handler, Services


@dataclass
class ZendeskSlaState:
    """The account's SLA policies, schedules, holidays, and per ticket its applied metrics
    and its metric set's reply time (minutes)."""

    policies: list[dict[str, Any]] = field(default_factory=list)
    schedules: list[dict[str, Any]] = field(default_factory=list)
    holidays: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    applied: dict[int, dict[str, dict[str, Any]]] = field(default_factory=dict)
    reply_minutes: dict[int, float] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def event(self, ticket_id: int, metric: str, instance: int, kind: str, when: float,
              **extra: Any) -> None:  # fmt: skip
        """A metric event as Zendesk's SLA engine records it (``when``: Unix seconds)."""
        with self.lock:
            self.events.append(
                {"id": len(self.events) + 1, "ticket_id": ticket_id, "metric": metric,
                 "instance_id": instance, "type": kind, "time": when, **extra}
            )  # fmt: skip

    def has_event(self, ticket_id: int, metric: str, instance: int, kind: str) -> bool:
        with self.lock:
            return any(
                (e["ticket_id"], e["metric"], e["instance_id"], e["type"])
                == (ticket_id, metric, instance, kind)
                for e in self.events
            )

    def apply(self, ticket_id: int, metric: str, breach_at: str | None, stage: str) -> None:
        with self.lock:
            metrics = self.applied.setdefault(ticket_id, {})
            metrics[metric] = {"breach_at": breach_at, "stage": stage, "metric": metric}

    def policy_metrics(self, ticket_id: int) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(m) for m in self.applied.get(ticket_id, {}).values()]


STATE_ATTRIBUTE = "sla"


def store_state(store: object) -> ZendeskSlaState:
    """The store's SLA state, made on first use."""
    found = getattr(store, STATE_ATTRIBUTE, None)
    if not isinstance(found, ZendeskSlaState):
        found = ZendeskSlaState()
        setattr(store, STATE_ATTRIBUTE, found)
    return found


def state_of(svc: Services) -> ZendeskSlaState:
    return store_state(svc.store)


def sla_policies(svc: Services, call: Call) -> tuple[int, Any]:
    policies = state_of(svc).policies
    return 200, {"sla_policies": policies, "next_page": None, "previous_page": None,
                 "count": len(policies)}  # fmt: skip


def schedules(svc: Services, call: Call) -> tuple[int, Any]:
    return 200, {"schedules": state_of(svc).schedules}


def holidays(svc: Services, call: Call) -> tuple[int, Any]:
    state = state_of(svc)
    schedule_id = int(call.args[0])
    if not any(s.get("id") == schedule_id for s in state.schedules):
        raise not_found()
    return 200, {"holidays": state.holidays.get(schedule_id, [])}


EVENTS_PAGE = 1000


def metric_events(svc: Services, call: Call) -> tuple[int, Any]:
    try:
        start = int(call.query.get("start_time", ""))
    except ValueError:
        raise bad_request("InvalidValue", "start_time must be a Unix time") from None
    state = state_of(svc)
    with state.lock:
        found = sorted(
            (e for e in state.events if e["time"] >= start), key=lambda e: (e["time"], e["id"])
        )
    page = found[:EVENTS_PAGE]
    if page:  # a second is never split between pages
        last = int(page[-1]["time"])
        page = [e for e in found if int(e["time"]) <= last]
    end_time = int(page[-1]["time"]) if page else start
    path = f"{call.base}/api/v2/incremental/ticket_metric_events.json?start_time={end_time}"
    return 200, {
        "ticket_metric_events": [{**e, "time": iso(e["time"])} for e in page],
        "next_page": path,
        "count": len(page),
        "end_time": end_time,
    }


def sideloads(
    svc: Services, call: Call, tickets: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The exported tickets with what ``include=slas`` adds to each (copies: the store's own
    are left as they are), and what ``include=metric_sets`` adds beside them."""
    wanted = {s.strip() for s in call.query.get("include", "").split(",")}
    if not wanted & {"slas", "metric_sets"}:
        return tickets, {}
    state = state_of(svc)
    if "slas" in wanted:
        tickets = [
            {**ticket, "slas": {"policy_metrics": state.policy_metrics(int(ticket["id"]))}}
            for ticket in tickets
        ]
    if "metric_sets" not in wanted:
        return tickets, {}
    sets = []
    for ticket in tickets:
        minutes = state.reply_minutes.get(int(ticket["id"]))
        reply: dict[str, int | None] = {"calendar": None, "business": None}
        if minutes is not None:
            reply = {"calendar": int(minutes), "business": int(minutes)}
        sets.append(
            {
                "id": ticket["id"],
                "ticket_id": ticket["id"],
                "created_at": ticket.get("created_at"),
                "updated_at": ticket.get("updated_at"),
                "reply_time_in_minutes": reply,
            }
        )
    return tickets, {"metric_sets": sets}


SLA_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/api/v2/slas/policies", sla_policies),
    ("GET", "/api/v2/business_hours/schedules", schedules),
    ("GET", "/api/v2/business_hours/schedules/{id}/holidays", holidays),
    ("GET", "/api/v2/incremental/ticket_metric_events", metric_events),
]
