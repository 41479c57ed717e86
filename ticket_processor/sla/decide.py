"""What the SLA pass does about each running target: pure decisions over one SLA read.

A reply target (first reply, next reply) running, not yet warned of, inside the hours it
counts, due within the horizon and likely to breach is at risk: it gets the tag, a note line
in the agents' language, one priority step where ticketbot set the priority and the step does
not shorten the target, and the ``sla_risk`` routes that escalate. Likely: ``predict``'s score
mapped by its calibration on the helpdesk's past clocks (``calibrate``) to a breach
probability of at least ``AT_RISK``. Without history (too few first replies, or too few
closed clocks with a deadline) the prediction is cautious: the target due within the horizon
is only tagged. A paused or achieved clock is left alone (a warned one met is recorded), and
the tag ticketbot added comes off once none of the ticket's warned targets runs (the tag
means "at risk now"); a breach is recorded once and never announced. Resolution and update
targets are not predicted (the history read gives first replies), only their breaches
recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..helpdesks.sla import Clock, Schedule, SlaRead, zone
from ..models import sanitise_tag
from ..triage.route_rules import Route, sla_risk_routes
from ..writeback.wording import folder_wording
from .book import SlaBook, target_key
from .calibrate import BreachCalibration, BreachCalibrations, fit
from .predict import Forecast, Pace, paces, predict, queue_ahead

# The calibrated breach probability from which a target is at risk: chosen on the simulated
# days of seeds 1-5 and 7 only (``sla_day``), the most days meeting both the share of breaches
# warned 30 minutes ahead and the share of warnings that breached; the figures are other seeds'.
AT_RISK = 0.35
PREDICTED = ("first_reply", "next_reply")
STEPS = ("low", "normal", "high", "urgent")
TAG = "sla_at_risk"


@dataclass(frozen=True)
class AtRisk:
    """One target at risk and what the pass does about it (``note`` None: cautious, tag only)."""

    clock: Clock
    key: str
    prediction: Forecast
    note: str | None
    priority: str | None
    routes: tuple[str, ...]


@dataclass
class SlaPlan:
    at_risk: list[AtRisk] = field(default_factory=list)
    breached: list[tuple[str, Clock]] = field(default_factory=list)
    met: list[tuple[str, Clock]] = field(default_factory=list)
    still_at_risk: list[Clock] = field(default_factory=list)  # warned before, still running
    untag: list[int] = field(default_factory=list)  # tickets whose tag no longer says "now"
    forecasts: dict[str, Forecast] = field(default_factory=dict)  # target key -> forecast
    left_alone: int = 0  # paused or achieved clocks
    outside_hours: int = 0  # due within the horizon, but its hours are closed now
    cautious: bool = False
    history: int = 0
    calibration: BreachCalibration | None = None  # the last fit the plan used


def priority_step(clock: Clock, prefix: str) -> str | None:
    """One step up, only from a priority ticketbot set (its ``<prefix>priority_<p>`` tag) and
    only where the helpdesk's policy gives the higher priority no shorter target."""
    current = clock.priority
    if current not in STEPS or current == STEPS[-1]:
        return None
    if sanitise_tag(f"{prefix}priority_{current}") not in clock.tags:
        return None  # a person's priority, or none at all
    higher = STEPS[STEPS.index(current) + 1]
    now_target, higher_target = clock.targets.get(current), clock.targets.get(higher)
    if now_target is None or higher_target is None or higher_target < now_target:
        return None
    return higher


def _duration(seconds: float) -> str:
    minutes = max(0, round(seconds / 60))
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def note_line(clock: Clock, prediction: Forecast, schedule: Schedule | None, lang: str) -> str:
    words = folder_wording(__package__ or "ticket_processor.sla", lang)
    tz = zone(schedule.time_zone if schedule is not None else "UTC")
    when = datetime.fromtimestamp(clock.breach_at or 0, tz).strftime("%Y-%m-%d %H:%M %Z")
    agents = (
        words.say("agents_unknown")
        if prediction.agents is None
        else words.say("agents_known", count=prediction.agents)
    )
    return words.say(
        "line",
        target=words.say(clock.metric),
        when=when,
        left=_duration(prediction.left),
        hours=words.say("hours") if clock.business_hours else "",
        queue=prediction.queue_ahead,
        likelihood=f"{round((prediction.probability or 0) * 100)} %",
        agents=agents,
    )


def _warned_before(book: SlaBook, clock: Clock) -> str | None:
    prefix = f"{clock.ticket_id}:{clock.metric}:"
    return next((k for k in book.warned if k.startswith(prefix) and k not in book.met), None)


