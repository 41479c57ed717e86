"""Freshdesk's business hours: a calendar of ``/api/v2/business_hours`` (``business_hours`` per
weekday in ``8:00 am``-style times, its ``time_zone``, ``list_of_holidays`` every year), as the
SLA read and the assignment take it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ..sla import Schedule, weekday_spans

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*(am|pm)?\s*$", re.IGNORECASE)


def _minute(text: object) -> int | None:
    match = _TIME.match(str(text or ""))
    if not match:
        return None
    hour, minute, half = int(match.group(1)), int(match.group(2)), (match.group(3) or "").lower()
    if half == "pm" and hour != 12:
        hour += 12
    if half == "am" and hour == 12:
        hour = 0
    return hour * 60 + minute


def read_schedule(calendars: list[Any], year: int) -> Schedule | None:
    chosen = next((c for c in calendars if isinstance(c, dict) and c.get("is_default")), None)
    if chosen is None:
        return None
    days: dict[int, tuple[int, int]] = {}
    for index, name in enumerate(DAYS):
        hours = (chosen.get("business_hours") or {}).get(name)
        if isinstance(hours, dict):
            start, end = _minute(hours.get("start_time")), _minute(hours.get("end_time"))
            if start is not None and end is not None:
                days[index] = (start, end if end > start else 24 * 60)
    holidays = set()
    for item in chosen.get("list_of_holidays") or ():
        month_day = str(item.get("holiday_date") or "").lstrip("-")
        for one in (year, year + 1):
            try:
                holidays.add(date.fromisoformat(f"{one}-{month_day}"))
            except ValueError:
                continue
    return Schedule(
        str(chosen.get("time_zone") or "UTC"),
        weekday_spans(days),
        frozenset(holidays),
        name=str(chosen.get("name") or ""),
    )
