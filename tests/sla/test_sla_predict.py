"""The SLA pass's pure parts on plain data: business time on a schedule (its time zone, its
weekend, a holiday), the breach probability from a group's first replies (slow, fast, a queue
ahead, nobody at work, no history), the priority step, the decision over one read, and the note
line's tables in every language."""

from __future__ import annotations

import string
import tomllib
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import cast

import pytest
from support.events import Events

from ticket_processor.helpdesks.sla import Clock, FirstReply, Schedule, SlaRead
from ticket_processor.models import Helpdesk
from ticket_processor.passes.protocol import RunEnd
from ticket_processor.passes.types import RunSummary
from ticket_processor.sla.book import SlaBook
from ticket_processor.sla.decide import decide, priority_step
from ticket_processor.sla.predict import MIN_HISTORY, Forecast, paces, predict, queue_ahead
from ticket_processor.sla.run_pass import SlaPass

# Monday 2026-11-30 10:00 in Berlin (09:00 UTC).
MONDAY_TEN = datetime(2026, 11, 30, 9, 0, tzinfo=UTC).timestamp()
NINE_TO_FIVE = Schedule("Europe/Berlin", tuple((d, 9 * 60, 17 * 60) for d in range(5)))


def test_business_time_counts_open_hours_in_the_schedules_zone() -> None:
    friday_four = datetime(2026, 12, 4, 15, 0, tzinfo=UTC).timestamp()  # 16:00 Berlin
    monday_ten = datetime(2026, 12, 7, 9, 0, tzinfo=UTC).timestamp()
    # Friday 16-17 and Monday 9-10: two open hours over the weekend.
    assert NINE_TO_FIVE.business_seconds(friday_four, monday_ten) == 2 * 3600
    assert NINE_TO_FIVE.is_open(MONDAY_TEN)
    saturday = datetime(2026, 12, 5, 10, 0, tzinfo=UTC).timestamp()
    assert not NINE_TO_FIVE.is_open(saturday)


def test_a_holiday_is_closed() -> None:
    holiday = Schedule(NINE_TO_FIVE.time_zone, NINE_TO_FIVE.weekly, frozenset({date(2026, 11, 30)}))
    assert not holiday.is_open(MONDAY_TEN)
    assert holiday.business_seconds(MONDAY_TEN, MONDAY_TEN + 3600) == 0


def _history(minutes: float, count: int = 40) -> list[FirstReply]:
    start = MONDAY_TEN - 30 * 86400
    return [FirstReply(7, start + n * 3600, start + n * 3600 + minutes * 60) for n in range(count)]


def _clock(due_in: float, **changes: object) -> Clock:
    fields: dict[str, object] = {
        "ticket_id": 1,
        "metric": "first_reply",
        "stage": "active",
        "breach_at": MONDAY_TEN + due_in,
        "group_id": 7,
        "started_at": MONDAY_TEN - 1800,
    }
    fields.update(changes)
    return Clock(**fields)  # type: ignore[arg-type]


def _forecast(
    history: list[FirstReply], clock: Clock, queue: int = 0, agents: int | None = None
) -> Forecast:
    pace = paces(history, None, business=False, now=MONDAY_TEN)
    return predict(
        clock, now=MONDAY_TEN, schedule=None, pace=pace, queue_ahead=queue, agents=agents
    )


def test_a_slow_group_makes_a_near_deadline_likely_to_be_missed() -> None:
    slow = _forecast(_history(120), _clock(1800))  # waited 30 min, 30 left; answers take 2 h
    fast = _forecast(_history(10), _clock(1800))  # ... answers take 10 min: already late is rare
    assert slow.probability is not None
    assert fast.probability is not None
    assert slow.probability > 0.75
    assert fast.probability < slow.probability


def test_a_queue_ahead_and_nobody_at_work_raise_the_likelihood() -> None:
    mixed = [*_history(40, 20), *_history(80, 20)]
    alone = _forecast(mixed, _clock(1800))
    queued = _forecast(mixed, _clock(1800), queue=5)
    assert alone.probability is not None
    assert queued.probability is not None
    assert queued.probability > alone.probability
    assert _forecast(mixed, _clock(1800), agents=0).probability == 0.95


