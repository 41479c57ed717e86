"""The answers' gate end to end, on each sandbox, without an LLM: an answers file choosing the
gate (``chooser = "gate"``) makes one send-mode run read both rankings (the passage vectors the
run's sync stored beside the keywords) and answer from the gate's probability. The help centre
and tickets are the project's own set; the gate was fitted on it among others, so this checks
the wiring and the safety (no wrong article, nothing where a person is needed), not a figure:
the figures are read leave-one-help-centre-out by ``python -m scripts.figures answers_figures``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from support.answers_desk import create_tickets, linked_articles, outbox, publish_help_centre, rows
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import Desk


@pytest.mark.desk(configure=True)
def test_the_gate_answers_by_meaning_and_never_where_a_person_is_needed(
    desk: Desk, tmp_path: Path
) -> None:
    articles = publish_help_centre(desk)
    cases = rows("answers_tickets.jsonl")
    ids = create_tickets(desk, cases)
    policy = tmp_path / "answers.toml"
    policy.write_text('chooser = "gate"\n', "utf-8")
    result = invoke(
        "run",
        "--engine",
        "rules",
        env={"TICKETBOT_ANSWER_MODE": "send", "TICKETBOT_ANSWERS": str(policy)},
    )
    assert result.exit_code == 0, result.output

    mails = outbox(desk)
    assert all(n == 1 for n in Counter(m["ticket_id"] for m in mails).values())
    right = wrong = 0
    for mail in mails:
        case = cases[ids.index(mail["ticket_id"])]
        assert case["kind"] == "answerable", case
        linked = linked_articles(mail["body"])
        right += bool(linked & articles[case["answer_article"]])
        wrong += not linked & articles[case["answer_article"]]
    assert wrong == 0
    # The run's line says where its answers went.
    assert f"answers_sent={len(mails)}" in result.output
    assert "answers_drafted=0" in result.output
    assert right >= 5, right
    planned = [e for e in events(tmp_path / "logs") if e.get("event") == "answer_planned"]
    assert planned
    assert all(0.0 <= e["probability"] <= 1.0 for e in planned)
