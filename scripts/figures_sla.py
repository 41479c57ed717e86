"""The SLA pass's figures: a simulated working day on each sandbox."""

from __future__ import annotations

import argparse
import math
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.helpdesks.sla import Schedule
from ticket_processor.passes.protocol import RunEnd
from ticket_processor.passes.types import RunSummary
from ticket_processor.run.connect import connect, load_settings
from ticket_processor.sandbox.desks import NewTicket, SlaDesk, serve_desk
from ticket_processor.sla.calibrate import BreachCalibration, calibration_error
from ticket_processor.sla.predict import paces, predict, queue_ahead
from ticket_processor.sla.run_pass import SlaPass
from ticket_processor.state.ledger import RunLedger
from ticket_processor.triage.routing import parse_routes

# sla_day -----------------------------------------------------------------------------------------

SLA_DAY_DOC = """\
A simulated working day on each helpdesk's sandbox, the SLA pass run every 10 minutes on it.

    python -m scripts.figures sla_day --seed 11 [--kinds zendesk,freshdesk,servicenow]
    python -m scripts.figures sla_day --seed 11 --histories 1

Written for this figure; nothing is fitted on the simulated day (the pass's curve is the
helpdesk's own history; the calibration's map is fitted on the history's earlier days and
measured on its latest day gone, then on the simulated day). One group, three agents on
duty Monday to Friday 08:00-18:00 UTC, a 60-minute first-reply target in business hours (the
same for every priority). Tickets arrive at random (8 an hour in the day, 18 an hour from 10:00
to 12:00, one every 2 hours at night and at the weekend); the agents answer the earliest
deadline first, 12 minutes a ticket on average,
and never look at ticketbot's tags: a ticket that breaches would have breached without an
agent's action on the warning. One in ten waits on its customer (paused) all day; one in four
has a priority a person set. The history is the same model's previous days, seeded by
``created_at`` (14 days; ``--histories 1`` cuts it to the Sunday before). The day simulated is
the Monday after the history (with the weekend's tickets still waiting). Seeds 1-5 and 7 are
the development days the pass's threshold was chosen on; the docs' figures are other seeds'.

Printed per helpdesk and history: the breaches and how many were tagged at least 30 minutes
before, the tagged and how many breached, tickets tagged while paused or answered, tags outside
business hours, persons' priorities changed, the most pages for one target, and the expected
calibration error of the breach probability (10 bins, every forecast within the horizon on the
simulated day, a day later than all the history), of the score and of the probability the pass
decides on (the score through the calibration's map); then the map each pass fitted for the
simulated day: the closed clocks, the replays fitted, the history's held-out day and its log
loss and calibration error, score and map.
"""

DAY_OPEN, DAY_CLOSE = 8 * 60, 18 * 60
TARGET = 60 * 60
MEAN_SERVICE = 12 * 60
AGENTS = 3
TICK = 600
HORIZON = 3600
ROUTES = '[[route]]\nname = "about to miss a target"\nwhen = { sla_risk = true }\nescalate = true\n'
SIMULATED_DAY = "2026-11-30"
SCHEDULE = Schedule("UTC", tuple((day, DAY_OPEN, DAY_CLOSE) for day in range(5)))


@dataclass
class SimTicket:
    asked: float
    breach: float
    paused: bool
    persons: bool
    answered: float | None = None
    desk_id: int | None = None


