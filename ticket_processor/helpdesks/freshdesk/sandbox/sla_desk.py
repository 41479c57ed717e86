"""Freshdesk's test desk's service levels (``Desk.sla_*``): what Freshdesk's SLA engine would
have set on the account and its tickets, written into the sandbox in Freshdesk's shapes
(``priority_N`` targets in seconds, ``8:00 am`` business hours, ``--MM-DD`` holidays, a
ticket's due times and escalation flags)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..records import PRIORITY_TO_FRESHDESK
from .records import SOURCE_REPLY, iso
from .sla_api import DAYS, DUE, FLAG, RAILS_NAMES, TARGET, store_state

if TYPE_CHECKING:
    from .serving import RunningFreshdesk


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
        # The engine's change rides on a ticket update (a reply, a status): listed again.
        fields["updated_at"] = iso(store.now())
        store.set_engine_fields(ticket_id, fields)
        if stage == "achieved" and metric == "first_reply":
            store.add_note(
                ticket_id, "<p>We are on it.</p>", private=False, user_id=2, source=SOURCE_REPLY
            )

    def sla_history(
        self,
        group_id: int | None,
        asked_at: float,
        reply_minutes: float | None,
        *,
        due_at: float | None = None,
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
        if due_at is not None:  # Freshdesk keeps the deadline and whether it was missed
            late = reply_minutes is None or asked_at + reply_minutes * 60 > due_at
            self.sandbox.store.set_engine_fields(
                int(made["id"]), {"fr_due_by": iso(due_at), "fr_escalated": late}
            )
        return int(made["id"])
