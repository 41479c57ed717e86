"""Zendesk's business hours: the account's first schedule (``/api/v2/business_hours/schedules``,
intervals in minutes from Sunday 00:00) and its holidays, as the SLA read and the assignment
take them.
"""

from __future__ import annotations

from typing import Any

from ..sla import Schedule, holidays_between


def read_schedule(http: Any, count: list[int]) -> Schedule | None:
    body = http.request("GET", "/api/v2/business_hours/schedules.json")
    count[0] += 1
    schedules = body.get("schedules") if isinstance(body, dict) else None
    if not schedules:
        return None
    first = schedules[0]
    weekly: list[tuple[int, int, int]] = []
    for interval in first.get("intervals") or ():
        start, end = interval.get("start_time"), interval.get("end_time")
        if not isinstance(start, int) or not isinstance(end, int):
            continue
        # Zendesk counts from Sunday 00:00; ticketbot's weekdays from Monday.
        day, offset = divmod(start, 24 * 60)
        weekly.append(((day - 1) % 7, offset, offset + (end - start)))
    holidays = http.request("GET", f"/api/v2/business_hours/schedules/{first['id']}/holidays.json")
    count[0] += 1
    spans = [
        (str(h.get("start_date")), str(h.get("end_date")))
        for h in (holidays.get("holidays") or () if isinstance(holidays, dict) else ())
    ]
    return Schedule(
        str(first.get("time_zone") or "UTC"),
        tuple(weekly),
        holidays_between(spans),
        name=str(first.get("name") or ""),
    )
