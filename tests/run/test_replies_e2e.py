"""Re-triage on customers' replies, end to end on each sandbox through the CLI.

After a first run, an angry reply gets exactly one new note and its sentiment tag becomes
negative (the neutral one removed); a "thanks, that solved it" gets ``ai_reply_thanks`` and no
note; an agent's public reply and an agent's internal note change nothing; tickets without
replies are untouched; a rerun changes nothing; ``revert --run`` puts back the replaced tags;
``TICKETBOT_RETRIAGE=false`` reads no reply; ``report`` counts the replies. The desk runs on a
clock a few minutes behind, moved past the minute Zendesk's event export leaves out.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support.cli import invoke
from support.clock import FakeClock
from support.e2e import events

from ticket_processor.sandbox.desks import Desk, NewTicket, Snapshot
from ticket_processor.sandbox.llm_standin.server import RunningStandin

TICKETS = [
    NewTicket("Export to CSV", "Hello, how do I export my contacts to a CSV file?"),  # 0 angry
    NewTicket("Export question", "How can I export the report as a spreadsheet?"),  # 1 thanks
    NewTicket("Export format", "Which export formats do you support?"),  # 2 agent reply
    NewTicket("Export columns", "Can I choose the columns of an export?"),  # 3 agent note
    NewTicket("Export size", "Is there a limit on the export size?"),  # 4 no reply
]
ANGRY = (
    "This is the third time I am asking and still no answer. This is unacceptable, "
    "I am cancelling my subscription today!"
)


def snapshots(desk: Desk, ids: list[int]) -> list[Snapshot]:
    return [desk.snapshot(i) for i in ids]


def run(engine: str = "rules", **env: str) -> None:
    result = invoke("run", "--engine", engine, env=env or None)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("engine", ["rules", "learned", "llm"])
@pytest.mark.desk(clock="desk_clock", configure=True)
def test_replies_are_re_triaged_once_and_only_the_customers(
    desk: Desk,
    desk_clock: FakeClock,
    tmp_path: Path,
    engine: str,
    make_standin: Callable[..., RunningStandin],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through each engine: the local ones judge the reply alone, an LLM (the stand-in, which
    answers with the keyword rules' analysis) reads it with the first message after it."""
    if engine == "llm":
        llm = make_standin()
        monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
        monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    ids = desk.create(TICKETS)
    run(engine)
    first = snapshots(desk, ids)
    assert all(len(s.notes) == 1 for s in first)
    assert "ai_sentiment_neutral" in first[0].tags

    desk_clock.advance(5)
    desk.requester_says(ids[0], ANGRY)
    desk.requester_says(ids[1], "Thanks, that solved it!")
    desk.agent_replies(ids[2], "We support CSV and XLSX.")
    desk.agent_notes(ids[3], "Columns: ask the product team.")
    desk_clock.now = float(int(time.time()))  # the replies are over a minute old now

    off = invoke("run", "--engine", engine, env={"TICKETBOT_RETRIAGE": "false"})
    assert off.exit_code == 0, off.output
    assert snapshots(desk, ids)[:2] == first[:2]  # switched off: no reply read

    run(engine)
    after = snapshots(desk, ids)
    angry = after[0]
    assert len(angry.notes) == 2, angry.notes
    assert "ai_sentiment_negative" in angry.tags
    assert "ai_sentiment_neutral" not in angry.tags
    assert "sentiment neutral → negative" in angry.notes[1]
    assert "Sentiment trend: neutral → negative" in angry.notes[1]
    thanked = after[1]
    assert "ai_reply_thanks" in thanked.tags
    assert thanked.notes == first[1].notes
    assert after[2:] == first[2:]  # agent reply, agent note, no reply: untouched

    run(engine)
    assert snapshots(desk, ids) == after  # a rerun changes nothing

    logged = events(tmp_path / "logs")
    replies = [e for e in logged if e["event"] == "reply_triaged"]
    assert sorted((e["ticket_id"], e["kind"]) for e in replies) == [
        (ids[0], "actionable"),
        (ids[1], "thanks"),
    ]
    finished = [e for e in logged if e["event"] == "run_finished"]
    assert finished[-2]["replies"] == 2
    assert finished[-2]["reply_kinds"] == {"actionable": 1, "thanks": 1}

    report = invoke("report", "--json", "--since", "7d")
    assert report.exit_code == 0, report.output
    [day] = json.loads(report.stdout)["replies"]
    assert (day["actionable"], day["thanks"], day["notes"], day["worse"]) == (1, 1, 1, 1)
    table = invoke("report", "--since", "7d")
    assert "Customers' replies re-triaged" in table.output

    reverted = invoke("revert", "--run", finished[-2]["run_id"])
    assert reverted.exit_code == 0, reverted.output
    back = desk.snapshot(ids[0])
    assert "ai_sentiment_neutral" in back.tags
    assert "ai_sentiment_negative" not in back.tags
    assert "ai_reply_thanks" not in desk.snapshot(ids[1]).tags


def reply_events(logs: Path) -> list[dict[str, object]]:
    return [e for e in events(logs) if e["event"] == "reply_triaged"]


