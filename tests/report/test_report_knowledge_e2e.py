"""``report``'s articles to write and time saved, after a run that answers, on each sandbox.

The help centre of ``answers_articles.jsonl`` is published; the 30 answerable tickets of
``answers_tickets.jsonl`` and eight questions no article answers (written here, the project's
own) are created; one run in send mode answers some and refuses the others. ``report`` then
names the unanswered questions' kinds with their subjects as examples, none of an answered
ticket's, and states the time saved with its formula, in the text, the JSON and the HTML, at the
seconds the settings give.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.answers_desk import create_tickets, outbox, publish_help_centre, rows
from support.cli import invoke
from support.clock import FakeClock
from support.e2e import events

from ticket_processor.sandbox.desks import Desk

# Questions the sample help centre has no article for.
UNANSWERED = [
    ("Connect to Slack", "How do I connect my workspace to Slack so messages arrive there?"),
    ("Slack integration", "Is there a Slack integration? I want notifications in a channel."),
    ("Two-factor authentication", "How do I turn on two-factor authentication for my login?"),
    ("Set up 2FA", "Where can I enable two-factor authentication with an authenticator app?"),
    ("Print shipping labels", "Can I print shipping labels for my orders from the app?"),
    ("Label printer", "Which label printer works for printing shipping labels?"),
    ("API key", "Where do I create an API key to use your REST API from my own scripts?"),
    ("REST API limits", "How many requests a minute does the REST API allow for my API key?"),
]


@pytest.mark.desk(clock="desk_clock", configure=True)
def test_report_names_the_articles_to_write_and_the_time_saved(
    desk: Desk, desk_clock: FakeClock, tmp_path: Path
) -> None:
    publish_help_centre(desk)
    answerable = [c for c in rows("answers_tickets.jsonl") if c["kind"] == "answerable"]
    questions = [
        {"subject": s, "description": d, "kind": "unanswered", "language": "en"}
        for s, d in UNANSWERED
    ]
    ids = create_tickets(desk, [*answerable, *questions])
    result = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "send"})
    assert result.exit_code == 0, result.output
    sent = {m["ticket_id"] for m in outbox(desk)}
    assert sent, "the run answered nothing: the fixture no longer exercises answers"
    logged = events(tmp_path / "logs")
    no_source = {
        e["ticket_id"]
        for e in logged
        if e["event"] == "answer_refused" and e["reason"] == "no_article"
    }
    assert no_source, "no ticket was refused for want of an article"
    # An agent solves one unanswered question with ticketbot's labels as they were: the next
    # run's discovery sees the outcome, and the report counts the labels kept.
    kept = min(no_source - sent)
    desk_clock.advance(60)
    desk.agent_solves(kept)
    result = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "send"})
    assert result.exit_code == 0, result.output
    logged = events(tmp_path / "logs")
    assert any(e["event"] == "ticket_outcome" and e["ticket_id"] == kept for e in logged)
    subject_of = {
        ticket_id: case["subject"]
        for ticket_id, case in zip(ids, [*answerable, *questions], strict=True)
    }

    report = invoke("report", "--json", "--since", "7d")
    assert report.exit_code == 0, report.output
    figures = json.loads(report.stdout)
    gaps = figures["to_write"]
    assert sum(g["tickets"] for g in gaps) == len(no_source - sent)
    examples = {e for g in gaps for e in g["examples"]}
    assert examples, gaps
    assert examples <= {subject_of[t] for t in no_source - sent}
    assert not examples & {subject_of[t] for t in sent}
    counts = [g["tickets"] for g in gaps]
    assert counts == sorted(counts, reverse=True)  # most frequent first

    saved = figures["time_saved"]
    triaged = sum(e["event"] == "ticket_triaged" for e in logged)
    assert (saved["triaged"], saved["answers_sent"]) == (triaged, len(sent))
    assert saved["suggestions_kept"] >= 1  # the solved ticket's category, at least
    assert (saved["seconds_per_triage"], saved["seconds_per_answer"]) == (30.0, 120.0)
    assert saved["seconds"] == (
        triaged * 30.0 + saved["suggestions_kept"] * 10.0 + len(sent) * 120.0
    )

    # The assumptions are settings: another team's handling times change the figure.
    mine = {
        "TICKETBOT_SAVED_SECONDS_PER_TRIAGE": "60",
        "TICKETBOT_SAVED_SECONDS_PER_SUGGESTION": "0",
        "TICKETBOT_SAVED_SECONDS_PER_ANSWER": "300",
    }
    again = json.loads(invoke("report", "--json", "--since", "7d", env=mine).stdout)
    assert again["time_saved"]["seconds"] == triaged * 60.0 + len(sent) * 300.0
    assert again["time_saved"]["suggestions_kept"] == saved["suggestions_kept"]

    html = invoke("report", "--since", "7d", "--html", str(tmp_path / "r.html"), env=mine)
    assert html.exit_code == 0, html.output
    text = invoke("report", "--since", "7d", env=mine)
    assert text.exit_code == 0, text.output
    assert "Articles to write" in text.output
    assert any(example in text.output for example in examples)
    assert f"{triaged} triaged × 60 s" in text.output
    assert "TICKETBOT_SAVED_SECONDS_PER_TRIAGE" in text.output
    page = (tmp_path / "r.html").read_text("utf-8")
    assert "<h2>Articles to write</h2>" in page
    assert "<h2>Time saved</h2>" in page
    assert f"{len(sent)} answers sent × 300 s" in page
    assert all(example in page for example in examples)
