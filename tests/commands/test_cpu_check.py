"""CI's CPU check (``scripts/cpu_check.py``) keeps a figure for each run it measures (the LLM,
the learned model, the rules, and a run that finds no ticket) and each start-up (``ticketbot
run``'s, ``--help``'s), and fails when any grew past its margin or has none kept. The
measuring itself takes minutes; here the comparison, on figures given."""

from __future__ import annotations

from typing import Any

import orjson
from support.e2e import script_module

cpu_check: Any = script_module("cpu_check")
KEPT = orjson.loads(cpu_check.BUDGET.read_bytes())


def test_a_figure_is_kept_for_every_run_and_start_up() -> None:
    assert set(cpu_check.WHAT) == {
        "llm_ratio",
        "learned_ratio",
        "rules_ratio",
        "empty_run_ratio",
        "startup_ratio",
        "help_ratio",
    }
    assert set(cpu_check.WHAT) <= set(KEPT)
    assert cpu_check.RUNS == ("llm", "learned", "rules")
    assert cpu_check.EMPTY_RUN == "empty_run"


def test_the_kept_figures_pass_and_growth_within_the_margin_passes() -> None:
    grown = {key: KEPT[key] * (1 + cpu_check.MARGIN * 0.9) for key in cpu_check.WHAT}
    for found in (dict(KEPT), grown):
        lines, failed = cpu_check.compare(found, KEPT)
        assert not failed, lines
        assert len(lines) == len(cpu_check.WHAT)


def test_any_one_figure_past_its_margin_fails() -> None:
    for key in cpu_check.WHAT:
        found = dict(KEPT)
        found[key] = KEPT[key] * (1 + cpu_check.MARGIN * 1.1)
        lines, failed = cpu_check.compare(found, KEPT)
        assert failed, key
        assert sum(line.endswith("too much") for line in lines) == 1


def test_a_figure_with_nothing_kept_fails() -> None:
    kept = {key: value for key, value in KEPT.items() if key != "rules_ratio"}
    lines, failed = cpu_check.compare(dict(KEPT), kept)
    assert failed
    assert any("none kept" in line for line in lines)
