"""ServiceNow's test desk's service levels (``Desk.sla_*``): what an instance's SLA engine would
have left in its tables, written as records: ``contract_sla`` definitions, a ``cmn_schedule``
with its ``cmn_schedule_span`` rows (weekly spans, excluded holidays), and each incident's
``task_sla`` (stage, ``planned_end_time``, ``has_breached``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..records import glide

if TYPE_CHECKING:
    from .serving import RunningServiceNow

TABLE = "incident"
TARGETS = {"first_reply": "response", "resolution": "resolution"}
OUR_STAGE = {
    "active": "in_progress",
    "paused": "paused",
    "achieved": "achieved",
    "breached": "breached",
}
USER = "admin"


def _duration(minutes: float) -> str:
    return datetime.fromtimestamp(minutes * 60, UTC).strftime("%Y-%m-%d %H:%M:%S")


class ServiceNowSlaDesk:
    sla_priority_steps = False  # a new priority restarts ServiceNow's definitions
    sandbox: RunningServiceNow

    def _sys_id(self, ticket_id: int) -> str:
        raise NotImplementedError  # the desk's own

    def _schedule_id(self) -> str:
        rows = self.sandbox.store.rows("cmn_schedule")
        return str(rows[-1]["sys_id"]) if rows else ""

    def _definition(self, metric: str) -> dict[str, Any]:
        target = TARGETS.get(metric, "resolution")
        found = [r for r in self.sandbox.store.rows("contract_sla") if r["target"] == target]
        if found:
            return found[-1]
        body = {"name": f"Default {target}", "target": target}
        return self.sandbox.store.insert("contract_sla", body, USER)

    def sla_policy(
        self, targets: Mapping[str, Mapping[str, float]], *, business_hours: bool = False
    ) -> None:
        for metric, per in targets.items():
            minutes = per.get("normal", next(iter(per.values()), 480))
            body = {
                "name": f"{metric.replace('_', ' ').title()} target",
                "target": TARGETS.get(metric, "resolution"),
                "duration": _duration(minutes),
                "schedule": self._schedule_id() if business_hours else "",
                "start_condition": "active=true",
            }
            self.sandbox.store.insert("contract_sla", body, USER)

    def sla_schedule(
        self, time_zone: str, weekly: Sequence[tuple[int, int, int]], holidays: Sequence[str] = ()
    ) -> None:
        store = self.sandbox.store
        schedule = store.insert(
            "cmn_schedule", {"name": "Support hours", "time_zone": time_zone}, USER
        )["sys_id"]
        for weekday, start, end in weekly:
            first, last = divmod(start, 60), divmod(min(end, 24 * 60 - 1), 60)
            seconds = "59" if end >= 24 * 60 else "00"
            span = {
                "schedule": schedule,
                "name": "Business hours",
                "days_of_week": str(weekday + 1),
                "start_date_time": f"20260105T{first[0]:02d}{first[1]:02d}00",
                "end_date_time": f"20260105T{last[0]:02d}{last[1]:02d}{seconds}",
            }
            store.insert("cmn_schedule_span", span, USER)
        for day in holidays:
            digits = day[:10].replace("-", "")
            span = {
                "schedule": schedule,
                "name": "Holiday",
                "type": "exclude",
                "repeat_type": "yearly",
                "start_date_time": f"{digits}T000000",
                "end_date_time": f"{digits}T235959",
            }
            store.insert("cmn_schedule_span", span, USER)

    def sla_clock(
        self, ticket_id: int, *, metric: str, breach_at: float | None, stage: str = "active"
    ) -> None:
        store = self.sandbox.store
        task = self._sys_id(ticket_id)
        definition = self._definition(metric)
        incident = store.find(TABLE, task) or {}
        now = self.sandbox.config.clock()  # the sandbox's clock, a test's or a simulation's
        fields = {
            "task": task,
            "sla": definition["sys_id"],
            "stage": OUR_STAGE[stage],
            "active": "false" if stage == "achieved" else "true",
            "start_time": incident.get("sys_created_on", glide(now)),
            "end_time": glide(now) if stage == "achieved" else "",
            "planned_end_time": glide(breach_at) if breach_at is not None else "",
            "has_breached": "true" if stage == "breached" else "false",
            "schedule": definition.get("schedule", ""),
        }
        existing = [
            r for r in store.rows("task_sla") if r["task"] == task and r["sla"] == fields["sla"]
        ]
        if existing:
            store.update("task_sla", existing[0]["sys_id"], fields, USER)
        else:
            store.insert("task_sla", fields, USER)

    def sla_history(
        self,
        group_id: int | None,
        asked_at: float,
        reply_minutes: float | None,
        *,
        due_at: float | None = None,
    ) -> int:
        store = self.sandbox.store
        group = ""
        if group_id is not None:
            prefix = f"{group_id:015x}"
            group = next(
                (r["sys_id"] for r in store.rows("sys_user_group") if r["sys_id"][:15] == prefix),
                "",
            )
        row = store.insert(
            TABLE,
            {"short_description": "An earlier question", "assignment_group": group, "state": "6"},
            USER,
            at=asked_at,
        )
        answered = asked_at + reply_minutes * 60 if reply_minutes is not None else None
        late = due_at is not None and (answered is None or answered > due_at)
        fields = {
            "task": row["sys_id"],
            "sla": self._definition("first_reply")["sys_id"],
            # The incident is resolved: its response SLA stopped, met, missed or never given.
            "stage": "achieved" if answered is not None else "cancelled",
            "active": "false",
            "start_time": glide(asked_at),
            "end_time": glide(answered) if answered is not None else "",
            "planned_end_time": glide(due_at) if due_at is not None else "",
            "has_breached": "true" if late else "false",
        }
        store.insert("task_sla", fields, USER, at=asked_at)
        return int("".join(c for c in str(row["number"]) if c.isdigit()))
