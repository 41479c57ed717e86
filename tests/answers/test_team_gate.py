"""The team's gate: the promotion rule, the cross-validated figures, and the state file runs
read it from (a damaged one leaves the shipped gate in use)."""

from __future__ import annotations

import random
from pathlib import Path

import orjson

from ticket_processor.answers.gate import FEATURES
from ticket_processor.answers.team_gate import (
    TEAM_GATE_FILE,
    Figures,
    HistoryRow,
    cross_validated,
    fit_team_gate,
    gate_in_use,
    judge,
    save_team_gate,
)


def test_a_gate_below_the_bar_where_the_one_in_use_meets_it_is_worse() -> None:
    current = Figures(0.9, sent=10, sent_right=10, answerable=100)
    sloppy = Figures(0.9, sent=100, sent_right=80, answerable=100)
    verdict = judge(sloppy, current)
    assert verdict.worse is not None
    assert "below 0.95" in verdict.worse


def test_a_gate_answering_fewer_right_at_no_better_precision_is_worse() -> None:
    current = Figures(0.9, sent=40, sent_right=40, answerable=100)
    timid = Figures(0.9, sent=10, sent_right=10, answerable=100)
    verdict = judge(timid, current)
    assert verdict.worse is not None
    assert "fewer" in verdict.worse
    assert judge(current, timid).worse is None
    assert judge(Figures(0.9, 60, 59, 100), current).worse is None  # more right, above the bar


def _rows(n: int, seed: int) -> list[HistoryRow]:
    """Rows whose first feature tells right from wrong, with some noise."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        right = rng.random() < 0.6
        base = 0.8 if right else 0.3
        features = tuple(
            base + rng.uniform(-0.15, 0.15) if i == 0 else rng.random()
            for i in range(len(FEATURES))
        )
        rows.append(HistoryRow(features, right, True))
    return rows


def test_cross_validated_figures_come_from_gates_fitted_without_each_fold() -> None:
    rows = _rows(200, seed=3)
    figures = cross_validated(rows, threshold=0.9)
    assert figures.answerable == 200
    assert figures.precision is not None
    assert figures.precision >= 0.95
    assert figures.coverage is not None
    assert figures.coverage > 0.3


def test_runs_read_the_team_gate_from_the_state_directory(tmp_path: Path) -> None:
    assert gate_in_use(tmp_path).origin == "shipped"
    rows = _rows(100, seed=4)
    gate = fit_team_gate(rows)
    cv = cross_validated(rows, 0.9)
    save_team_gate(tmp_path, gate, fitted_at=1_700_000_000.0, tickets=100, cv=cv, since=0)
    found = gate_in_use(tmp_path)
    assert found.origin == "team"
    assert found.tickets == 100
    assert found.gate is not None
    assert found.gate.as_json() == gate.as_json()
    assert "2023-11-14" in found.describe()
    assert "on 100 tickets" in found.describe()
    (tmp_path / TEAM_GATE_FILE).write_text("{damaged", "utf-8")
    assert gate_in_use(tmp_path).origin == "shipped"


def test_a_team_gate_over_other_features_is_left_unused_and_said_so(tmp_path: Path) -> None:
    """A team's gate fitted before the gate's features changed cannot be read against this
    release's features: runs use the shipped gate, and status and health say to fit again."""
    from ticket_processor.ops.health import answers_gate_check

    rows = _rows(100, seed=5)
    save_team_gate(
        tmp_path,
        fit_team_gate(rows),
        fitted_at=1_700_000_000.0,
        tickets=100,
        cv=cross_validated(rows, 0.9),
        since=0,
    )
    path = tmp_path / TEAM_GATE_FILE
    record = orjson.loads(path.read_bytes())
    record["gate"]["features"] = ["cosine_z", *record["gate"]["features"][1:]]
    path.write_bytes(orjson.dumps(record))
    found = gate_in_use(tmp_path)
    assert found.origin == "shipped"
    assert found.outdated
    assert found.gate is not None
    assert "calibrate --from-helpdesk` again" in found.describe()
    check = answers_gate_check(tmp_path)
    assert check.status == "degraded"
    assert "other features" in check.reason
