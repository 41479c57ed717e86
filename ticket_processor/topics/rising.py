"""Rising categories: a count per category (and subcategory) per day, and which one jumped.

Every run adds what it triaged to the counts of the day each ticket was created
(``topic_counts.json`` in the state directory, ``DAYS_KEPT`` days, so the file stays small
whatever the volume): today's tickets today, a ticket of yesterday's last minutes yesterday.
A category is rising when its count today is far above its own baseline, by a stated rule:

- the baseline is the larger of the median of the previous ``BASELINE_DAYS`` days (zeros
  included: a quiet category stays quiet) and the mean of the same weekday in the previous
  ``WEEKS`` weeks, so a Monday is compared with Mondays and a weekly peak is not news;
- today's count must be at least ``MIN_COUNT`` (a category with few tickets cannot trip it on
  noise), at least ``RATIO`` times the baseline, and improbable under it: the Poisson chance of
  seeing that many with the baseline's mean must be under ``P_VALUE``;
- it needs ``MIN_HISTORY_DAYS`` days of counts before it judges, and each category is reported
  once a day.

Counts with less history than ``BASELINE_DAYS`` are seeded once from the helpdesk's tickets of
those days (``topics.run_pass``): ``seed_add`` gathers a reading's counts apart (``pending``, saved
with the rest while a reading that was cut short resumes next run), and ``seed_complete`` puts
them in once the reading reached its end — never half a baseline: a day the reading found
nothing in counts as zero only once it is whole, and only from the first day it found a ticket
on. The seed's days are whole days, the runs' tickets of them included: a run's ticket created
on one of them (a first run takes the last 24 hours) is not counted again.

A rise that the tickets of an open incident explain (``residual_rises``: without them the
count would not rise) is recorded in ``explained`` and reported in that incident's alert.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

from ..common.atomic import atomic_write_bytes, read_state_bytes
from ..common.baseline import poisson_tail

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
    # The helpdesk's counts of a seed under way (ISO day -> key -> count), where its reading
    # resumes, and whether a seed has completed (then none is read again).
    pending: dict[str, dict[str, int]] = field(default_factory=dict)
    seed_cursor: dict[str, Any] | None = None
    seeded: bool = False
    seed_end: str | None = None  # the day the seed completed: the days before it are its own
    # key -> {"day", "incident", "title"}: the rise an open incident explained that day.
    explained: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, day: date, counts: Mapping[str, int], *, today: date | None = None) -> None:
        """``counts`` added to ``day``'s; the days kept end at ``today`` (default: ``day``)."""
        bucket = self.days.setdefault(day.isoformat(), {})
        for key, n in counts.items():
            if n > 0:
                bucket[key] = bucket.get(key, 0) + int(n)
        self._trim(today or day)

    def add_created(
        self, created: date | None, counts: Mapping[str, int], today: date, *, past: bool = True
    ) -> None:
        """A run's tickets created on ``created`` (None: not known): today's and later under
        today; an earlier day's under that day, unless the seed counted that whole day already
        or ``past`` is off (a backfill's old tickets: no rise of today, and the seed reads
        the days the baseline needs)."""
        if created is None or created >= today:
            self.add(today, counts)
            return
        if not past or (self.seed_end is not None and created.isoformat() < self.seed_end):
            return
        self.add(created, counts, today=today)

    def needs_seed(self, today: date) -> bool:
        """No seed completed, and fewer days of counts than the baseline looks at."""
        return not self.seeded and (
            self.seed_cursor is not None or self.history_days(today) < BASELINE_DAYS
        )

    def seed_add(self, day: date, counts: Mapping[str, int]) -> None:
        """Counts for a past day read from the helpdesk, kept apart until the reading is whole."""
        bucket = self.pending.setdefault(day.isoformat(), {})
        for key, n in counts.items():
            bucket[key] = bucket.get(key, 0) + int(n)

    def seed_complete(self, first: date, today: date) -> int:
        """Every day from ``first`` to yesterday gets the seed's counts (zero where it found
        none); returns how many days the runs had not counted. The seed read every ticket of
        those days, the runs' among them (under the category ticketbot tagged), so on a day
        the runs counted in part a key keeps the larger of the two counts: each ticket once.
        Days before the first ticket the seed found are unknown, not zero: a helpdesk younger
        than the baseline's span (or a new account) does not make every category rise on its
        first day."""
        filled = 0
        day = max(first, min(map(date.fromisoformat, self.pending), default=today))
        while day < today:
            iso = day.isoformat()
            seeded = self.pending.get(iso, {})
            counted = self.days.get(iso)
            if counted is None:
                self.days[iso] = dict(seeded)
                filled += 1
            else:
                for key, n in seeded.items():
                    counted[key] = max(counted.get(key, 0), n)
            day += timedelta(days=1)
        self.pending, self.seed_cursor, self.seeded = {}, None, True
        self.seed_end = today.isoformat()
        self._trim(today)
        return filled

    def _trim(self, today: date) -> None:
        oldest = (today - timedelta(days=DAYS_KEPT)).isoformat()
        for key in [d for d in self.days if d < oldest]:
            del self.days[key]
        self.reported = {k: d for k, d in self.reported.items() if d >= oldest}
        self.explained = {k: e for k, e in self.explained.items() if e.get("day", "") >= oldest}

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


