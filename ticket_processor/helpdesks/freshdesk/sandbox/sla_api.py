"""Freshdesk's service levels as the sandbox serves them, in Freshdesk's shapes (the test desk
sets them: ``sla_desk.py``):

- ``GET /api/v2/sla_policies``: a bare array of policies, each with ``sla_target`` per
  ``priority_N`` (``respond_within``, ``next_respond_within``, ``resolve_within`` in seconds,
  ``business_hours``, ``escalation_enabled``), ``applicable_to`` and ``is_default``;
- ``GET /api/v2/business_hours``: a bare array of calendars, each with ``business_hours`` per
  weekday (``start_time`` / ``end_time`` as ``8:00 am``), ``time_zone`` (a Rails name) and
  ``list_of_holidays`` (``holiday_date`` as ``--MM-DD``, ``holiday_name``);
- on each ticket, the fields Freshdesk's SLA engine keeps: ``fr_due_by``, ``nr_due_by``,
  ``due_by`` and ``fr_escalated``, ``nr_escalated``, ``is_escalated``, set here as that engine
  would have set them (``FreshdeskSlaDesk.sla_clock``), not computed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from ...sla import RAILS_ZONES
from .routes import Answer, FreshdeskCall, FreshdeskServices, compile_route

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DUE = {"first_reply": "fr_due_by", "next_reply": "nr_due_by", "resolution": "due_by"}
FLAG = {"first_reply": "fr_escalated", "next_reply": "nr_escalated", "resolution": "is_escalated"}
TARGET = {
    "first_reply": "respond_within",
    "next_reply": "next_respond_within",
    "resolution": "resolve_within",
}
RAILS_NAMES = {iana: rails for rails, iana in RAILS_ZONES.items()}


@dataclass
class FreshdeskSlaState:
    policies: list[dict[str, Any]] = field(default_factory=list)
    calendars: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


STATE_ATTRIBUTE = "sla"


def store_state(store: object) -> FreshdeskSlaState:
    found = getattr(store, STATE_ATTRIBUTE, None)
    if not isinstance(found, FreshdeskSlaState):
        found = FreshdeskSlaState()
        setattr(store, STATE_ATTRIBUTE, found)
    return found


def list_policies(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 200, list(store_state(svc.store).policies), {}


def list_business_hours(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 200, list(store_state(svc.store).calendars), {}


SLA_ROUTES = [
    compile_route("GET", "/api/v2/sla_policies", list_policies),
    compile_route("GET", "/api/v2/business_hours", list_business_hours),
]
