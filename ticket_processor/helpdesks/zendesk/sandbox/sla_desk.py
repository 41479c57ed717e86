"""Zendesk's test desk's service levels (``Desk.sla_*``): what Zendesk's SLA engine would have
set on the account and its tickets, written into the sandbox's ``ZendeskSlaState`` in Zendesk's own
shapes (metric names, minutes from Sunday, Rails time-zone names where Zendesk uses them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ...sla import RAILS_ZONES
from .records import iso, parse_iso
from .sla_api import store_state

if TYPE_CHECKING:
    from .server import RunningSandbox

ZENDESK_METRICS = {
    "first_reply": "first_reply_time",
    "next_reply": "next_reply_time",
    "periodic_update": "periodic_update_time",
    "resolution": "requester_wait_time",
}
RAILS_NAMES = {iana: rails for rails, iana in RAILS_ZONES.items()}


class ZendeskSlaDesk:
    sandbox: RunningSandbox

    def sla_policy(
        self, targets: Mapping[str, Mapping[str, float]], *, business_hours: bool = False
    ) -> None:
        state = store_state(self.sandbox.store)
        number = len(state.policies) + 1
        metrics = [
            {
                "priority": priority,
                "metric": ZENDESK_METRICS[metric],
                "target": int(minutes),
                "business_hours": business_hours,
            }
            for metric, per in targets.items()
            for priority, minutes in per.items()
        ]
        now = iso(self.sandbox.store.now())
        state.policies.append(
            {
                "id": number,
                "url": f"{self.sandbox.url}/api/v2/slas/policies/{number}.json",
                "title": f"Support targets {number}",
                "description": "",
                "position": number,
                "filter": {"all": [], "any": []},
                "policy_metrics": metrics,
                "created_at": now,
                "updated_at": now,
            }
        )

    def sla_schedule(
        self, time_zone: str, weekly: Sequence[tuple[int, int, int]], holidays: Sequence[str] = ()
    ) -> None:
        state = store_state(self.sandbox.store)
        intervals = []
        for weekday, start, end in weekly:
            sunday_based = ((weekday + 1) % 7) * 24 * 60
            intervals.append({"start_time": sunday_based + start, "end_time": sunday_based + end})
        now = iso(self.sandbox.store.now())
        state.schedules[:] = [
            {
                "id": 1,
                "name": "Support hours",
                "time_zone": RAILS_NAMES.get(time_zone, time_zone),
                "intervals": intervals,
                "created_at": now,
                "updated_at": now,
            }
        ]
        state.holidays[1] = [
            {"id": n, "name": "Holiday", "start_date": day, "end_date": day}
            for n, day in enumerate(holidays, 1)
        ]

    def sla_clock(
        self, ticket_id: int, *, metric: str, breach_at: float | None, stage: str = "active"
    ) -> None:
        state = store_state(self.sandbox.store)
        when = iso(breach_at) if breach_at is not None else None
        # Zendesk shows a missed target as still active, its breach_at in the past.
        shown = "active" if stage == "breached" else stage
        state.apply(ticket_id, ZENDESK_METRICS[metric], when, shown)
        if stage == "achieved" and metric == "first_reply":
            # The first reply fulfils the metric: its time joins the ticket's metric set.
            created = parse_iso(self.sandbox.store.get(ticket_id)["created_at"]) or 0.0
            state.reply_minutes[ticket_id] = (self.sandbox.store.now() - created) / 60

    def sla_history(
        self,
        group_id: int | None,
        asked_at: float,
        reply_minutes: float | None,
        *,
        due_at: float | None = None,
    ) -> int:
        made = self.sandbox.store.import_ticket(
            {
                "subject": "An earlier question",
                "requester": {"email": f"history{asked_at:.0f}@example.com"},
                "status": "solved",
                "group_id": group_id,
                "created_at": iso(asked_at),
                "comments": [{"value": "An earlier question.", "created_at": iso(asked_at)}],
            }
        )
        state = store_state(self.sandbox.store)
        if reply_minutes is not None:
            state.reply_minutes[int(made["id"])] = reply_minutes
        if due_at is not None:  # the first reply's target, met or missed, stays on the ticket
            state.apply(int(made["id"]), ZENDESK_METRICS["first_reply"], iso(due_at), "achieved")
        return int(made["id"])
