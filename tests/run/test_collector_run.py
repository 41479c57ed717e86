"""The cyclic collector during a run, on both helpdesks: its young generation widened while the
tickets are worked through (a pass every ``RUN_YOUNG_THRESHOLD`` objects, not every 700), and
put back as it was once the run ends, so a process that goes on (serve, a test) collects as
before."""

from __future__ import annotations

import gc
from collections.abc import Callable

import pytest
from support.cli import invoke

from ticket_processor.common.collector import RUN_YOUNG_THRESHOLD, widened
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.server import RunningStandin

pytestmark = pytest.mark.desk(configure=True)


def test_a_run_collects_its_young_objects_in_wide_steps_and_puts_the_threshold_back(
    desk: Desk, make_standin: Callable[..., RunningStandin], monkeypatch: pytest.MonkeyPatch
) -> None:
    llm = make_standin()
    monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    desk.create([NewTicket(f"Refund #{n}", f"Where is my refund for order {n}?") for n in range(8)])
    before = gc.get_threshold()
    in_run: list[int] = []  # the young threshold at each pass while the run's parts are frozen

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and gc.get_freeze_count() > 0:
            in_run.append(gc.get_threshold()[0])

    gc.callbacks.append(seen)
    try:
        gc.collect()  # a pass inside the run then comes from the run's own objects
        ran = invoke("run", "--since", "2000-01-01T00:00:00Z")
    finally:
        gc.callbacks.remove(seen)
    assert ran.exit_code == 0, ran.output
    assert llm.stats()["requests"] == 8
    assert gc.get_threshold() == before
    assert all(threshold >= RUN_YOUNG_THRESHOLD for threshold in in_run), in_run


def test_widening_never_makes_the_collector_run_more_often() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(50_000, 7, 3)
        assert widened(20_000) == (50_000, 7, 3)
        assert gc.get_threshold() == (50_000, 7, 3)
        gc.set_threshold(700, 7, 3)
        assert widened(20_000) == (700, 7, 3)
        assert gc.get_threshold() == (20_000, 7, 3)
    finally:
        gc.set_threshold(*before)