def _business_add(start: float, seconds: float) -> float:
    """The moment ``seconds`` of business time after ``start`` on ``SCHEDULE``."""
    day = datetime.fromtimestamp(start, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    while True:
        if day.weekday() < 5:
            opens = (day + timedelta(minutes=DAY_OPEN)).timestamp()
            closes = (day + timedelta(minutes=DAY_CLOSE)).timestamp()
            begin = max(start, opens)
            if begin < closes:
                if begin + seconds <= closes:
                    return begin + seconds
                seconds -= closes - begin
        day += timedelta(days=1)


def _rate(moment: float) -> float:
    when = datetime.fromtimestamp(moment, UTC)
    minute = when.hour * 60 + when.minute
    if when.weekday() >= 5 or not DAY_OPEN <= minute < DAY_CLOSE:
        return 0.5 / 60
    return 18 / 60 if 10 * 60 <= minute < 12 * 60 else 8 / 60


def simulate(start: float, end: float, rng: random.Random) -> list[SimTicket]:
    """The queue from ``start`` to ``end``, a minute a step: arrivals, the agents' answers."""
    tickets: list[SimTicket] = []
    free_at = [start] * AGENTS
    moment = start
    while moment < end:
        for _ in range(_poisson(_rate(moment), rng)):
            asked = moment + rng.random() * 60
            tickets.append(
                SimTicket(
                    asked, _business_add(asked, TARGET), rng.random() < 0.1, rng.random() < 0.25
                )
            )
        if SCHEDULE.is_open(moment):
            for agent in range(AGENTS):
                if free_at[agent] > moment:
                    continue
                waiting = [
                    t for t in tickets if t.answered is None and not t.paused and t.asked <= moment
                ]
                if not waiting:
                    break
                chosen = min(waiting, key=lambda t: t.breach)
                chosen.answered = moment + rng.expovariate(1 / MEAN_SERVICE)
                free_at[agent] = chosen.answered
        moment += 60
    return tickets


def _poisson(rate: float, rng: random.Random) -> int:
    limit, count, product = math.exp(-rate), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


@dataclass
class DayFigures:
    tickets: int = 0
    breaches: int = 0
    warned_30: int = 0
    tagged: int = 0
    tagged_breached: int = 0
    tagged_paused_or_answered: int = 0
    tagged_outside_hours: int = 0
    persons_changed: int = 0
    most_pages: int = 0
    requests_most: int = 0
    forecasts: list[tuple[float, bool]] = field(default_factory=list)  # the score
    calibrated: list[tuple[float, bool]] = field(default_factory=list)  # what the pass used
    cautious_runs: int = 0
    fit: BreachCalibration | None = None

    def ece(self, pairs: list[tuple[float, bool]] | None = None) -> float | None:
        chosen = self.forecasts if pairs is None else pairs
        return calibration_error(chosen) if chosen else None


class _Log:
    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        return {"event": event, **fields}


def run_day(kind: str, history_days: int, seed: int) -> DayFigures:
    rng = random.Random(seed)
    monday = datetime.fromisoformat(SIMULATED_DAY).replace(tzinfo=UTC).timestamp()
    history = simulate(monday - history_days * 86400, monday, rng)
    # The Monday, and the weekend's tickets still waiting at its start: the agents answer those
    # first, so the helpdesk shows them too (the queue ahead on Monday morning).
    day = [
        t
        for t in simulate(monday - 86400, monday + 86400, random.Random(seed + 1))
        if t.asked >= monday or t.answered is None or t.answered > monday
    ]
    now = [monday - history_days * 86400]
    clock: Callable[[], float] = lambda: now[0]  # noqa: E731
    figures = DayFigures()
    with (
        serve_desk(KINDS[kind], unlimited=True, clock=clock) as desk,
        tempfile.TemporaryDirectory() as tmp,
    ):
        assert isinstance(desk, SlaDesk)
        now[0] = monday - 1
        desk.sla_schedule("UTC", [(d, DAY_OPEN, DAY_CLOSE) for d in range(5)])
        desk.sla_policy(
            {"first_reply": dict.fromkeys(("low", "normal", "high", "urgent"), 60)},
            business_hours=True,
        )
        for past in history:
            minutes = (past.answered - past.asked) / 60 if past.answered else None
            # A ticket waiting on its customer paused its clock: no deadline met or missed.
            due = None if past.paused else past.breach
            desk.sla_history(None, past.asked, minutes, due_at=due)
        helpdesk = connect(load_settings(desk.env(), env_file=None))
        state = Path(tmp)
        sla = SlaPass(
            helpdesk,
            KINDS[kind].sla_reader(),
            state,
            HORIZON,
            "ai_",
            "en",
            routes=parse_routes(ROUTES).routes,
            journal=RunLedger(state),
            clock=clock,
        )
        figures = _drive(desk, sla, day, monday, now, figures)
        helpdesk.close()
    return figures


def _events(day: list[SimTicket], monday: float) -> list[tuple[float, int, str]]:
    found = []
    for index, t in enumerate(day):
        found.append((t.asked, index, "ask"))
        if t.paused:
            found.append((t.asked + 300, index, "pause"))
        elif t.answered is not None and t.answered <= t.breach:
            found.append((t.answered, index, "answer"))
        else:
            found.append((t.breach, index, "breach"))
            if t.answered is not None:
                found.append((t.answered, index, "answer"))
    return sorted(e for e in found if e[0] < monday + 86400)


def _drive(
    desk: Any,
    sla: SlaPass,
    day: list[SimTicket],
    monday: float,
    now: list[float],
    figures: DayFigures,
) -> DayFigures:
    events = _events(day, monday)
    tagged_at: dict[int, float] = {}
    pages: dict[str, int] = {}
    for tick in range(1, 24 * 6 + 1):
        moment = monday + tick * TICK
        while events and events[0][0] <= moment:
            at, index, what = events.pop(0)
            now[0] = at
            t = day[index]
            if what == "ask":
                tags = ("ai_processed",) if t.persons else ("ai_processed", "ai_priority_normal")
                priority = "high" if t.persons else "normal"
                (t.desk_id,) = desk.create(
                    [NewTicket(f"Question {index}", "Please help.", tags=tags, priority=priority)]
                )
                desk.sla_clock(t.desk_id, metric="first_reply", breach_at=t.breach)
            else:
                stage = {"pause": "paused", "answer": "achieved", "breach": "breached"}[what]
                desk.sla_clock(t.desk_id, metric="first_reply", breach_at=t.breach, stage=stage)
        now[0] = moment
        end = RunEnd(f"sim-{tick}", RunSummary(run_id=f"sim-{tick}"), _Log())
        sla.plan(end)
        sla.write(end)
        figures.cautious_runs += "sla" in end.summary.cautions
        read = sla.read_
        if read is not None:
            figures.requests_most = max(figures.requests_most, read.requests)
            fit = sla.plan_.calibration if sla.plan_ else None
            if fit is not None and fit.day == SIMULATED_DAY:
                figures.fit = fit
            _forecasts(read, moment, day, figures, fit)
        by_desk = {t.desk_id: t for t in day if t.desk_id is not None}
        for item in sla.plan_.at_risk if sla.plan_ else []:
            t = by_desk[item.clock.ticket_id]
            tagged_at.setdefault(item.clock.ticket_id, moment)
            if (t.paused and t.asked + 300 <= moment) or (
                t.answered is not None and t.answered <= moment
            ):
                figures.tagged_paused_or_answered += 1
            if not SCHEDULE.is_open(moment):
                figures.tagged_outside_hours += 1
        for ticket_id in sla.escalations():
            pages[str(ticket_id)] = pages.get(str(ticket_id), 0) + 1
    return _tally(desk, day, tagged_at, pages, monday, figures)


def _forecasts(
    read: Any,
    moment: float,
    day: list[SimTicket],
    figures: DayFigures,
    fit: BreachCalibration | None,
) -> None:
    running = [c for c in read.clocks if c.stage in ("active", "breached")]
    pace = paces(read.history, read.schedule, business=True, now=moment)
    by_desk = {t.desk_id: t for t in day if t.desk_id is not None}
    for clock in read.clocks:
        t = by_desk.get(clock.ticket_id)
        if t is None or clock.stage != "active" or (clock.breach_at or 0) <= moment:
            continue
        forecast = predict(
            clock,
            now=moment,
            schedule=read.schedule,
            pace=pace,
            queue_ahead=queue_ahead(clock, running),
            agents=None,
        )
        if forecast.probability is None or not forecast.open_now or forecast.left > HORIZON:
            continue
        breached = t.answered is None or t.answered > t.breach
        figures.forecasts.append((forecast.probability, breached))
        if fit is not None and not fit.cautious:
            figures.calibrated.append((fit.probability(forecast.probability), breached))


def _tally(
    desk: Any,
    day: list[SimTicket],
    tagged_at: dict[int, float],
    pages: dict[str, int],
    monday: float,
    figures: DayFigures,
) -> DayFigures:
    for t in day:
        if t.desk_id is None or t.paused:
            continue
        figures.tickets += 1
        breached = t.breach < monday + 86400 and (t.answered is None or t.answered > t.breach)
        tag = tagged_at.get(t.desk_id)
        figures.breaches += breached
        figures.warned_30 += breached and tag is not None and tag <= t.breach - 1800
        figures.tagged += tag is not None
        figures.tagged_breached += tag is not None and breached
        if t.persons and desk.snapshot(t.desk_id).priority != "high":
            figures.persons_changed += 1
    figures.most_pages = max(pages.values(), default=0)
    return figures


def sla_day(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="figures.py sla_day",
        description=SLA_DAY_DOC,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--histories", default="14", help="days of history, e.g. 14,1")
    args = parser.parse_args(argv)
    print(
        "| helpdesk | history | tickets | breaches | tagged >= 30 min before | tagged "
        "| of them breached | paused/answered tagged | outside hours "
        "| persons' priorities changed | most pages a target | most requests a run "
        "| calibration error: score | calibrated |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    fits: list[tuple[str, int, BreachCalibration | None]] = []
    for kind in args.kinds.split(","):
        for days in (int(d) for d in args.histories.split(",")):
            f = run_day(kind, days, args.seed)
            ece, calibrated = f.ece(), f.ece(f.calibrated)
            recall = f"{f.warned_30} ({f.warned_30 / f.breaches:.0%})" if f.breaches else "0"
            share = f"{f.tagged_breached} ({f.tagged_breached / f.tagged:.0%})" if f.tagged else "0"
            print(
                f"| {kind} | {days} d | {f.tickets} | {f.breaches} | {recall} | {f.tagged} "
                f"| {share} | {f.tagged_paused_or_answered} | {f.tagged_outside_hours} "
                f"| {f.persons_changed} | {f.most_pages} | {f.requests_most} | "
                f"{'-' if ece is None else f'{ece:.3f} ({len(f.forecasts)} forecasts)'} | "
                f"{'cautious' if calibrated is None else f'{calibrated:.3f}'} |"
            )
            fits.append((kind, days, f.fit))
    _print_fits(fits)


def _print_fits(fits: list[tuple[str, int, BreachCalibration | None]]) -> None:
    """The day's fit each pass used: its replays and the history's held-out later day."""
    print()
    print(
        "| helpdesk | history | closed clocks | replays fitted | held-out day (replays) "
        "| log loss: score | calibrated | calibration error: score | calibrated | used |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for kind, days, fit in fits:
        if fit is None:
            print(f"| {kind} | {days} d | - | - | - | - | - | - | - | - |")
            continue

        def num(value: float | None) -> str:
            return "-" if value is None else f"{value:.3f}"

        print(
            f"| {kind} | {days} d | {fit.clocks} | {fit.fitted} "
            f"| {fit.held_out_day or '-'} ({fit.held_out}) | {num(fit.loss_before)} "
            f"| {num(fit.loss_after)} | {num(fit.error_before)} | {num(fit.error_after)} "
            f"| {'cautious' if fit.cautious else fit.used} |"
        )


# sla_requests ------------------------------------------------------------------------------------

SLA_REQUESTS_DOC = """\
What one run's SLA read costs on an account with 5,000 open tickets, each with a first-reply
target running, on each sandbox: the requests the sandbox counted, whether the read was
complete within the pass's budget (60 requests), and the seconds it took.

    python -m scripts.figures sla_requests [--open 5000] [--kinds zendesk,freshdesk,servicenow]
"""


def sla_requests(argv: list[str]) -> None:
    import time

    from ticket_processor.sla.run_pass import MAX_REQUESTS

    parser = argparse.ArgumentParser(
        prog="figures.py sla_requests",
        description=SLA_REQUESTS_DOC,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--open", type=int, default=5000)
    parser.add_argument("--kinds", default=",".join(KINDS))
    args = parser.parse_args(argv)
    print("| helpdesk | open tickets | requests counted | complete | seconds |")
    print("|---|---|---|---|---|")
    for kind in args.kinds.split(","):
        with serve_desk(KINDS[kind], unlimited=True) as desk:
            assert isinstance(desk, SlaDesk)
            now = time.time()
            desk.sla_schedule("UTC", [(d, 0, 24 * 60) for d in range(7)])
            desk.sla_policy({"first_reply": {"normal": 60}})
            tickets = [
                NewTicket(f"Question {n}", "Please help.", tags=("ai_processed",))
                for n in range(args.open)
            ]
            ids: list[int] = []
            for start in range(0, len(tickets), 500):
                ids += desk.create(tickets[start : start + 500])
            for n, ticket_id in enumerate(ids):
                desk.sla_clock(ticket_id, metric="first_reply", breach_at=now + 600 + n)
            helpdesk = connect(load_settings(desk.env(), env_file=None))
            reader = KINDS[kind].sla_reader()
            assert reader is not None
            desk.reset_stats()
            started = time.perf_counter()
            read = reader(
                helpdesk, now=now, history_since=now - 14 * 86400, max_requests=MAX_REQUESTS
            )
            took = time.perf_counter() - started
            counted = sum(v for k, v in desk.stats()["requests"].items() if k.startswith("GET "))
            helpdesk.close()
            print(f"| {kind} | {args.open} | {counted} | {read.complete} | {took:.1f} |")
