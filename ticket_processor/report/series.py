"""Figures over time for the report: tickets, tokens and cost per 10 minutes, hour or day.

Pure. The bucket follows the span, so a chart has a few dozen columns whatever the window:
up to 6 hours by 10 minutes, up to 4 days by the hour, longer by the day. Empty buckets are
kept, so a gap in a chart is a gap in the runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .runs import as_int, event_time

STEPS: tuple[tuple[str, timedelta, timedelta], ...] = (
    # (name, bucket, longest span drawn with it)
    ("10min", timedelta(minutes=10), timedelta(hours=6)),
    ("hour", timedelta(hours=1), timedelta(days=4)),
    ("day", timedelta(days=1), timedelta.max),
)
MAX_BUCKETS = 120
_ENGINE_COLUMN = {"llm": 0, "learned": 1}  # anything else is the keyword rules' column


def choose_step(start: datetime | None, end: datetime | None) -> tuple[str, timedelta]:
    """The bucket for a window from ``start`` to ``end`` (10 minutes when either is unknown)."""
    span = (end - start) if start and end else timedelta(0)
    for name, step, longest in STEPS:
        if span <= longest:
            return name, step
    return STEPS[-1][0], STEPS[-1][1]  # pragma: no cover - timedelta.max bounds every span


def floor(moment: datetime, step: timedelta) -> datetime:
    """The start of ``moment``'s bucket (buckets align to the hour, or to midnight UTC)."""
    if step >= timedelta(days=1):
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    minutes = int(step.total_seconds() // 60)
    base = moment.replace(second=0, microsecond=0)
    return (
        base.replace(minute=base.minute - base.minute % minutes)
        if minutes < 60
        else (base.replace(minute=0))
    )


def label(moment: datetime, step: timedelta) -> str:
    if step >= timedelta(days=1):
        return moment.strftime("%Y-%m-%d")
    return floor(moment, step).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class Bucket:
    """One column: tickets per engine (LLM, learned model, keyword rules), failed; tokens; cost."""

    label: str
    llm: int = 0
    learned: int = 0
    rules: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


def series(
    triaged: Iterable[Mapping[str, Any]],
    failed: Iterable[Mapping[str, Any]],
    *,
    start: datetime | None,
    end: datetime | None,
    step: timedelta,
    cost: Callable[[Mapping[str, Any]], float],
) -> list[Bucket]:
    """Per bucket, oldest first, with the empty buckets of the window drawn too."""
    rows: dict[str, list[float]] = {}

    def row(moment: datetime) -> list[float]:
        return rows.setdefault(label(moment, step), [0, 0, 0, 0, 0, 0, 0.0])

    for e in triaged:
        moment = event_time(e)
        if moment is None:
            continue
        r = row(moment)
        r[_ENGINE_COLUMN.get(str(e.get("engine")), 2)] += 1
        r[4] += as_int(e.get("prompt_tokens"))
        r[5] += as_int(e.get("completion_tokens"))
        r[6] += cost(e)
    for e in failed:
        moment = event_time(e)
        if moment is not None:
            row(moment)[3] += 1
    if start and end:
        moment = floor(start, step)
        if (end - moment) / step <= MAX_BUCKETS:
            while moment <= end:
                row(moment)
                moment += step
    return [
        Bucket(
            name,
            llm=int(r[0]),
            learned=int(r[1]),
            rules=int(r[2]),
            failed=int(r[3]),
            prompt_tokens=int(r[4]),
            completion_tokens=int(r[5]),
            cost_usd=round(r[6], 6),
        )
        for name, r in sorted(rows.items())
    ]
