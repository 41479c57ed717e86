"""The breach probability's calibration on plain data: past clocks replayed as the pass would
have seen them, a logistic map fitted on the earlier days and measured on the latest day gone,
the pass deciding on the map's probability, cautious without enough closed clocks or an earlier
day to fit on, and the day's fit kept in the state dir."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from ticket_processor.helpdesks.sla import Clock, FirstReply, Schedule, SlaRead
from ticket_processor.sla.book import SlaBook
from ticket_processor.sla.calibrate import (
    MIN_CLOCKS,
    STEP,
    BreachCalibration,
    BreachCalibrations,
    calibration_error,
    fit,
    platt,
    replays,
)
from ticket_processor.sla.decide import decide
from ticket_processor.sla.predict import paces, predict

MONDAY = datetime(2026, 11, 30, tzinfo=UTC).timestamp()
ALWAYS = Schedule("UTC", tuple((d, 0, 24 * 60) for d in range(7)))
NINE_TO_FIVE = Schedule("UTC", tuple((d, 9 * 60, 17 * 60) for d in range(5)))


def _days(count: int, *, wait: float, target: float = 3600, seed: int = 3) -> list[FirstReply]:
    """``count`` days before Monday, a question an hour, answered after about ``wait``."""
    rng = random.Random(seed)
    found = []
    for hour in range(count * 24):
        asked = MONDAY - count * 86400 + hour * 3600
        answered = asked + rng.expovariate(1 / wait)
        found.append(FirstReply(7, asked, answered, answered > asked + target, asked + target))
    return found


def test_platt_pulls_an_overconfident_score_down_and_keeps_a_true_one() -> None:
    rng = random.Random(5)
    overconfident = [(0.9, rng.random() < 0.5) for _ in range(400)]
    a, b = platt(overconfident)
    calibrated = BreachCalibration(a=a, b=b, clocks=MIN_CLOCKS, used=True)
    assert 0.4 < calibrated.probability(0.9) < 0.6
    honest = [(p, rng.random() < p) for p in (rng.random() for _ in range(2000))]
    a, b = platt(honest)
    assert abs(a - 1) < 0.2
    assert abs(b) < 0.2


def test_a_replay_looks_within_the_horizon_in_open_hours_while_the_clock_waits() -> None:
    # Friday 16:30, due Monday 09:30 (one business hour), answered Monday 09:05.
    asked = datetime(2026, 11, 27, 16, 30, tzinfo=UTC).timestamp()
    due = datetime(2026, 11, 30, 9, 30, tzinfo=UTC).timestamp()
    late = FirstReply(7, asked, due - 1500, False, due)
    history = [*_days(3, wait=600), late]
    found, clocks = replays(history, NINE_TO_FIVE, business=True, now=MONDAY + 86400, horizon=3600)
    assert clocks == len(history)
    looks = [r for r in found if r.day == "2026-11-30"]
    # Friday 16:30, 16:40, 16:50 and Monday 09:00: open hours, within the hour, before 09:05.
    assert len(looks) == 4 <= int(3600 // STEP)
    assert all(not r.breached for r in looks)


def test_the_fit_holds_out_the_latest_day_and_leaves_today_out() -> None:
    history = _days(6, wait=3000)
    made = fit(history, ALWAYS, business=False, now=MONDAY + 3600, horizon=3600)
    assert not made.cautious
    assert made.held_out_day == "2026-11-29"  # Sunday, the latest day gone
    assert made.fitted > 0
    assert made.held_out > 0
    assert made.loss_before is not None
    assert made.loss_after is not None
    assert made.used  # the pass decides on the map's probability


def test_too_few_closed_clocks_is_cautious_and_a_deadline_unknown_is_no_clock() -> None:
    few = _days(1, wait=3000)[: MIN_CLOCKS - 1]
    assert fit(few, ALWAYS, business=False, now=MONDAY, horizon=3600).cautious
    unknown = [FirstReply(h.group_id, h.asked_at, h.answered_at) for h in _days(3, wait=3000)]
    assert fit(unknown, ALWAYS, business=False, now=MONDAY, horizon=3600).clocks == 0


def test_without_deadlines_in_the_history_the_pass_only_tags(tmp_path: Path) -> None:
    unknown = [FirstReply(h.group_id, h.asked_at, h.answered_at) for h in _days(3, wait=5400)]
    clock = Clock(1, "first_reply", "active", MONDAY + 1800, group_id=7, started_at=MONDAY - 1800)
    read = SlaRead([clock], unknown, ALWAYS)
    plan = decide(
        read, SlaBook.open(tmp_path), now=MONDAY, horizon=3600, prefix="ai_", language="en"
    )
    assert plan.cautious
    (item,) = plan.at_risk
    assert item.note is None
    assert item.prediction.probability is None


def test_a_calibrated_slow_group_is_at_risk_and_the_days_fit_is_kept(tmp_path: Path) -> None:
    history = _days(4, wait=5400)
    clock = Clock(1, "first_reply", "active", MONDAY + 1800, group_id=7, started_at=MONDAY - 1800)
    read = SlaRead([clock], history, ALWAYS)
    kept = BreachCalibrations.open(tmp_path)
    plan = decide(
        read,
        SlaBook.open(tmp_path),
        now=MONDAY,
        horizon=3600,
        prefix="ai_",
        language="en",
        calibrations=kept,
    )
    (item,) = plan.at_risk
    assert item.note is not None
    assert (item.prediction.probability or 0) > 0.5
    assert plan.calibration is not None
    assert plan.calibration.fitted > 0
    kept.save()
    again = BreachCalibrations.open(tmp_path)
    assert again.get(history[:10], ALWAYS, business=False, now=MONDAY + 600, horizon=3600) == (
        plan.calibration
    )
    assert not again.changed
    tomorrow = again.get(history, ALWAYS, business=False, now=MONDAY + 86400, horizon=3600)
    assert tomorrow.day == "2026-12-01"
    assert again.changed


def test_the_calibration_error_is_the_binned_gap() -> None:
    assert calibration_error([(0.9, True), (0.9, False)]) == 0.4
    assert calibration_error([(0.25, False), (0.25, False), (0.25, True), (0.25, False)]) == 0


def test_without_an_earlier_day_to_fit_on_the_pass_only_tags(tmp_path: Path) -> None:
    # Enough closed clocks, all on Sunday: no day before it gives a pace to replay them with.
    sunday = _days(1, wait=5400)
    made = fit(sunday, ALWAYS, business=False, now=MONDAY + 3600, horizon=3600)
    assert made.clocks >= MIN_CLOCKS
    assert not made.used
    assert made.cautious
    clock = Clock(1, "first_reply", "active", MONDAY + 5400, group_id=7, started_at=MONDAY)
    read = SlaRead([clock], sunday, ALWAYS)
    plan = decide(
        read, SlaBook.open(tmp_path), now=MONDAY + 3600, horizon=3600, prefix="ai_", language="en"
    )
    assert plan.cautious
    (item,) = plan.at_risk
    assert item.note is None


def test_the_pass_decides_on_the_maps_probability_not_the_score(tmp_path: Path) -> None:
    history = _days(4, wait=5400)
    clock = Clock(1, "first_reply", "active", MONDAY + 1800, group_id=7, started_at=MONDAY - 1800)
    plan = decide(
        SlaRead([clock], history, ALWAYS),
        SlaBook.open(tmp_path),
        now=MONDAY,
        horizon=3600,
        prefix="ai_",
        language="en",
    )
    score = predict(
        clock,
        now=MONDAY,
        schedule=ALWAYS,
        pace=paces(history, ALWAYS, business=False, now=MONDAY),
        queue_ahead=0,
        agents=None,
    ).probability
    assert score is not None
    assert plan.calibration is not None
    assert plan.calibration.used
    assert (plan.calibration.a, plan.calibration.b) != (1.0, 0.0)
    (item,) = plan.at_risk
    assert item.prediction.probability == plan.calibration.probability(score)
