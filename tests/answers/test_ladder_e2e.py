"""The ``auto`` ladder end to end on each sandbox: a new category drafts; once agents used its
drafts (they linked the same article) ``answers promote`` moves it to send; re-opened answers
move it back to draft by themselves, with one alert."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from support.answers_desk import article_url, create_tickets, outbox, publish_help_centre, rows
from support.cli import invoke
from support.clock import FakeClock
from support.e2e import events
from support.webhook import Receiver

from ticket_processor.answers.vocab import DRAFT_OPENS
from ticket_processor.sandbox.desks import Desk

POLICY = """
[ladder]
drafts = 2
target = 0.5
reopen_limit = 0.3
[categories.how_to]
mode = "auto"
"""


def ours(desk: Desk) -> list[dict[str, Any]]:
    """The replies ticketbot mailed (the API user, id 1 on both sandboxes), not the agents'."""
    return [m for m in outbox(desk) if m["author_id"] == 1]


def run() -> None:
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output


@pytest.mark.desk(clock="desk_clock", configure=True)
@pytest.mark.desk_clock(back=600)
def test_auto_drafts_is_promoted_and_demoted_with_one_alert(
    desk: Desk,
    desk_clock: FakeClock,
    tmp_path: Path,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "answers.toml").write_text(POLICY, "utf-8")
    monkeypatch.setenv("TICKETBOT_ANSWERS", str(tmp_path / "answers.toml"))
    monkeypatch.setenv("TICKETBOT_ALERT_WEBHOOK", receiver.url)
    publish_help_centre(desk)
    answerable = [c for c in rows("answers_tickets.jsonl") if c["kind"] == "answerable"]
    # How-to questions the rules file under how_to, which the calibration answers.
    first, later = [answerable[3], answerable[9]], [answerable[5], answerable[11], answerable[20]]

    drafted = create_tickets(desk, first)
    run()
    assert ours(desk) == []  # a new auto category drafts
    for ticket_id in drafted:
        (note,) = [n for n in desk.snapshot(ticket_id).notes if DRAFT_OPENS in n]
        link = article_url(note)
        assert link is not None, note
        desk_clock.advance(1)
        desk.agent_replies(ticket_id, f"Hi, this should help: {link}")
    run()  # the drafts are judged against the agents' first public reply
    status = json.loads(invoke("answers", "status", "--json").stdout)
    how_to = next(r for r in status["categories"] if r["category"] == "how_to")
    assert (how_to["rung"], how_to["drafts_judged"], how_to["acceptance"]) == ("draft", 2, 1.0)
    promoted = invoke("answers", "promote", "how_to")
    assert promoted.exit_code == 0, promoted.output

    sent = create_tickets(desk, later)
    run()
    mails = ours(desk)
    assert sorted(m["ticket_id"] for m in mails) == sorted(sent)

    desk_clock.advance(5)
    for ticket_id in sent[:2]:
        desk.requester_says(ticket_id, "That did not help, I still cannot find it.")
    desk_clock.now = float(int(time.time()))  # the replies are over a minute old now
    run()
    assert ours(desk) == mails  # re-opened, never answered again
    status = json.loads(invoke("answers", "status", "--json").stdout)
    how_to = next(r for r in status["categories"] if r["category"] == "how_to")
    assert how_to["rung"] == "draft"
    assert how_to["reopened"] == 2
    alerts = [b for b in receiver.bodies if "moved back to draft" in b.get("text", "")]
    assert len(alerts) == 1, receiver.bodies
    demoted = [e for e in events(tmp_path / "logs") if e["event"] == "answer_category_demoted"]
    assert len(demoted) == 1

    # The desk numbers requesters per batch: the first three are customers answered within
    # the last day (the loop guard), the fourth a new one, whose ticket is drafted again.
    again = create_tickets(desk, [first[0]] * 4)
    run()
    assert ours(desk) == mails
    assert "ai_answer_drafted" in desk.snapshot(again[3]).tags
    refused = {
        e["ticket_id"]: e["reason"]
        for e in events(tmp_path / "logs")
        if e["event"] == "answer_refused"
    }
    assert [refused.get(i) for i in again[:3]] == ["loop_guard"] * 3