def decide(
    read: SlaRead,
    book: SlaBook,
    *,
    now: float,
    horizon: float,
    prefix: str,
    language: str,
    routes: Sequence[Route] = (),
    calibrations: BreachCalibrations | None = None,
) -> SlaPlan:
    """The plan for one read: what is at risk, breached, met and left alone. The breach
    probability is calibrated on the read's history (``calibrations``: the day's fits kept in
    the state dir; None: fitted here)."""
    plan = SlaPlan()
    calibration: dict[bool, BreachCalibration] = {}
    latest = {f"{c.ticket_id}:{c.metric}": c for c in read.clocks}  # a ticket read twice
    clocks = list(latest.values())
    # Waiting for an agent: running clocks, missed ones too (overdue, they come first).
    running = [c for c in clocks if c.stage in ("active", "breached")]
    pace: dict[bool, Mapping[int | None, Pace]] = {}
    for clock in clocks:
        key = target_key(clock)
        if clock.stage in ("paused", "achieved"):
            plan.left_alone += 1
            warned = _warned_before(book, clock) if clock.stage == "achieved" else None
            if warned is not None:
                plan.met.append((warned, clock))
            continue
        if clock.stage == "breached" or (clock.breach_at is not None and clock.breach_at <= now):
            if key not in book.breached:
                plan.breached.append((key, clock))
            continue
        if key in book.warned:
            plan.still_at_risk.append(clock)
            continue
        if clock.metric not in PREDICTED or clock.breach_at is None:
            continue
        if clock.business_hours not in pace:
            business = clock.business_hours
            pace[business] = paces(read.history, read.schedule, business=business, now=now)
            calibration[business] = (
                calibrations.get(
                    read.history, read.schedule, business=business, now=now, horizon=horizon
                )
                if calibrations is not None
                else fit(read.history, read.schedule, business=business, now=now, horizon=horizon)
            )
            plan.calibration = calibration[business]
        known = read.agents_at_work
        agents = None if known is None or clock.group_id is None else known.get(clock.group_id)
        score = predict(
            clock,
            now=now,
            schedule=read.schedule,
            pace=pace[clock.business_hours],
            queue_ahead=queue_ahead(clock, running),
            agents=agents,
        )
        prediction = calibration[clock.business_hours].calibrated(score)
        plan.history = max(plan.history, prediction.history)
        plan.forecasts[key] = prediction
        if prediction.left > horizon:
            continue
        if not prediction.open_now:
            plan.outside_hours += 1
            continue
        if prediction.cautious:
            plan.cautious = True
            plan.at_risk.append(AtRisk(clock, key, prediction, None, None, ()))
            continue
        if (prediction.probability or 0) < AT_RISK:
            continue
        matched = tuple(r.title for r in sla_risk_routes(routes, clock.tags))
        note = note_line(clock, prediction, read.schedule, language)
        step = priority_step(clock, prefix)
        plan.at_risk.append(AtRisk(clock, key, prediction, note, step, matched))
    plan.untag = no_longer_at_risk(clocks, book, plan, prefix)
    return plan


def no_longer_at_risk(
    clocks: Sequence[Clock], book: SlaBook, plan: SlaPlan, prefix: str
) -> list[int]:
    """The tickets whose at-risk tag ticketbot added (absent before its warning) and whose
    warned targets are all met or paused now: the tag means "at risk now". A target missed
    keeps it (the ticket still waits), and a tag a person set is never taken off."""
    tag = tag_of(prefix)
    held = {item.clock.ticket_id for item in plan.at_risk}
    held |= {clock.ticket_id for clock in plan.still_at_risk}
    held |= {c.ticket_id for c in clocks if c.stage in ("active", "breached") and _ours(book, c)}
    return sorted(
        {
            c.ticket_id
            for c in clocks
            if c.stage in ("paused", "achieved")
            and tag in c.tags
            and c.ticket_id not in held
            and tagged_by_us(book, c.ticket_id)
        }
    )


def _ours(book: SlaBook, clock: Clock) -> bool:
    return target_key(clock) in book.warned


def tagged_by_us(book: SlaBook, ticket_id: int) -> bool:
    """Whether a warning of the ticket's added the tag and it has not been taken off since."""
    prefix = f"{ticket_id}:"
    return any(k.startswith(prefix) and v.get("tagged") for k, v in book.warned.items())


def tag_of(prefix: str) -> str:
    return sanitise_tag(f"{prefix}{TAG}")
