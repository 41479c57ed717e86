"""Which of a first day's incident's members are marked as its reports (``first_day.marked``),
on hand-made vectors: a member the fault head doubts and few of the group stand near is left
unmarked; one the head doubts among many of the outage's reports stays (an outage told in
questions); the LLM's view that it reports a fault settles the doubt; with a week, every member
is marked."""

from __future__ import annotations

import numpy as np

from ticket_processor.incidents.fault import FaultHead
from ticket_processor.incidents.first_day import marked
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.incidents.window import FAULT_VIEW, NO_VIEW, Row, Window

NOW = 1_800_000_000
POLICY = IncidentPolicy()
OUTAGE = 10  # the outage's reports: rows 0 to 9
LONELY, AMONG = OUTAGE, OUTAGE + 1  # a one-off complaint; a question-worded report of the outage


def _vector(*parts: tuple[int, float]) -> list[float]:
    vector = [0.0] * 512
    for dimension, value in parts:
        vector[dimension] = value
    return vector


def _window(lonely_view: int = NO_VIEW) -> Window:
    """The outage's reports along one direction, with a fault signal (dimension 3) the head
    is sure of; a one-off complaint elsewhere and a report among the outage's, both with a
    signal the head is unsure of."""
    vectors = [_vector((0, 0.9), (3, 0.4), (10 + i, 0.15)) for i in range(OUTAGE)]
    vectors.append(_vector((5, 0.9), (3, 0.1)))
    vectors.append(_vector((0, 0.9), (3, 0.05)))
    views = [NO_VIEW] * OUTAGE + [lonely_view, NO_VIEW]
    window = Window()
    window.add(
        [Row(i + 1, i + 1, NOW - 60 * i, "x", True, view) for i, view in enumerate(views)],
        np.asarray(vectors, np.float32),
    )
    return window


def _head() -> FaultHead:
    weights = np.zeros(512, np.float32)
    weights[3] = 10.0
    return FaultHead(weights, bias=-0.5)


def test_the_head_reads_the_three_kinds_of_member_as_meant() -> None:
    chance = _head().probability(_window().vectors)
    assert (chance[:OUTAGE] >= 0.9).all(), chance
    assert 0.5 <= chance[LONELY] < POLICY.first_day_fault, chance
    assert 0.5 <= chance[AMONG] < POLICY.first_day_fault, chance


def test_a_doubted_member_alone_in_the_group_is_not_marked_on_a_first_day() -> None:
    rows = list(range(OUTAGE + 2))
    kept = marked(_window(), rows, _head(), POLICY, short=True)
    assert kept == [r for r in rows if r != LONELY]


def test_with_a_week_or_the_llms_view_of_a_fault_every_member_is_marked() -> None:
    rows = list(range(OUTAGE + 2))
    assert marked(_window(), rows, _head(), POLICY, short=False) == rows
    assert marked(_window(FAULT_VIEW), rows, _head(), POLICY, short=True) == rows
    assert marked(_window(), rows, None, POLICY, short=True) == rows


def test_a_group_the_head_doubts_throughout_is_marked_whole() -> None:
    """Too few sure reports to stand beside: no outage's reports to tell the doubted from."""
    rows = [LONELY, AMONG, 0, 1]
    assert marked(_window(), rows, _head(), POLICY, short=True) == rows
