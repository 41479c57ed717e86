"""Zendesk's test desk's service levels (``Desk.sla_*``): what Zendesk's SLA engine would have
set on the account and its tickets, written into the sandbox's ``ZendeskSlaState`` in Zendesk's own
shapes (metric names, minutes from Sunday, Rails time-zone names where Zendesk uses them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ...sla import RAILS_ZONES
from .records import iso, parse_iso
from .sla_api import ZendeskSlaState, store_state

if TYPE_CHECKING:
    from .server import RunningSandbox

ZENDESK_METRICS = {
    "first_reply": "first_reply_time",
    "next_reply": "next_reply_time",
    "periodic_update": "periodic_update_time",
    "resolution": "requester_wait_time",
}
# The metric events' names for a target: (metric, instance_id); reply_time's first instance
# is the first reply, later ones the next replies.
EVENT_METRICS = {
    "first_reply": ("reply_time", 1),
    "next_reply": ("reply_time", 2),
    "periodic_update": ("periodic_update_time", 1),
    "resolution": ("requester_wait_time", 1),
}
RAILS_NAMES = {iana: rails for rails, iana in RAILS_ZONES.items()}


def _applied(state: ZendeskSlaState, started: float, due: float | None) -> dict[str, Any]:
    """An apply_sla event's ``sla``: the target (minutes from the clock's start to ``due``),
    whether it counts business hours, and the account's first policy."""
    policy = state.policies[0] if state.policies else {}
    business = any(m.get("business_hours") for m in policy.get("policy_metrics") or ())
    target = round(((due or started) - started) / 60)
    return {
        "target": target,
        "business_hours": business,
        "policy": {k: policy.get(k) for k in ("id", "title", "description")},
    }


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
        created = parse_iso(self.sandbox.store.get(ticket_id)["created_at"]) or 0.0
        now = self.sandbox.store.now()
        if stage == "achieved" and metric == "first_reply":
            # The first reply fulfils the metric: its time joins the ticket's metric set.
            state.reply_minutes[ticket_id] = (now - created) / 60
        self._events(ticket_id, metric, created, breach_at, stage)
        # The engine's change rides on a ticket update (a reply, a status): exported again.
        self.sandbox.store.touch(ticket_id)

    def _events(
        self, ticket_id: int, metric: str, started: float, due: float | None, stage: str
    ) -> None:
        """The metric events Zendesk's SLA engine would have recorded for this clock so far."""
        state, now = store_state(self.sandbox.store), self.sandbox.store.now()
        name, instance = EVENT_METRICS[metric]
        if not state.has_event(ticket_id, name, instance, "activate"):
            state.event(ticket_id, name, instance, "activate", started)
            if due is not None:
                sla = _applied(state, started, due)
                state.event(ticket_id, name, instance, "apply_sla", started, sla=sla)
        elif stage == "active" and state.has_event(ticket_id, name, instance, "pause"):
            state.event(ticket_id, name, instance, "activate", now)
        if stage == "paused":
            state.event(ticket_id, name, instance, "pause", now)
        elif stage == "achieved":
            state.event(ticket_id, name, instance, "fulfill", now)
        elif stage == "breached" and due is not None:
            state.event(ticket_id, name, instance, "breach", min(due, now), deleted=False)

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
        ticket_id = int(made["id"])
        if due_at is not None:  # the first reply's target, met or missed, stays on the ticket
            state.apply(ticket_id, ZENDESK_METRICS["first_reply"], iso(due_at), "achieved")
        state.event(ticket_id, "reply_time", 1, "activate", asked_at)
        if due_at is not None:
            sla = _applied(state, asked_at, due_at)
            state.event(ticket_id, "reply_time", 1, "apply_sla", asked_at, sla=sla)
        answered = None if reply_minutes is None else asked_at + reply_minutes * 60
        late = answered is None or (due_at is not None and answered > due_at)
        if due_at is not None and late and due_at <= self.sandbox.store.now():
            state.event(ticket_id, "reply_time", 1, "breach", due_at, deleted=False)
        if answered is not None:
            state.event(ticket_id, "reply_time", 1, "fulfill", answered)
        return ticket_id
