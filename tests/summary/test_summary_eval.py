"""``ticketbot eval --summaries``: the labelled threads' file read, every summary scored on
its reference facts, a malformed line refused naming it."""

from __future__ import annotations

import json
from pathlib import Path

from support.cli import invoke

from ticket_processor.summary.score import parse_threads, score, states

THREADS = Path(__file__).parents[1] / "data" / "summary_threads.jsonl"


def test_a_fact_is_stated_when_every_word_of_one_alternative_is() -> None:
    assert states("Status: the refund never arrived.", ["bank never received", "refund arrived"])
    assert states("The 2FA code goes to the old phone.", ["two-factor|2fa"])
    assert not states("The refund is late.", ["refund arrived"])


def test_the_shipped_threads_are_scored_without_an_llm() -> None:
    ran = invoke("eval", "--summaries", str(THREADS), "--json")
    assert ran.exit_code == 0, ran.output
    result = json.loads(ran.output)
    assert result["threads"] == 20
    assert result["writer"] == "extractive"
    assert result["within_word_limit"] == 1.0
    assert result["longest_words"] <= 100
    assert 0.0 < result["problem_stated"] <= 1.0


def test_a_summary_that_misses_the_facts_scores_nothing() -> None:
    labelled = parse_threads(THREADS.read_text("utf-8").splitlines()[:2], "threads")
    missed = score(labelled, ["Problem: a ticket. [ticketbot 00000000]"] * 2)
    assert missed.problem == 0
    assert missed.state == 0


def test_a_malformed_line_is_refused_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "threads.jsonl"
    good = THREADS.read_text("utf-8").splitlines()[0]
    bad.write_text(good + "\n" + json.dumps({"messages": [{"from": "agent", "text": "x"}]}))
    ran = invoke("eval", "--summaries", str(bad))
    assert ran.exit_code == 2
    assert "line 2" in ran.output
