"""The modes end to end on each sandbox, on a few tickets of the answers' fixture: a dry run
shows each reply in full and writes nothing; a shadow run logs what would be sent; draft mode
puts the reply in the note; send mode mails it once, and ``revert --run`` says a mail cannot be
unsent and restores status and tags."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.answers_desk import (
    create_tickets,
    linked_articles,
    outbox,
    private_notes,
    publish_help_centre,
    rows,
    status,
)
from support.cli import invoke
from support.e2e import events

from ticket_processor.answers.compose import TEMPLATES
from ticket_processor.answers.vocab import DRAFT_OPENS, SENT_OPENS
from ticket_processor.sandbox.desks import Desk

CUSTOMER = "Henrietta Quarles"  # each ticket's requester: a plain name, greeted as "Henrietta"


def log_lines(log_dir: Path) -> list[str]:
    return [line for path in sorted(log_dir.rglob("*.jsonl")) for line in path.open()]


def few() -> list[dict[str, object]]:
    cases = rows("answers_tickets.jsonl")
    answerable = [c for c in cases if c["kind"] == "answerable"]
    # Plain questions the shipped calibration answers, and one of each kind it must not.
    chosen = [answerable[0], answerable[3], answerable[25]]  # the last in French
    chosen += [
        next(c for c in cases if c["kind"] == kind) for kind in ("person", "angry", "assigned")
    ]
    return chosen


@pytest.mark.desk(configure=True)
def test_dry_run_shadow_and_draft_write_no_reply(desk: Desk, tmp_path: Path) -> None:
    publish_help_centre(desk)
    cases = few()
    ids = create_tickets(desk, cases, requester_name=CUSTOMER)
    synced = invoke("kb", "sync")  # a dry run reads the index as it is: sync it first
    assert synced.exit_code == 0, synced.output

    dry = invoke("run", "--engine", "rules", "--dry-run", env={"TICKETBOT_ANSWER_MODE": "send"})
    assert dry.exit_code == 0, dry.output
    assert "Replies to customers (dry run: not sent):" in dry.output
    assert dry.output.count("--- ticket ") == 3
    assert dry.output.count("Read the whole article:") == 2
    assert "L'article complet :" in dry.output  # the French ticket's reply is in French
    assert outbox(desk) == []
    assert all(desk.snapshot(i).notes == [] for i in ids)

    shadow = invoke(
        "run",
        "--engine",
        "rules",
        env={"TICKETBOT_ANSWER_MODE": "send", "TICKETBOT_SHADOW": "true"},
    )
    assert shadow.exit_code == 0, shadow.output
    would = [e for e in events(tmp_path / "logs") if e["event"] == "answer_would_send"]
    assert sorted(e["ticket_id"] for e in would) == sorted(ids[:3])
    # The summary line counts them too: "answers_sent=0" alone read as "it would never send".
    assert "answers_would_send=3 answers_sent=0" in shadow.output
    assert all(linked_articles(e["body"]) for e in would)
    # What would be sent, greeting nobody: the customers' names stay out of the log.
    bare = {t.greeting.format(name="") for t in TEMPLATES.values()}
    assert all(e["body"].split("\n")[0] in bare for e in would), [e["body"] for e in would]
    assert not any(CUSTOMER in line for line in log_lines(tmp_path / "logs"))
    assert outbox(desk) == []

    # The first live run after shadow runs starts from now: these tickets are older.
    draft = invoke(
        "run",
        "--engine",
        "rules",
        "--since",
        "2000-01-01T00:00:00Z",
        env={"TICKETBOT_ANSWER_MODE": "draft"},
    )
    assert draft.exit_code == 0, draft.output
    assert outbox(desk) == []
    for ticket_id, case in zip(ids, cases, strict=True):
        snap = desk.snapshot(ticket_id)
        drafted = case["kind"] == "answerable"
        assert ("ai_answer_drafted" in snap.tags) == drafted, (case, snap.tags)
        assert any(DRAFT_OPENS in n for n in snap.notes) == drafted
        assert "ai_answered" not in snap.tags


@pytest.mark.desk(configure=True)
def test_send_then_revert_says_a_mail_cannot_be_unsent(desk: Desk, tmp_path: Path) -> None:
    publish_help_centre(desk)
    cases = few()
    # New tickets: the reply's status before is "new" on Zendesk, which revert never sets back.
    ids = create_tickets(desk, cases, status="new")
    sent = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "send"})
    assert sent.exit_code == 0, sent.output
    mails = outbox(desk)
    assert sorted(m["ticket_id"] for m in mails) == sorted(ids[:3])
    for ticket_id in ids[:3]:
        assert status(desk, ticket_id) == "pending"
        assert any(SENT_OPENS in n for n in desk.snapshot(ticket_id).notes)
    finished = [e for e in events(tmp_path / "logs") if e["event"] == "run_finished"]
    assert finished[-1]["answers"]["sent"] == 3

    # The dry run shows the status revert really sets: open, never back to new.
    dry = invoke("revert", "--run", finished[-1]["run_id"], "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.output.count("status pending → open") == 3, dry.output
    assert "→ new" not in dry.output
    assert all(status(desk, ticket_id) == "pending" for ticket_id in ids[:3])

    reverted = invoke("revert", "--run", finished[-1]["run_id"])
    assert reverted.exit_code == 0, reverted.output
    assert "cannot be unsent" in reverted.output
    for ticket_id in ids[:3]:
        tags = desk.snapshot(ticket_id).tags
        assert "ai_answered" not in tags
        assert not any(t.startswith("ai_answer_article_") for t in tags)
        assert status(desk, ticket_id) == "open"
        # The ticket's agents are told too: the reply stays, what was undone.
        [note] = [n for n in private_notes(desk, ticket_id) if "reverted the answer" in n]
        assert "a mail cannot be unsent" in note
        assert "status pending → open" in note
        assert "ai_answered" in note
    assert outbox(desk) == mails  # the mail stays mailed, and nothing new is sent


@pytest.mark.desk(configure=True)
def test_a_send_mode_dry_run_counts_and_tags_what_the_real_run_sends(desk: Desk) -> None:
    # A dry run printed each reply but counted none (answers_sent=0) and left ai_answered
    # out of the planned tags, where the real run then sent them.
    publish_help_centre(desk)
    cases = few()
    ids = create_tickets(desk, cases, requester_name=CUSTOMER)
    assert invoke("kb", "sync").exit_code == 0
    send = {"TICKETBOT_ANSWER_MODE": "send", "COLUMNS": "60"}

    dry = invoke("run", "--engine", "rules", "--dry-run", env=send)
    assert dry.exit_code == 0, dry.output
    assert "answers_would_send=3 answers_sent=0 answers_drafted=0 answers_refused=3" in dry.output
    for ticket_id in ids[:3]:
        assert f"--- ticket {ticket_id} (would send) ---" in dry.output
    assert dry.output.count("ai_answered") == 3, dry.output
    assert outbox(desk) == []

    real = invoke("run", "--engine", "rules", "--since", "2000-01-01T00:00:00Z", env=send)
    assert real.exit_code == 0, real.output
    assert "answers_sent=3 answers_drafted=0 answers_refused=3" in real.output
    assert "answers_would_send" not in real.output
    assert len(outbox(desk)) == 3
    assert all("ai_answered" in desk.snapshot(i).tags for i in ids[:3])
