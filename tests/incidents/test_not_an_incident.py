"""The run's line on a group judged no incident names the first test of the rule it failed,
with the figures that test read."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ticket_processor.incidents.grouping import Reading
from ticket_processor.incidents.notes import not_an_incident
from ticket_processor.incidents.policy import IncidentPolicy

POLICY = IncidentPolicy()
# Passes every test of the rule: each case below fails one.
PASSING = Reading(
    reports=20,
    expected=0.5,
    kind_in_window=0,
    window_hours=1.0,
    busy=1.0,
    p_value=1e-9,
    incident=False,
    short_history=True,
    core=20,
    shared=20,
)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"reports": 4}, "a group of 4 reports judged no incident: fewer than the 5 reports"),
        ({"core": 3}, "only 3 of them tell one fault, under 5"),
        (
            {"expected": 13.5, "hour_others": 90, "p_value": 0.058},
            "13.5 expected of that kind (with less than a day of history, 0.16 of the hour's 90 "
            "other tickets), under 3 times that",
        ),
        (
            {"expected": 2.7, "busy": 8.7, "p_value": 1.1e-6, "short_history": False},
            "2.7 expected of that kind (the hour 8.7 times as busy), p 1.1e-06 above 1e-06",
        ),
        (
            {"shared": 2},
            "only 2 texts of their own share what broke beyond the product's everyday "
            "complaints (copies of one text count once)",
        ),
        ({"shared_expected": 3.8}, "the week brings what they share about as often (3.8 expected"),
    ],
)
def test_the_line_says_which_test_the_group_failed(change: dict[str, object], said: str) -> None:
    line = not_an_incident(replace(PASSING, **change), POLICY)  # type: ignore[arg-type]
    assert said in line, line
    assert "\n" not in line
