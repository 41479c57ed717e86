"""The breach probability's calibration on the helpdesk's own past breaches, held out by time.

``predict`` gives a score from the group's waits and the queue. Whether a score of 0.6 means
that six targets in ten breach is a question for the helpdesk's own history: each closed
first-reply clock of the history (its deadline as the helpdesk kept it, met or missed) is
replayed as the pass would have seen it, every ``STEP`` (a cron run's ten minutes) within the
horizon before its deadline while it still waited and its hours were open: the score from
the pace the group had before that day and the queue ahead of it then, and whether it
breached. A logistic map of the score's log-odds (Platt scaling, two numbers, pulled toward
the identity by a ridge) is fitted on the earlier days and measured on the latest day gone
with replays (log loss and calibration error, before and after). Today's clocks are left out:
only the quickly met ones are closed yet. With fewer than ``MIN_CLOCKS`` closed clocks with a
deadline, or no earlier day to fit on, the prediction is cautious: the pass only tags.

The pass decides on the mapped probability (``BreachCalibration.calibrated``): a threshold on
it means the same on a quiet helpdesk and a busy one, where a threshold on the score does not
(the score's scale moves with the history; the map puts it back on the breaches').

The fit is done on a day's first run with enough clocks and kept for the day in
``<state dir>/sla_calibration.json`` (the earlier days do not change within one).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path

import orjson

from ..common.atomic import atomic_write_bytes, read_state_bytes
from ..errors import StateFileRefused
from ..helpdesks.sla import Clock, FirstReply, Schedule, zone
from .predict import Forecast, Pace, counted, paces, predict

MIN_CLOCKS = 20  # closed first-reply clocks with a deadline a calibration stands on
STEP = 600.0  # a cron run's interval: how often a waiting clock was looked at
MAX_REPLAYED = 1200  # closed clocks replayed at most (evenly spread): a run's bounded work
LOOK_BACK = 4 * 86400  # the furthest before a deadline a replay looks (a long weekend)
RIDGE = 2.0  # the pull toward the identity map (a, b) = (1, 0)
EDGE = 1e-3  # scores are kept this far from 0 and 1 before their log-odds
FILE = "sla_calibration.json"


@dataclass(frozen=True)
class Replay:
    """One look at a past clock: the day it was due, the score then, whether it breached."""

    day: str
    score: float
    breached: bool


@dataclass(frozen=True)
class BreachCalibration:
    """``p = 1 / (1 + exp(-(a * logit(score) + b)))``, fitted on ``fitted`` replays of the
    days before ``held_out_day``, measured on its ``held_out`` replays. ``clocks``: the closed
    clocks with a deadline in the history (fewer than ``MIN_CLOCKS``: cautious). ``used``:
    whether the map did better than the score on the held-out day."""

    day: str = ""
    a: float = 1.0
    b: float = 0.0
    clocks: int = 0
    fitted: int = 0
    held_out: int = 0
    held_out_day: str = ""
    loss_before: float | None = None
    loss_after: float | None = None
    error_before: float | None = None
    error_after: float | None = None
    used: bool = False

    @property
    def cautious(self) -> bool:
        return self.clocks < MIN_CLOCKS or not self.used

    def probability(self, score: float) -> float:
        if not self.used:
            return score
        return _sigmoid(self.a * _logit(score) + self.b)

    def calibrated(self, forecast: Forecast) -> Forecast:
        """The forecast with its score mapped to a breach probability, or cautious (no
        probability) without a fit standing on enough closed clocks."""
        if forecast.probability is None:
            return forecast
        if self.cautious:
            return replace(forecast, probability=None)
        return replace(forecast, probability=self.probability(forecast.probability))


def _logit(p: float) -> float:
    p = min(1 - EDGE, max(EDGE, p))
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def log_loss(pairs: Sequence[tuple[float, bool]]) -> float:
    eps = 1e-6
    return -sum(math.log(max(eps, p)) if y else math.log(max(eps, 1 - p)) for p, y in pairs) / max(
        1, len(pairs)
    )


def calibration_error(pairs: Sequence[tuple[float, bool]], bins: int = 10) -> float:
    """The expected calibration error: the gap between forecast and outcome in 10 bins."""
    grouped: dict[int, list[tuple[float, bool]]] = {}
    for p, y in pairs:
        grouped.setdefault(min(bins - 1, int(p * bins)), []).append((p, y))
    total = max(1, len(pairs))
    return sum(
        len(b) / total * abs(sum(p for p, _ in b) / len(b) - sum(y for _, y in b) / len(b))
        for b in grouped.values()
    )


def platt(pairs: Sequence[tuple[float, bool]]) -> tuple[float, float]:
    """(a, b) minimising the log loss of ``sigmoid(a * logit(score) + b)`` plus the ridge
    toward (1, 0): Newton's method on two unknowns."""
    xs = [(_logit(p), 1.0 if y else 0.0) for p, y in pairs]

    def objective(a: float, b: float) -> float:
        loss = sum(_softplus(a * x + b) - y * (a * x + b) for x, y in xs)
        return loss + RIDGE / 2 * ((a - 1) ** 2 + b**2)

    a, b = 1.0, 0.0
    current = objective(a, b)
    for _ in range(50):
        ga, gb = RIDGE * (a - 1), RIDGE * b
        haa, hab, hbb = RIDGE, 0.0, RIDGE
        for x, y in xs:
            p = _sigmoid(a * x + b)
            w = p * (1 - p)
            ga += (p - y) * x
            gb += p - y
            haa += w * x * x
            hab += w * x
            hbb += w
        det = haa * hbb - hab * hab
        if det <= 0:
            break
        da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        step = 1.0  # halved until the objective falls: a full Newton step can overshoot
        while step > 1e-6 and objective(a - step * da, b - step * db) > current:
            step /= 2
        a, b = a - step * da, b - step * db
        previous, current = current, objective(a, b)
        if previous - current < 1e-9:
            break
    return a, b


