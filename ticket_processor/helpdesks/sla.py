"""The service-level clocks a helpdesk keeps, in ticketbot's words, and the business hours they
count in: what every kind's SLA read (``helpdesks/<kind>/slas.py``, named by its descriptor's
``slas``) returns, and the schedule arithmetic the SLA feature (``sla/``) does with them.

Each helpdesk keeps its own targets and says when each breaches (Zendesk's ``breach_at``,
Freshdesk's ``fr_due_by`` / ``due_by`` / ``nr_due_by``, ServiceNow's ``planned_end_time``);
ticketbot reads those times, never a table of its own. A ``Clock`` is one target running on one
ticket; a ``FirstReply`` one ticket of the group's recent history (when it was asked and first
answered); a ``Schedule`` the account's business hours in its own time zone, holidays included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..models import Helpdesk

METRICS = ("first_reply", "next_reply", "periodic_update", "resolution")
# active: the clock runs; paused: pending / on hold; achieved: met; breached: missed.
STAGES = ("active", "paused", "achieved", "breached")

# Zendesk and Freshdesk name time zones as Rails does; the common ones, as IANA names.
RAILS_ZONES = {
    "UTC": "UTC",
    "London": "Europe/London",
    "Dublin": "Europe/Dublin",
    "Berlin": "Europe/Berlin",
    "Amsterdam": "Europe/Amsterdam",
    "Paris": "Europe/Paris",
    "Madrid": "Europe/Madrid",
    "Rome": "Europe/Rome",
    "Vienna": "Europe/Vienna",
    "Zurich": "Europe/Zurich",
    "Stockholm": "Europe/Stockholm",
    "Warsaw": "Europe/Warsaw",
    "Lisbon": "Europe/Lisbon",
    "Eastern Time (US & Canada)": "America/New_York",
    "Central Time (US & Canada)": "America/Chicago",
    "Mountain Time (US & Canada)": "America/Denver",
    "Pacific Time (US & Canada)": "America/Los_Angeles",
    "Sydney": "Australia/Sydney",
    "Tokyo": "Asia/Tokyo",
    "Singapore": "Asia/Singapore",
    "Kolkata": "Asia/Kolkata",
    "Chennai": "Asia/Kolkata",
    "Sao Paulo": "America/Sao_Paulo",
}


def zone(name: str | None) -> ZoneInfo:
    """The time zone a helpdesk names (a Rails name or an IANA one); UTC when unknown."""
    wanted = RAILS_ZONES.get(name or "UTC", name or "UTC")
    try:
        return ZoneInfo(wanted)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class Schedule:
    """Business hours: ``weekly`` open spans as (weekday, start minute, end minute) in the
    schedule's own ``time_zone`` (weekday 0 is Monday), closed on ``holidays``."""

    time_zone: str
    weekly: tuple[tuple[int, int, int], ...]
    holidays: frozenset[date] = frozenset()
    name: str = ""

    def _spans(self, day: date) -> list[tuple[int, int]]:
        if day in self.holidays:
            return []
        return [(start, end) for weekday, start, end in self.weekly if weekday == day.weekday()]

    def is_open(self, moment: float) -> bool:
        local = datetime.fromtimestamp(moment, zone(self.time_zone))
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self._spans(local.date()))

    def business_seconds(self, start: float, end: float) -> float:
        """The open seconds between two moments (0 when ``end`` is not after ``start``);
        at most 60 days are counted (a target further off is far beyond any horizon)."""
        if end <= start:
            return 0.0
        tz = zone(self.time_zone)
        day = datetime.fromtimestamp(start, tz).date()
        last = datetime.fromtimestamp(end, tz).date()
        total = 0.0
        for _ in range(61):
            midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
            for open_minute, close_minute in self._spans(day):
                opens = (midnight + timedelta(minutes=open_minute)).timestamp()
                closes = (midnight + timedelta(minutes=close_minute)).timestamp()
                total += max(0.0, min(closes, end) - max(opens, start))
            if day >= last:
                break
            day += timedelta(days=1)
        return total


@dataclass(frozen=True)
class Clock:
    """One target running on one ticket, as the helpdesk keeps it: which ``metric``, its
    ``stage``, when it breaches (Unix seconds; None: the helpdesk gives no time), whether it
    counts business hours only, and the ticket's group, priority, tags and subject.
    ``started_at``: when the clock began (the ticket's creation for a first reply);
    ``targets``: the applied policy's target for this metric per priority, in seconds, where
    the helpdesk says (how a priority change would move it)."""

    ticket_id: int
    metric: str
    stage: str
    breach_at: float | None
    business_hours: bool = False
    group_id: int | None = None
    priority: str | None = None
    tags: tuple[str, ...] = ()
    subject: str = ""
    started_at: float | None = None
    targets: Mapping[str, float] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The target's name on its ticket: ``<ticket>:<metric>``."""
        return f"{self.ticket_id}:{self.metric}"


@dataclass(frozen=True)
class FirstReply:
    """One ticket of the recent history: its group, when it was asked, when an agent first
    answered (None: not yet), whether its first-reply target breached, where known, and when
    that target was due (``due_at``, as the helpdesk kept it; None: not known): a closed clock
    the breach probability is calibrated on; ``ticket_id``: whose (what a later read from a
    position replaces), where the read says."""

    group_id: int | None
    asked_at: float
    answered_at: float | None
    breached: bool | None = None
    due_at: float | None = None
    ticket_id: int | None = None


@dataclass
class SlaRead:
    """What one SLA read found: the running clocks of the open tickets, the first replies of
    the recent history, the business hours, the agents at work now by group (None: the
    helpdesk does not say), how many requests it took and whether it read everything.

    ``position``: where the next run's read may start (the helpdesk's export cursor or a
    change time; no personal data), None where the read gives none. ``changed``: None for a
    full read (every open ticket's clocks); for a read from a position, the tickets it read
    (changed since): their clocks and first replies replace what the last run kept."""

    clocks: list[Clock]
    history: list[FirstReply]
    schedule: Schedule | None
    agents_at_work: dict[int, int] | None = None
    requests: int = 0
    complete: bool = True
    notes: list[str] = field(default_factory=list)
    position: dict[str, Any] | None = None
    changed: frozenset[int] | None = None


class SlaReader(Protocol):
    """A kind's SLA read (``HelpdeskKind.slas``): the open tickets' clocks and the history
    since ``history_since``, in at most ``max_requests`` requests; from ``since`` (a
    ``position`` an earlier read gave) only what changed after it."""

    def __call__(
        self,
        helpdesk: Helpdesk,
        *,
        now: float,
        history_since: float,
        max_requests: int,
        since: Mapping[str, Any] | None = None,
    ) -> SlaRead: ...


def iso_seconds(value: object) -> float | None:
    """An ISO 8601 time (``Z`` or an offset) as Unix seconds; None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def weekday_spans(days: Mapping[int, tuple[int, int]]) -> tuple[tuple[int, int, int], ...]:
    """(weekday, start minute, end minute) spans from a weekday -> (start, end) mapping."""
    return tuple((day, start, end) for day, (start, end) in sorted(days.items()) if end > start)


def holidays_between(spans: Sequence[tuple[str, str]]) -> frozenset[date]:
    """Every day of each (first day, last day) ISO date span."""
    found: set[date] = set()
    for first, last in spans:
        try:
            day, end = date.fromisoformat(first[:10]), date.fromisoformat(last[:10])
        except ValueError:
            continue
        while day <= end and len(found) < 3660:
            found.add(day)
            day += timedelta(days=1)
    return frozenset(found)
