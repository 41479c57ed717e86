"""A group judged no incident is said once in the run's output, not by every scheduled run
while its hour lasts: a later run that judges the same group for the same reason says nothing
more (its ``incident_judged`` event is still logged each run). A dry run shows every line."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.e2e import events
from support.incident_scenario import LOADERS

from ticket_processor.incidents.book import IncidentBook

HOUR = 3600


def _said(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if "judged no incident:" in line]


@pytest.mark.desk(raw=True, configure=True)
@pytest.mark.slow
def test_a_second_run_does_not_repeat_a_group_judged_no_incident(
    desk_kind: str, desk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A streaming app's ordinary hour after a week of its tickets (the everyday "won't play"
    groups, judged no incident), then two real runs: before, the second run said each line again."""
    from scripts.incident_heldout import FIRST_DAY_SETS, first_day

    specs = first_day(
        "ordinary", now=int(time.time()), history=True, source=FIRST_DAY_SETS["stream"]
    )
    LOADERS[desk_kind](desk, specs)
    monkeypatch.setenv("TICKETBOT_INCIDENTS", "true")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    first = invoke("run", "--engine", "learned")
    assert first.exit_code == 0, first.output
    second = invoke("run", "--engine", "learned")
    assert second.exit_code == 0, second.output
    dry = invoke("run", "--engine", "learned", "--dry-run")
    assert dry.exit_code == 0, dry.output

    logged = events(Path(os.environ["TICKETBOT_LOG_DIR"]))
    judged: dict[str, int] = {}
    for event in logged:
        if event["event"] == "incident_judged" and not event["incident"]:
            judged[event["run_id"]] = judged.get(event["run_id"], 0) + 1
    assert len(judged) == 3, judged  # each of the three runs judged the groups no incident
    assert _said(first.output), first.output
    assert _said(second.output) == [], second.output
    assert len(_said(dry.output)) == len(_said(first.output)), dry.output


def test_the_same_group_is_said_again_for_another_reason_or_after_its_hour() -> None:
    book = IncidentBook()
    now = 1_800_000_000
    assert book.first_saying(11, [11, 12, 13, 14, 15], "rate", now, HOUR)
    # The same earliest report, or most of the same tickets: the same group.
    assert not book.first_saying(11, [11, 12, 13, 14, 15, 16], "rate", now + 600, HOUR)
    assert not book.first_saying(12, [12, 13, 14, 15, 16, 17], "rate", now + 1200, HOUR)
    assert book.first_saying(12, [12, 13, 14, 15, 16, 17], "p_value", now + 1800, HOUR)
    # Another group of the same hour is its own.
    assert book.first_saying(30, [30, 31, 32, 33, 34], "rate", now + 1800, HOUR)
    # Not judged for longer than the hour: said again.
    assert book.first_saying(30, [30, 31, 32, 33, 34], "rate", now + 1800 + HOUR + 1, HOUR)
    # The book keeps what it said across runs.
    kept = IncidentBook.from_bytes(book.to_bytes())
    assert not kept.first_saying(30, [30, 31, 32, 33, 34], "rate", now + 1800 + HOUR + 2, HOUR)