def judge(counts: DailyCounts, key: str, n: int, today: date) -> Rise | None:
    """``key`` with ``n`` tickets today, by the rule: a Rise, or None."""
    if n < MIN_COUNT:
        return None
    base = baseline(counts, key, today)
    if n < RATIO * max(base, 1.0):
        return None
    chance = poisson_tail(n, max(base, 0.5))
    return Rise(key, n, base, chance) if chance < P_VALUE else None


def rising(counts: DailyCounts, today: date) -> list[Rise]:
    """The keys rising today and not yet reported today, largest rise first."""
    if counts.history_days(today) < MIN_HISTORY_DAYS:
        return []
    bucket = counts.days.get(today.isoformat(), {})
    found = []
    for key, n in bucket.items():
        if counts.reported.get(key) == today.isoformat():
            continue
        rise = judge(counts, key, n, today)
        if rise is not None:
            found.append(rise)
    return sorted(found, key=lambda r: (r.chance, r.key))


def residual_rises(
    counts: DailyCounts, rises: Iterable[Rise], removed: Mapping[str, int], today: date
) -> list[Rise]:
    """The rises that still rise once ``removed`` (an incident's tickets of today, per key)
    are taken out of today's counts; the others that incident explains."""
    return [
        r for r in rises if judge(counts, r.key, r.today - removed.get(r.key, 0), today) is not None
    ]


def explained_today(counts: DailyCounts, today: date) -> dict[str, dict[str, Any]]:
    return {k: e for k, e in counts.explained.items() if e.get("day") == today.isoformat()}


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
    reported = {str(k): str(v) for k, v in (data.get("reported") or {}).items() if _is_day(str(v))}
    cursor = data.get("seed_cursor")
    explained = data.get("explained")
    seed_end = data.get("seed_end")
    return DailyCounts(
        _days(data.get("days")),
        reported,
        pending=_days(data.get("pending")),
        seed_cursor=cursor if isinstance(cursor, dict) else None,
        seeded=data.get("seeded") is True,
        seed_end=seed_end if isinstance(seed_end, str) and _is_day(seed_end) else None,
        explained={
            str(k): v
            for k, v in (explained if isinstance(explained, dict) else {}).items()
            if isinstance(v, dict) and _is_day(str(v.get("day")))
        },
    )


def _days(raw: Any) -> dict[str, dict[str, int]]:
    return {
        str(d): {str(k): int(v) for k, v in bucket.items() if isinstance(v, int) and v >= 0}
        for d, bucket in (raw if isinstance(raw, dict) else {}).items()
        if isinstance(bucket, dict) and _is_day(str(d))
    }


def save_counts(state_dir: Path, counts: DailyCounts) -> None:
    payload = {
        "days": counts.days,
        "reported": counts.reported,
        "pending": counts.pending,
        "seed_cursor": counts.seed_cursor,
        "seeded": counts.seeded,
        "seed_end": counts.seed_end,
        "explained": counts.explained,
    }
    atomic_write_bytes(state_dir / COUNTS_FILE, orjson.dumps(payload, option=orjson.OPT_SORT_KEYS))


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10
