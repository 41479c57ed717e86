"""The gate learned from the team's own history, end to end on each sandbox: 300 solved
tickets whose agent linked the help centre's article (and 40 answered without a link) imported
dated; ``answers calibrate --from-helpdesk`` fits the gate on them; a send-mode run on new
tickets to the same help centre then answers more of them than the shipped gate did on the same
tickets, with at most one wrong article in 30 replies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.answers_desk import linked_articles, outbox, publish_help_centre
from support.cli import invoke
from support.history_desk import import_history, new_tickets

from ticket_processor.sandbox.desks import Desk


def _answered(
    desk: Desk, ids: list[int], keys: list[str], articles: dict[str, set[int]]
) -> tuple[int, int]:
    right = wrong = 0
    for mail in outbox(desk):
        if mail["ticket_id"] not in ids:
            continue
        key = keys[ids.index(mail["ticket_id"])]
        linked = linked_articles(mail["body"])
        right += bool(linked & articles[key])
        wrong += not linked & articles[key]
    return right, wrong


@pytest.mark.desk(configure=True, unlimited=True)
def test_the_gate_learned_from_history_answers_more_and_never_wrongly(
    desk: Desk, tmp_path: Path
) -> None:
    articles = publish_help_centre(desk)
    import_history(desk, articles, linked=300, unlinked=40, seed=1)
    policy = tmp_path / "answers.toml"
    policy.write_text('chooser = "gate"\n', "utf-8")
    env = {"TICKETBOT_ANSWER_MODE": "send", "TICKETBOT_ANSWERS": str(policy)}
    fresh = new_tickets(40, seed=7)
    keys = [key for _, key in fresh]

    before_ids = desk.create([t for t, _ in fresh])
    result = invoke("run", "--engine", "rules", env=env)
    assert result.exit_code == 0, result.output
    before, wrong_before = _answered(desk, before_ids, keys, articles)

    result = invoke("answers", "calibrate", "--from-helpdesk", "--since", "90d", env=env)
    assert result.exit_code == 0, result.output
    assert "340 solved tickets read: 300 linked an article" in result.output, result.output
    assert "40 answered without one" in result.output, result.output
    status = invoke("answers", "status", env=env)
    assert "the team's gate" in status.output, status.output
    assert "on 340 tickets" in status.output, status.output
    health = invoke("health", "--json", env=env)
    gate = json.loads(health.output)
    told = next(c["reason"] for c in gate["checks"] if c["name"] == "answers gate")
    assert "the team's gate" in told, told
    assert "on 340 tickets" in told, told

    after_ids = desk.create([t for t, _ in fresh])  # the same tickets again, new
    result = invoke("run", "--engine", "rules", env=env)
    assert result.exit_code == 0, result.output
    after, wrong_after = _answered(desk, after_ids, keys, articles)
    # Precise first, as the project's bar reads it: at most one wrong article in 30 replies.
    # With the triage's confidence no longer asked, the team's gate sends most of the 40.
    assert 30 * wrong_before <= before + wrong_before, (before, wrong_before)
    assert 30 * wrong_after <= after + wrong_after, (after, wrong_after)
    assert after > before, (before, after)
