"""Whether a running target will breach: a probability from the helpdesk's own recent history.

For one clock (``helpdesks.sla.Clock``) the time left until its breach is measured in the time
the target counts (business hours on the helpdesk's schedule, or the calendar). The group's
recent first replies give how long this group takes to answer: a Kaplan-Meier survival curve
``S(t)`` over the replies (the tickets not answered yet count as waiting, so far). The tickets
ahead of this one in its group (open, clock running, earlier breach) delay it by the group's
spacing between first replies (the median gap between them). With ``e`` the time the clock
has run and ``L`` the time left,

    record = S(e + L - queue delay) / S(e),

shrunk toward one half by one pseudo-observation (``(p * n + 0.5) / (n + 1)`` for the ``n``
replies the curve still stands on at ``e``). The queue's own view: the tickets ahead and this
one answered at the group's busy pace (the median gap between its first replies), each gap
exponential, take longer than ``L`` (an Erlang tail). The probability is the mean of the two:
the record alone was overconfident in a peak (it knows the usual wait, not today's queue), the
queue alone at a quiet hour (chosen on one simulated day, ``sla_day --seed 7``; the figures are
on other days). No agent of the group at work, where the helpdesk says so, during the hours
the target counts: nobody can answer, and the breach is likely.

A group with fewer than ``MIN_HISTORY`` answered first replies borrows the account's; an
account with fewer is a first day: the prediction is ``cautious`` (no probability) and the pass
only tags what is due within the horizon, and says so.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

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

    @cached_property
    def _curve(self) -> tuple[list[float], list[float]]:
        """The waits' ends in order and ``S`` after each (the first entry: before any)."""
        ends: list[float] = []
        alive = [1.0]
        at_risk = len(self.waits)
        for seconds, done in sorted(self.waits):
            ends.append(seconds)
            alive.append(alive[-1] * (1 - 1 / at_risk) if done else alive[-1])
            at_risk -= 1
        return ends, alive

    def survival(self, moment: float) -> tuple[float, int]:
        """``S(moment)`` and how many waits are still at risk at ``moment``."""
        ends, alive = self._curve
        passed = bisect_right(ends, moment)
        return alive[passed], len(ends) - passed


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
    answers: dict[int | None, list[float]] = {}
    for item in history:
        end = item.answered_at if item.answered_at is not None else now
        wait = (counted(schedule, business, item.asked_at, end), item.answered_at is not None)
        for key in {item.group_id, None}:
            by_group.setdefault(key, []).append(wait)
            if item.answered_at is not None:
                answers.setdefault(key, []).append(item.answered_at)
    found = {}
    for key, waits in by_group.items():
        found[key] = Pace(tuple(waits), _spacing(answers.get(key, []), schedule, business))
    return found


def _spacing(moments: list[float], schedule: Schedule | None, business: bool) -> float:
    """The median time between one first reply and the next (in the counted time): how fast
    the group clears a queue when it has one (idle stretches are long gaps, past the median)."""
    ordered = sorted(moments)
    gaps = sorted(counted(schedule, business, a, b) for a, b in pairwise(ordered))
    gaps = [gap for gap in gaps if gap > 0]
    return gaps[len(gaps) // 2] if gaps else float("inf")


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
    record = (raw * at_risk + 0.5) / (at_risk + 1)
    queue = queue_tail(left, chosen.spacing, queue_ahead + 1)
    return Forecast((record + queue) / 2, left, queue_ahead, agents, open_now, chosen.answered)


def queue_tail(left: float, spacing: float, replies: int) -> float:
    """The chance that ``replies`` first replies at the group's busy pace (each exponential
    with mean ``spacing``) take longer than ``left``: the Erlang distribution's tail."""
    if not math.isfinite(spacing) or spacing <= 0:
        return 1.0
    x = left / spacing
    term = total = math.exp(-x)
    for i in range(1, replies):
        term *= x / i
        total += term
    return min(1.0, total)


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
