"""ServiceNow's business hours: a ``cmn_schedule`` and its ``cmn_schedule_span`` rows (include
spans by weekday, exclude spans as holidays), as the SLA read and the assignment take them.
"""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

from ..sla import Schedule


def _span_minutes(value: object) -> int | None:
    text = str(value or "")
    if len(text) < 13 or text[8] != "T":
        return None
    try:
        return int(text[9:11]) * 60 + int(text[11:13])
    except ValueError:
        return None


def read_schedule(http: Any, schedule_id: str) -> Schedule | None:
    rows = http.rows("cmn_schedule", {"sysparm_query": f"sys_id={schedule_id}",
                                      "sysparm_fields": "sys_id,name,time_zone"})  # fmt: skip
    if not rows:
        return None
    weekly: list[tuple[int, int, int]] = []
    holidays: set[date] = set()
    spans = http.every(
        "cmn_schedule_span",
        f"schedule={schedule_id}",
        "name,type,days_of_week,start_date_time,end_date_time,repeat_type",
    )
    for span in spans:
        start, end = (
            _span_minutes(span.get("start_date_time")),
            _span_minutes(span.get("end_date_time")),
        )
        if span.get("type") == "exclude":
            day = str(span.get("start_date_time") or "")[:8]
            with contextlib.suppress(ValueError):
                holidays.add(date.fromisoformat(f"{day[:4]}-{day[4:6]}-{day[6:8]}"))
            continue
        if start is None or end is None:
            continue
        for day in str(span.get("days_of_week") or ""):
            if day.isdigit() and 1 <= int(day) <= 7:
                weekly.append((int(day) - 1, start, end if end > start else 24 * 60))
    row = rows[0]
    return Schedule(
        str(row.get("time_zone") or "UTC"), tuple(weekly), frozenset(holidays),
        name=str(row.get("name") or ""),
    )  # fmt: skip
