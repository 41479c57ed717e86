"""Rising categories: a count per category (and subcategory) per day, and which one jumped.

Every run adds what it triaged to today's counts (``topic_counts.json`` in the state directory,
``DAYS_KEPT`` days, so the file stays small whatever the volume). A category is rising when its
count today is far above its own baseline, by a stated rule:

- the baseline is the larger of the median of the previous ``BASELINE_DAYS`` days (zeros
  included: a quiet category stays quiet) and the mean of the same weekday in the previous
  ``WEEKS`` weeks, so a Monday is compared with Mondays and a weekly peak is not news;
- today's count must be at least ``MIN_COUNT`` (a category with few tickets cannot trip it on
  noise), at least ``RATIO`` times the baseline, and improbable under it: the Poisson chance of
  seeing that many with the baseline's mean must be under ``P_VALUE``;
- it needs ``MIN_HISTORY_DAYS`` days of counts before it judges (``seed`` can provide them from
  the helpdesk's recent tickets), and each category is reported once a day.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

from ..common.atomic import atomic_write_bytes, read_state_bytes

COUNTS_FILE = "topic_counts.json"
DAYS_KEPT = 56
BASELINE_DAYS = 14
WEEKS = 4
MIN_HISTORY_DAYS = 3
MIN_COUNT = 8
RATIO = 3.0
P_VALUE = 0.001


@dataclass(frozen=True)
class Rise:
    key: str  # "billing" or "billing/refund_status"
    today: int
    baseline: float
    chance: float  # Poisson probability of at least ``today`` under the baseline

    def describe(self) -> str:
        return (
            f"{self.key}: {self.today} today against a baseline of {self.baseline:.1f} a day "
            f"(×{self.today / max(self.baseline, 0.5):.1f})"
        )


@dataclass
class DailyCounts:
    days: dict[str, dict[str, int]]  # ISO day -> key -> count
    reported: dict[str, str]  # key -> the ISO day it was last reported

    def add(self, day: date, counts: Mapping[str, int]) -> None:
        bucket = self.days.setdefault(day.isoformat(), {})
        for key, n in counts.items():
            if n > 0:
                bucket[key] = bucket.get(key, 0) + int(n)
        self._trim(day)

    def seed(self, day: date, counts: Mapping[str, int]) -> None:
        """Counts for a past day read from the helpdesk: only where the day has none yet."""
        if day.isoformat() not in self.days:
            self.add(day, counts)

    def _trim(self, today: date) -> None:
        oldest = (today - timedelta(days=DAYS_KEPT)).isoformat()
        for key in [d for d in self.days if d < oldest]:
            del self.days[key]
        self.reported = {k: d for k, d in self.reported.items() if d >= oldest}

    def history_days(self, today: date) -> int:
        return sum(1 for d in self.days if d < today.isoformat())

    def series(self, key: str, today: date, days: int) -> list[int]:
        """The key's count on each of the ``days`` days ending today, oldest first."""
        return [
            self.days.get((today - timedelta(days=back)).isoformat(), {}).get(key, 0)
            for back in range(days - 1, -1, -1)
        ]

    def names(self) -> set[str]:
        return {key for bucket in self.days.values() for key in bucket}


def baseline(counts: DailyCounts, key: str, today: date) -> float:
    recent = counts.series(key, today - timedelta(days=1), BASELINE_DAYS)
    first = min(counts.days) if counts.days else today.isoformat()
    # Days before the first count are unknown, not zero.
    known = [
        n
        for back, n in zip(range(BASELINE_DAYS, 0, -1), recent, strict=True)
        if (today - timedelta(days=back)).isoformat() >= first
    ]
    median = statistics.median(known) if known else 0.0
    same_day = [
        counts.days[d].get(key, 0)
        for week in range(1, WEEKS + 1)
        if (d := (today - timedelta(weeks=week)).isoformat()) in counts.days
    ]
    weekly = statistics.fmean(same_day) if same_day else 0.0
    return float(max(median, weekly))


def poisson_tail(k: int, mean: float) -> float:
    """P(X ≥ k) for X ~ Poisson(mean), summed in log space (no overflow at large k)."""
    mean = max(mean, 1e-9)
    below = 0.0
    term = math.exp(-mean)
    for i in range(k):
        below += term
        term *= mean / (i + 1)
    return max(0.0, 1.0 - below)


def rising(counts: DailyCounts, today: date) -> list[Rise]:
    """The keys rising today and not yet reported today, largest rise first."""
    if counts.history_days(today) < MIN_HISTORY_DAYS:
        return []
    bucket = counts.days.get(today.isoformat(), {})
    found = []
    for key, n in bucket.items():
        if n < MIN_COUNT or counts.reported.get(key) == today.isoformat():
            continue
        base = baseline(counts, key, today)
        if n < RATIO * max(base, 1.0):
            continue
        chance = poisson_tail(n, max(base, 0.5))
        if chance < P_VALUE:
            found.append(Rise(key, n, base, chance))
    return sorted(found, key=lambda r: (r.chance, r.key))


def mark_reported(counts: DailyCounts, rises: Iterable[Rise], today: date) -> None:
    for rise in rises:
        counts.reported[rise.key] = today.isoformat()


def load_counts(state_dir: Path) -> DailyCounts:
    """The saved counts; a missing or unreadable file starts afresh (they are statistics)."""
    try:
        data: Any = orjson.loads(read_state_bytes(state_dir / COUNTS_FILE))
    except (OSError, orjson.JSONDecodeError):
        return DailyCounts({}, {})
    if not isinstance(data, dict):
        return DailyCounts({}, {})
    days = {
        str(d): {str(k): int(v) for k, v in bucket.items() if isinstance(v, int) and v >= 0}
        for d, bucket in (data.get("days") or {}).items()
        if isinstance(bucket, dict) and _is_day(str(d))
    }
    reported = {str(k): str(v) for k, v in (data.get("reported") or {}).items() if _is_day(str(v))}
    return DailyCounts(days, reported)


def save_counts(state_dir: Path, counts: DailyCounts) -> None:
    payload = {"days": counts.days, "reported": counts.reported}
    atomic_write_bytes(state_dir / COUNTS_FILE, orjson.dumps(payload, option=orjson.OPT_SORT_KEYS))


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10
