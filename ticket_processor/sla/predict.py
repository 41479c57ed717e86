"""Whether a running target will breach: a probability from the helpdesk's own recent history.

For one clock (``helpdesks.sla.Clock``) the time left until its breach is measured in the time
the target counts (business hours on the helpdesk's schedule, or the calendar). The group's
recent first replies give how long this group takes to answer: a Kaplan-Meier survival curve
``S(t)`` over the replies (the tickets not answered yet count as waiting, so far). The tickets
ahead of this one in its group (open, clock running, earlier breach) delay it by the group's
spacing between first replies (how much business time one first reply takes the group, over
the history window). With ``e`` the time the clock has run and ``L`` the time left,

    P(breach) = S(e + L - queue delay) / S(e),

shrunk toward one half by one pseudo-observation (``(p * n + 0.5) / (n + 1)`` for the ``n``
replies the curve still stands on at ``e``). No agent of the group at work, where the helpdesk
says so, during the hours the target counts: nobody can answer, and the breach is likely.

A group with fewer than ``MIN_HISTORY`` answered first replies borrows the account's; an
account with fewer is a first day: the prediction is ``cautious`` (no probability) and the pass
only tags what is due within the horizon, and says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..helpdesks.sla import Clock, FirstReply, Schedule

MIN_HISTORY = 20  # answered first replies a probability stands on
NOBODY_AT_WORK = 0.95  # the probability when the helpdesk says nobody of the group is at work


@dataclass(frozen=True)
class Pace:
    """A group's (or the account's) first replies: ``waits`` as (seconds, answered), in the
    time the target counts, and ``spacing``, the seconds between its first replies."""

    waits: tuple[tuple[float, bool], ...]
    spacing: float

    @property
    def answered(self) -> int:
        return sum(1 for _, done in self.waits if done)

    def survival(self, moment: float) -> tuple[float, int]:
        """``S(moment)`` and how many waits are still at risk at ``moment``."""
        alive = 1.0
        at_risk = len(self.waits)
        for seconds, done in sorted(self.waits):
            if seconds > moment:
                break
            if done and at_risk > 0:
                alive *= 1 - 1 / at_risk
            at_risk -= 1
        return alive, at_risk


@dataclass(frozen=True)
class Forecast:
    """What the pass decides on: the probability (None: cautious), the seconds left in the
    counted time, the queue ahead, the agents at work (None: not known) and whether the
    target's hours are open now."""

    probability: float | None
    left: float
    queue_ahead: int
    agents: int | None
    open_now: bool
    history: int

    @property
    def cautious(self) -> bool:
        return self.probability is None


def counted(schedule: Schedule | None, business: bool, start: float, end: float) -> float:
    """The seconds between two moments in the time a target counts."""
    if business and schedule is not None:
        return schedule.business_seconds(start, end)
    return max(0.0, end - start)


def paces(
    history: Sequence[FirstReply],
    schedule: Schedule | None,
    *,
    business: bool,
    now: float,
) -> dict[int | None, Pace]:
    """Each group's pace, and the account's under ``None`` (every group together)."""
    by_group: dict[int | None, list[tuple[float, bool]]] = {}
    first: dict[int | None, float] = {}
    for item in history:
        end = item.answered_at if item.answered_at is not None else now
        wait = (counted(schedule, business, item.asked_at, end), item.answered_at is not None)
        for key in {item.group_id, None}:
            by_group.setdefault(key, []).append(wait)
            first[key] = min(first.get(key, item.asked_at), item.asked_at)
    found = {}
    for key, waits in by_group.items():
        answered = sum(1 for _, done in waits if done)
        window = counted(schedule, business, first[key], now)
        spacing = window / answered if answered else float("inf")
        found[key] = Pace(tuple(waits), spacing)
    return found


def predict(
    clock: Clock,
    *,
    now: float,
    schedule: Schedule | None,
    pace: Mapping[int | None, Pace],
    queue_ahead: int,
    agents: int | None,
) -> Forecast:
    """The clock's breach probability, or a cautious prediction without enough history."""
    business = clock.business_hours
    open_now = not business or schedule is None or schedule.is_open(now)
    breach = clock.breach_at if clock.breach_at is not None else now
    left = counted(schedule, business, now, breach)
    elapsed = counted(schedule, business, clock.started_at or now, now)
    own = pace.get(clock.group_id)
    chosen = own if own is not None and own.answered >= MIN_HISTORY else pace.get(None)
    if chosen is None or chosen.answered < MIN_HISTORY:
        history = chosen.answered if chosen is not None else 0
        return Forecast(None, left, queue_ahead, agents, open_now, history)
    if agents == 0 and open_now:
        return Forecast(NOBODY_AT_WORK, left, queue_ahead, agents, open_now, chosen.answered)
    delay = queue_ahead * min(chosen.spacing, left + 1)
    before, at_risk = chosen.survival(elapsed)
    after, _ = chosen.survival(elapsed + max(0.0, left - delay))
    raw = 1.0 if before <= 0 else after / before
    shrunk = (raw * at_risk + 0.5) / (at_risk + 1)
    return Forecast(shrunk, left, queue_ahead, agents, open_now, chosen.answered)


def queue_ahead(clock: Clock, running: Sequence[Clock]) -> int:
    """The running clocks of the same target in the same group that breach earlier."""
    if clock.breach_at is None:
        return 0
    return sum(
        1
        for other in running
        if other.metric == clock.metric
        and other.group_id == clock.group_id
        and other.ticket_id != clock.ticket_id
        and other.breach_at is not None
        and other.breach_at < clock.breach_at
    )