def killed_run(logs: Path, root: Path, when: str) -> None:
    """``ticketbot run`` as a child process, SIGKILLed once ``when``: ``reading`` (a moment
    into its replies) or ``writing`` (after the first reply was settled)."""
    seen = len(reply_events(logs))
    out = (root / f"killed-{when}.out").open("wb")
    child = subprocess.Popen(
        [sys.executable, "-m", "ticket_processor", "run", "--engine", "rules"],
        env={**os.environ, "TICKETBOT_WORKERS": "2"},
        cwd=root,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and child.poll() is None:
            found = [e for e in events(logs) if e["event"] == "run_started"]
            if when == "writing" and len(reply_events(logs)) > seen:
                break
            if when == "reading" and found and len(found) >= 2:
                time.sleep(1.0)
                break
            time.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("when", ["reading", "writing"])
@pytest.mark.desk(clock="desk_clock", configure=True)
def test_a_run_killed_among_the_replies_leaves_one_note_per_reply(
    desk: Desk, desk_clock: FakeClock, tmp_path: Path, when: str
) -> None:
    ids = desk.create([NewTicket(f"Export {i}", TICKETS[0].body) for i in range(12)])
    run()
    desk_clock.advance(5)
    for ticket_id in ids:
        desk.requester_says(ticket_id, ANGRY)
    desk_clock.now = float(int(time.time()))
    desk.sandbox.config.apply({"latency_ms": 120})  # a slow helpdesk: the kill lands mid-way
    killed_run(tmp_path / "logs", tmp_path, when)
    desk.sandbox.config.apply({"latency_ms": 0})
    run()
    after = snapshots(desk, ids)
    for ticket_id, snap in zip(ids, after, strict=True):
        assert len(snap.notes) == 2, (ticket_id, snap.notes)
        assert "ai_sentiment_negative" in snap.tags, (ticket_id, snap.tags)
        assert "ai_sentiment_neutral" not in snap.tags, (ticket_id, snap.tags)
    run()
    assert snapshots(desk, ids) == after


@pytest.mark.desk(kinds=("zendesk",), configure=True)
def test_an_agents_token_says_replies_are_not_looked_for(desk: Desk) -> None:
    desk.sandbox.config.admin = False
    desk.create(TICKETS[:1])
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    said = " ".join(ran.output.split())
    assert "customers' replies are not looked for" in said
    assert "TICKETBOT_RETRIAGE=false" in said
    quiet = invoke("run", "--engine", "rules", env={"TICKETBOT_RETRIAGE": "false"})
    assert "customers' replies" not in quiet.output


@pytest.mark.desk(clock="desk_clock", configure=True)
def test_a_note_an_agent_pasted_does_not_silence_the_next_reply(
    desk: Desk, desk_clock: FakeClock, tmp_path: Path
) -> None:
    """ticketbot's note from another ticket, trailer and all, pasted by an agent: a note only
    ticketbot's own user writes says which replies were answered, so the next reply is judged."""
    pasted_on, other = desk.create(TICKETS[:2])
    run()
    desk_clock.advance(5)
    desk.requester_says(other, ANGRY)
    desk_clock.now = float(int(time.time()))
    run()
    note = desk.snapshot(other).notes[-1]
    assert "answers=" in note  # ticketbot's reply note, answering the other ticket's reply
    # Pasted as it would answer every later message of this ticket too.
    pasted = re.sub(r"answers=\d+", "answers=999999999", note)
    desk_clock.advance(5)
    desk.agent_notes(pasted_on, pasted)
    desk.requester_says(pasted_on, ANGRY)
    desk_clock.now = float(int(time.time())) + 70  # the reply is over a minute old now

    run()

    judged = [e["ticket_id"] for e in reply_events(tmp_path / "logs")]
    assert judged == [other, pasted_on]
    after = desk.snapshot(pasted_on)
    # The first triage's and the reply's, besides the pasted one (which a desk lists among
    # ticketbot's notes where it reads them by their header: Zendesk's, Freshdesk's).
    ours = [n for n in after.notes if "answers=999999999" not in n]
    assert len(ours) == 2, after.notes
    assert "the customer replied" in after.notes[-1]
    assert "ai_sentiment_negative" in after.tags


@pytest.mark.parametrize("reply", [ANGRY, "Thanks, that solved it!"])
@pytest.mark.desk(clock="desk_clock", configure=True)
def test_a_reverted_reply_is_not_judged_again_when_the_book_is_lost(
    desk: Desk, desk_clock: FakeClock, tmp_path: Path, reply: str
) -> None:
    """A reply's re-triage reverted, then ``replies.json`` lost: the next run reads the reply
    as judged from the ticket itself (the revert note names it), so no second note and no tag
    the revert took back (a thank-you leaves no note of its own to say it was judged)."""
    [ticket] = desk.create(TICKETS[:1])
    run()
    desk_clock.advance(5)
    desk.requester_says(ticket, reply)
    desk_clock.now = float(int(time.time()))
    run()
    retriaged = [e for e in events(tmp_path / "logs") if e["event"] == "run_finished"][-1]
    reverted = invoke("revert", "--run", retriaged["run_id"])
    assert reverted.exit_code == 0, reverted.output
    back = desk.snapshot(ticket)
    assert "ai_sentiment_neutral" in back.tags
    assert "ai_sentiment_negative" not in back.tags
    assert "ai_reply_thanks" not in back.tags

    (tmp_path / "state" / "replies.json").unlink()
    run()

    assert desk.snapshot(ticket) == back