def test_without_history_the_forecast_is_cautious() -> None:
    forecast = _forecast(_history(120, MIN_HISTORY - 1), _clock(1800))
    assert forecast.cautious
    assert forecast.history == MIN_HISTORY - 1


def test_the_queue_ahead_is_the_groups_earlier_deadlines() -> None:
    mine = _clock(1800)
    others = [
        _clock(600, ticket_id=2),
        _clock(900, ticket_id=3, group_id=8),  # another group
        _clock(3600, ticket_id=4),  # later
        _clock(600, ticket_id=5, metric="resolution"),  # another target
    ]
    assert queue_ahead(mine, [mine, *others]) == 1


@pytest.mark.parametrize(
    ("priority", "tags", "targets", "expected"),
    [
        ("normal", ("ai_priority_normal",), {"normal": 3600, "high": 3600}, "high"),
        ("normal", (), {"normal": 3600, "high": 3600}, None),  # a person's priority
        ("normal", ("ai_priority_normal",), {"normal": 3600, "high": 1800}, None),  # shorter
        ("normal", ("ai_priority_normal",), {}, None),  # the helpdesk says nothing
        ("urgent", ("ai_priority_urgent",), {"urgent": 600}, None),  # nowhere to go
    ],
)
def test_a_priority_steps_up_only_where_ticketbot_set_it_and_the_target_holds(
    priority: str, tags: tuple[str, ...], targets: dict[str, float], expected: str | None
) -> None:
    clock = _clock(1800, priority=priority, tags=tags, targets=targets)
    assert priority_step(clock, "ai_") == expected


def test_decide_leaves_paused_and_achieved_alone_and_records_a_breach_once(
    tmp_path: Path,
) -> None:
    read = SlaRead(
        clocks=[
            _clock(1800, ticket_id=1),
            _clock(1800, ticket_id=2, stage="paused"),
            _clock(1800, ticket_id=3, stage="achieved"),
            _clock(-60, ticket_id=4),
        ],
        history=_history(120),
        schedule=None,
    )
    book = SlaBook.open(tmp_path)
    plan = decide(read, book, now=MONDAY_TEN, horizon=3600, prefix="ai_", language="en")
    assert [item.clock.ticket_id for item in plan.at_risk] == [1]
    assert [clock.ticket_id for _, clock in plan.breached] == [4]
    assert plan.left_alone == 2
    book.breached[plan.breached[0][0]] = {"at": MONDAY_TEN}
    book.warned[plan.at_risk[0].key] = {"at": MONDAY_TEN}
    again = decide(read, book, now=MONDAY_TEN, horizon=3600, prefix="ai_", language="en")
    assert again.at_risk == []
    assert again.breached == []


def test_a_business_hours_target_is_not_tagged_at_night(tmp_path: Path) -> None:
    night = datetime(2026, 11, 30, 22, 0, tzinfo=UTC).timestamp()
    clock = _clock(0, breach_at=night + 1800, business_hours=True, started_at=night - 600)
    read = SlaRead([clock], _history(120), NINE_TO_FIVE)
    plan = decide(read, SlaBook.open(tmp_path), now=night, horizon=3600, prefix="ai_",
                  language="en")  # fmt: skip
    assert plan.at_risk == []


def test_every_language_has_the_note_lines_keys_and_placeholders() -> None:
    folder = resources.files("ticket_processor.sla").joinpath("words")
    tables = {
        item.name: tomllib.loads(item.read_text("utf-8"))
        for item in folder.iterdir()
        if item.name.endswith(".toml")
    }
    english = tables["en.toml"]
    assert set(tables) >= {"en.toml", "de.toml", "fr.toml", "es.toml", "nl.toml", "pt.toml"}

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for name, table in tables.items():
        assert set(table) == set(english), name
        for key, text in table.items():
            assert fields(text) == fields(english[key]), (name, key)


def test_a_run_out_of_time_does_not_read_the_service_levels(tmp_path: Path) -> None:
    read: list[object] = []

    def reader(*args: object, **kwargs: object) -> SlaRead:
        read.append(args)
        raise AssertionError("read after the run's time was up")

    sla = SlaPass(
        cast(Helpdesk, object()), reader, tmp_path, 3600, "ai_", "en", should_stop=lambda: True
    )
    end = RunEnd("run", RunSummary(run_id="run"), Events())
    sla.plan(end)
    assert read == []
    assert "time was up" in end.summary.warnings[0]