def _softplus(x: float) -> float:
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


def replays(
    history: Sequence[FirstReply],
    schedule: Schedule | None,
    *,
    business: bool,
    now: float,
    horizon: float,
) -> tuple[list[Replay], int]:
    """Every look the pass would have taken at the history's closed clocks (at most
    ``MAX_REPLAYED`` of them, evenly spread), and how many closed clocks with a deadline there
    were."""
    closed = sorted(
        (h for h in history if h.due_at is not None and _closed(h, now)),
        key=lambda h: h.due_at or 0.0,
    )
    dues = [h.due_at or 0.0 for h in closed]
    tz = zone(schedule.time_zone if schedule is not None else "UTC")
    found: list[Replay] = []
    pace_of_day: dict[str, Mapping[int | None, Pace]] = {}
    every = max(1, math.ceil(len(closed) / MAX_REPLAYED))  # a busy account: a sample, in order
    for index in range(0, len(closed), every):
        item, due = closed[index], dues[index]
        local = datetime.fromtimestamp(due, tz)
        day = local.date().isoformat()
        if day not in pace_of_day:
            start = datetime(local.year, local.month, local.day, tzinfo=tz).timestamp()
            pace_of_day[day] = paces(_as_of(history, start), schedule, business=business, now=start)
        pace = pace_of_day[day]
        clock = Clock(-1 - index, "first_reply", "active", due, business, item.group_id,
                      started_at=item.asked_at)  # fmt: skip
        breached = item.answered_at is None or item.answered_at > due
        for look in _looks(item, due, horizon, schedule, business):
            ahead = _queue_then(closed, dues, index, look)
            forecast = predict(clock, now=look, schedule=schedule, pace=pace,
                               queue_ahead=ahead, agents=None)  # fmt: skip
            if forecast.probability is not None:
                found.append(Replay(day, forecast.probability, breached))
    return found, len(closed)


def _closed(item: FirstReply, now: float) -> bool:
    due = item.due_at or 0.0
    return (item.answered_at is not None and item.answered_at <= now) or due <= now


def _as_of(history: Sequence[FirstReply], moment: float) -> list[FirstReply]:
    """The history as it stood at ``moment``: asked before it, answered only if by then."""
    return [
        h if h.answered_at is None or h.answered_at <= moment else replace(h, answered_at=None)
        for h in history
        if h.asked_at < moment
    ]


