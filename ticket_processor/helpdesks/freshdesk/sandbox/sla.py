"""Freshdesk's service levels as the sandbox serves them, in Freshdesk's shapes, and the test
desk's side of them (``Desk.sla_*``):

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
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...sla import RAILS_ZONES
from ..records import PRIORITY_TO_FRESHDESK
from .records import SOURCE_REPLY, iso
from .routes import Answer, FreshdeskCall, FreshdeskServices, compile_route

if TYPE_CHECKING:
    from .serving import RunningFreshdesk

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
class SlaState:
    policies: list[dict[str, Any]] = field(default_factory=list)
    calendars: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


STATE_ATTRIBUTE = "sla"


def store_state(store: object) -> SlaState:
    found = getattr(store, STATE_ATTRIBUTE, None)
    if not isinstance(found, SlaState):
        found = SlaState()
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


def _clock_time(minute: int) -> str:
    hour, rest = divmod(minute, 60)
    half = "am" if hour < 12 else "pm"
    return f"{(hour % 12) or 12}:{rest:02d} {half}"


class FreshdeskSlaDesk:
    sandbox: RunningFreshdesk

    def sla_policy(
        self, targets: Mapping[str, Mapping[str, float]], *, business_hours: bool = False
    ) -> None:
        state = store_state(self.sandbox.store)
        per: dict[str, dict[str, Any]] = {}
        for metric, by_priority in targets.items():
            for priority, minutes in by_priority.items():
                key = f"priority_{PRIORITY_TO_FRESHDESK[priority]}"  # type: ignore[index]
                entry = per.setdefault(
                    key, {"business_hours": business_hours, "escalation_enabled": True}
                )
                entry[TARGET[metric]] = int(minutes * 60)
        number = len(state.policies) + 1
        now = iso(time.time())
        state.policies.append(
            {
                "id": number,
                "name": f"Support targets {number}",
                "description": "",
                "active": True,
                "is_default": number == 1,
                "position": number,
                "sla_target": per,
                "applicable_to": {},
                "escalation": {},
                "created_at": now,
                "updated_at": now,
            }
        )

    def sla_schedule(
        self, time_zone: str, weekly: Sequence[tuple[int, int, int]], holidays: Sequence[str] = ()
    ) -> None:
        hours = {
            DAYS[weekday]: {"start_time": _clock_time(start), "end_time": _clock_time(end % 1440)}
            for weekday, start, end in weekly
        }
        now = iso(time.time())
        store_state(self.sandbox.store).calendars[:] = [
            {
                "id": 1,
                "name": "Support hours",
                "description": "",
                "is_default": True,
                "time_zone": RAILS_NAMES.get(time_zone, time_zone),
                "business_hours": hours,
                "list_of_holidays": [
                    {"holiday_date": f"--{day[5:10]}", "holiday_name": "Holiday"}
                    for day in holidays
                ],
                "created_at": now,
                "updated_at": now,
            }
        ]

    def sla_clock(
        self, ticket_id: int, *, metric: str, breach_at: float | None, stage: str = "active"
    ) -> None:
        fields: dict[str, Any] = {DUE[metric]: iso(breach_at) if breach_at else None}
        fields[FLAG[metric]] = stage == "breached"
        store = self.sandbox.store
        if stage == "paused":
            fields["status"] = 3
        store.set_engine_fields(ticket_id, fields)
        if stage == "achieved" and metric == "first_reply":
            store.add_note(
                ticket_id, "<p>We are on it.</p>", private=False, user_id=2, source=SOURCE_REPLY
            )

    def sla_history(
        self, group_id: int | None, asked_at: float, reply_minutes: float | None
    ) -> int:
        fields: dict[str, Any] = {
            "subject": "An earlier question",
            "description": "An earlier question.",
            "email": f"history{asked_at:.0f}@example.com",
            "priority": 1,
            "group_id": group_id,
        }
        replies = [] if reply_minutes is None else [("Answered.", asked_at + reply_minutes * 60)]
        made = self.sandbox.store.import_answered(
            fields, replies, created=asked_at, solved=asked_at + 7200
        )
        return int(made["id"])
