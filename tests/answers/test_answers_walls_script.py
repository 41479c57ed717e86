"""``python -m scripts.figures answers_walls`` and ``python -m scripts.figures answers_signals``: a
held-out help centre is never shown ticket by ticket (the lead scores those by aggregates only), the
aggregates count what the diagnosis says, and a ticket's margin is read against its centre's own."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from support.e2e import script_module

walls = script_module("figures_answer_walls")
signals = script_module("figures_answer_signals")


def _row(
    refusal: str,
    *,
    gate: str = "below_threshold",
    language: str = "en",
    place: tuple[int, int, int] = (1, 1, 1),
    **over: Any,
) -> dict[str, Any]:
    return {
        "language": language,
        "category": "how_to",
        "keyword_top": [],
        "place keyword/dense/fused": list(place),
        "refusal": {"calibration": refusal, "gate": gate},
    } | over


@pytest.mark.parametrize("centre", ["heldout3", "heldout5", "heldout6"])
def test_a_held_out_centre_is_refused_ticket_by_ticket(
    centre: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_: object) -> None:
        raise AssertionError(f"{centre} was read")

    monkeypatch.setattr(walls, "walls", never)  # a broken refusal must not read the centre
    with pytest.raises(SystemExit, match="aggregates only"):
        walls.answers_walls(["--centre", centre])


def test_an_unknown_centre_is_refused_even_counted() -> None:
    with pytest.raises(SystemExit, match="only the dev centres"):
        walls.answers_walls(["--centre", "nosuch", "--counts"])


def test_the_aggregates_count_the_walls() -> None:
    tickets = [
        _row("no_article", language="fr"),
        # the right article first by keywords, three words shared, under the share cut
        _row("no_article", keyword_top=[(True, 0.03, 3)]),
        _row("no_article", keyword_top=[(False, 0.03, 3)], place=(2, 3, 4)),
        _row("below_threshold"),
        _row("below_threshold", place=(2, 2, 2)),
        _row("triage_unsure", gate="triage_unsure", category="account"),
        _row("sent right", gate="sent right"),
    ]
    found = walls.aggregates(tickets)
    assert found == {
        "tickets": 7,
        "fused first article right": 5,
        "no_article, not in English": 1,
        "no_article, right article first by keywords under the share cut": 1,
        "below_threshold, right article first": 1,
        "gate below_threshold, right article first": 3,
        # the three below the gate's threshold with the right article first, and the one sent
        "past the triage and the guards, right article first": 4,
        "triage_unsure, top category how_to": 0,
    }


def test_a_margin_is_read_as_a_percentile_of_the_centres_own() -> None:
    own = np.sort(np.asarray([-1.0, 0.0, 0.5, 1.0]))
    assert signals._percentile(0.7, own) == 0.75
    assert signals._percentile(-2.0, own) == 0.0
    assert signals._percentile(0.7, np.asarray([])) == 0.5


def test_the_ceiling_is_the_best_threshold_under_the_bars_limits() -> None:
    def past(p: float, kind: str = "answerable", place: int = 1) -> dict[str, Any]:
        return _row("below_threshold", kind=kind, gate_p=p, place=(place, place, place))

    tickets = [
        past(0.95),
        past(0.9, kind="person"),  # the first reply where none belongs: the limit is above it
        past(0.85),
        past(0.8, place=2),  # a wrong article: one is allowed
        past(0.7),
        past(0.6, place=3),  # the second wrong article
        past(0.99, kind="assigned"),  # a run leaves an assigned ticket alone
        _row("triage_unsure", gate="triage_unsure", kind="answerable", gate_p=0.99),
        _row("own_case", gate="own_case", kind="person", gate_p=0.99),
    ]
    found = walls.ceiling(tickets)
    assert found["past the triage and the guards"] == {"right": 3, "unwanted": 1, "wrong": 2}
    assert found["best threshold for this centre alone (oracle)"] == {
        "threshold": 0.95,
        "right": 1,
        "wrong": 0,
        "unwanted": 0,
    }
    assert found["the same with no ticket needing a person past the guards"] == {
        "threshold": 0.7,
        "right": 3,
        "wrong": 1,
        "unwanted": 0,
    }
    assert found["sent at the gate probability (right, wrong article, unwanted)"]["0.8"] == {
        "right": 2,
        "unwanted": 1,
        "wrong": 1,
    }


def test_the_waits_say_why_the_keyword_lookup_gave_nothing() -> None:
    def row(refusal: str, top: list[tuple[bool, float, int]], p: float, first: int) -> Any:
        found = _row(refusal, kind="answerable", keyword_top=top, gate_p=p, place=(first,) * 3)
        found["refusal"]["default"] = refusal
        return found

    tickets = [
        row("no_article", [], 0.41, 1),
        row("no_article", [(True, 0.02, 3)], 0.66, 1),
        row("no_article", [(False, 0.05, 1)], 0.3, 2),
        row("below_threshold", [(True, 0.09, 3)], 0.93, 1),
        row("sent right", [(True, 0.2, 4)], 0.97, 1),
    ]
    found = walls.waits(tickets)
    assert found["no_article, why the keyword lookup suggested nothing"] == {
        "no keyword hit": 1,
        "best keyword share under 0.035": 1,
        "fewer than 2 words shared": 1,
    }
    assert found["no_article, the gate's article right"] == 2
    assert found["no_article, the gate's probability of the right ones"] == [0.41, 0.66]
    assert found["below_threshold, the gate's probability of the right ones"] == [0.93, 0.93]
    assert (
        sum(found["held back with the right article first, by the gate's probability"].values())
        == 3
    )