def _looks(
    item: FirstReply, due: float, horizon: float, schedule: Schedule | None, business: bool
) -> list[float]:
    """The moments, a run's interval apart back from the deadline, at which the pass would
    have looked at the clock: still waiting, its hours open, due within the horizon in the
    time it counts (at most ``LOOK_BACK`` before the deadline: a weekend between)."""
    last = item.answered_at if item.answered_at is not None else due
    found: list[float] = []
    look = due - STEP
    while look >= max(item.asked_at, due - LOOK_BACK):
        hours = business and schedule is not None
        if not hours or schedule.is_open(look):  # type: ignore[union-attr]
            if counted(schedule, business, look, due) > horizon:
                break
            if look < last:
                found.append(look)
        look -= STEP
    return found


def _queue_then(
    closed: Sequence[FirstReply], dues: Sequence[float], index: int, look: float
) -> int:
    """The clocks of the same group waiting at ``look`` with an earlier deadline (those due
    more than a day before are long answered or counted as overdue elsewhere)."""
    item = closed[index]
    first = bisect_left(dues, look - 86400)
    return sum(
        1
        for other in closed[first:index]
        if other.group_id == item.group_id
        and other.asked_at <= look
        and (other.answered_at is None or other.answered_at > look)
    )


def fit(
    history: Sequence[FirstReply],
    schedule: Schedule | None,
    *,
    business: bool,
    now: float,
    horizon: float,
) -> BreachCalibration:
    """The calibration for one kind of target (business hours or calendar), held out by time:
    fitted on every day but the latest with replays, measured on that one."""
    today = datetime.fromtimestamp(now, zone(schedule.time_zone if schedule else "UTC"))
    day = today.date().isoformat()
    found, clocks = replays(history, schedule, business=business, now=now, horizon=horizon)
    base = BreachCalibration(day=day, clocks=clocks)
    # Today's clocks are not all closed yet (the quickly met ones are): only days gone count.
    found = [r for r in found if r.day < day]
    days = sorted({r.day for r in found})
    if clocks < MIN_CLOCKS or not days:
        return base
    held_day = days[-1] if len(days) > 1 else ""
    train = [(r.score, r.breached) for r in found if r.day != held_day]
    test = [(r.score, r.breached) for r in found if r.day == held_day]
    a, b = platt(train)
    fitted = replace(
        base, a=a, b=b, fitted=len(train), held_out=len(test), held_out_day=held_day, used=True
    )
    if not test:
        return fitted
    after = [(_sigmoid(a * _logit(p) + b), y) for p, y in test]
    return replace(
        fitted,
        loss_before=log_loss(test),
        loss_after=log_loss(after),
        error_before=calibration_error(test),
        error_after=calibration_error(after),
    )


@dataclass
class BreachCalibrations:
    """The day's fits, one per kind of target (``"business"``, ``"calendar"``), kept in the
    state dir so a run refits only on a new day."""

    path: Path
    fits: dict[str, BreachCalibration]
    changed: bool = False

    @classmethod
    def open(cls, state_dir: Path) -> BreachCalibrations:
        path = state_dir / FILE
        try:
            raw = orjson.loads(read_state_bytes(path))
        except (FileNotFoundError, StateFileRefused, orjson.JSONDecodeError, OSError):
            return cls(path, {})
        fits: dict[str, BreachCalibration] = {}
        for name, body in raw.items() if isinstance(raw, dict) else ():
            try:
                fits[str(name)] = BreachCalibration(**body)
            except TypeError:
                continue
        return cls(path, fits)

    def get(
        self,
        history: Sequence[FirstReply],
        schedule: Schedule | None,
        *,
        business: bool,
        now: float,
        horizon: float,
    ) -> BreachCalibration:
        name = "business" if business else "calendar"
        today = datetime.fromtimestamp(now, zone(schedule.time_zone if schedule else "UTC"))
        kept = self.fits.get(name)
        if kept is not None and kept.day == today.date().isoformat() and not kept.cautious:
            return kept
        made = fit(history, schedule, business=business, now=now, horizon=horizon)
        if made != kept:
            self.fits[name] = made
            self.changed = True
        return made

    def save(self) -> None:
        if self.changed:
            body = {name: asdict(one) for name, one in self.fits.items()}
            atomic_write_bytes(self.path, orjson.dumps(body, option=orjson.OPT_SORT_KEYS))
            self.changed = False
