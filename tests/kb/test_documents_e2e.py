"""The team's own documents (``TICKETBOT_KNOWLEDGE_DIR``) end to end, on each sandbox, through
``kb sync`` and a real run in send mode, without an LLM.

The help centre is the answers' set (tests/data/answers_articles.jsonl), which says nothing of
recovery codes or of the hardware returns desk; two documents do, one marked public and one
internal. Tickets asking about either get the document in their note, by heading and path; the
public one may answer the customer, the internal one never reaches a public comment.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.answers_desk import create_tickets, outbox, public_comments, publish_help_centre
from support.cli import invoke
from support.e2e import events

from ticket_processor.kb.index import INDEX_FILE, ArticleIndex
from ticket_processor.sandbox.desks import Desk

PUBLIC = """---
title: Two-factor sign-in
visibility: public
---
# Two-factor sign-in

Two-factor sign-in asks for a six-digit code from your authenticator app after your password.

## Lost your phone or authenticator app

If you lost the phone with your authenticator app, sign in with one of the ten recovery codes
you saved when you turned on two-factor sign-in. Each recovery code works once. After you sign
in, open Security and scan the new QR code with your new phone.
"""

INTERNAL = """# Hardware returns desk

Returned scanners and card readers go to the Leeds returns desk. Book the courier on account
LX-4471 and write the RMA number on the box. Refurbished scanners ship back within ten days.
"""

RECOVERY = [
    (
        "Lost my phone, cannot sign in",
        "I lost my phone with the authenticator app and now I cannot sign in. How do I use a "
        "recovery code?",
    ),
    (
        "Authenticator app gone",
        "My new phone has no authenticator app codes. Where do the recovery codes go when I "
        "sign in with two-factor?",
    ),
    (
        "Recovery codes",
        "I saved my ten recovery codes but I lost my phone. How do I sign in with a recovery code?",
    ),
]
RETURNS = [
    (
        "Returning a broken scanner",
        "Our card reader and scanner are broken. Where do we send returned scanners, and which "
        "courier do we book for the returns desk?",
    ),
    (
        "Scanner return",
        "How do I return a scanner to the returns desk? Do we need an RMA number on the box?",
    ),
]


def knowledge(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    (folder / "security").mkdir(parents=True)
    (folder / "security" / "two-factor.md").write_text(PUBLIC, "utf-8")
    (folder / "returns.md").write_text(INTERNAL, "utf-8")
    return folder


@pytest.mark.desk(configure=True)
def test_documents_are_suggested_and_only_a_public_one_answers(desk: Desk, tmp_path: Path) -> None:
    publish_help_centre(desk)
    env = {"TICKETBOT_KNOWLEDGE_DIR": str(knowledge(tmp_path))}
    cases = [{"subject": s, "description": d, "kind": "answerable"} for s, d in RECOVERY + RETURNS]
    ids = create_tickets(desk, cases)
    recovery, returns = ids[: len(RECOVERY)], ids[len(RECOVERY) :]

    synced = invoke("kb", "sync", env=env)
    assert synced.exit_code == 0, synced.output
    assert "documents synced: 2 read" in synced.output

    ran = invoke("run", "--engine", "rules", env={**env, "TICKETBOT_ANSWER_MODE": "send"})
    assert ran.exit_code == 0, ran.output

    for ticket_id in recovery:
        (note,) = desk.snapshot(ticket_id).notes
        assert "Lost your phone or authenticator app" in note
        assert "security/two-factor.md" in note
    for ticket_id in returns:
        (note,) = desk.snapshot(ticket_id).notes
        assert "Hardware returns desk" in note
        assert "returns.md" in note

    answered = [i for i in recovery if public_comments(desk, i)]
    assert answered, "the public document answers a question only it answers"
    for ticket_id in answered:
        (reply,) = public_comments(desk, ticket_id)
        assert "recovery code" in reply
        assert "two-factor.md" not in reply  # a path on the team's machine is no link
    for ticket_id in returns:
        assert public_comments(desk, ticket_id) == []
    every_public = [c for i in ids for c in public_comments(desk, i)] + [
        m["body"] for m in outbox(desk)
    ]
    assert not [c for c in every_public if "LX-4471" in c or "Leeds" in c]
    sent = [e for e in events(tmp_path / "logs") if e["event"] == "answer_sent"]
    assert {e["ticket_id"] for e in sent} == set(answered)


@pytest.mark.desk(configure=True)
def test_a_run_syncs_the_documents_with_the_help_centre(desk: Desk, tmp_path: Path) -> None:
    """No ``kb sync`` first: the run's own sync of a stale index reads the folder too, and a
    folder that is not there is a warning, never a failed run."""
    publish_help_centre(desk)
    (ticket_id,) = create_tickets(
        desk, [{"subject": RETURNS[1][0], "description": RETURNS[1][1], "kind": "answerable"}]
    )
    missing = {"TICKETBOT_KNOWLEDGE_DIR": str(tmp_path / "nowhere")}
    ran = invoke("run", "--engine", "rules", "--dry-run", env=missing)
    assert ran.exit_code == 0, ran.output
    ran = invoke("run", "--engine", "rules", env=missing)
    assert ran.exit_code == 0, ran.output
    logged = events(tmp_path / "logs")
    (failed,) = [e for e in logged if e["event"] == "documents_sync_failed"]
    assert "is not a directory" in failed["error"]
    (note,) = desk.snapshot(ticket_id).notes
    assert "returns.md" not in note

    (later,) = create_tickets(
        desk, [{"subject": RETURNS[0][0], "description": RETURNS[0][1], "kind": "answerable"}]
    )
    index = ArticleIndex(tmp_path / "state" / INDEX_FILE)
    index.set_meta("synced_at", "0")  # the index is older than TICKETBOT_KB_MAX_AGE
    index.close()
    env = {"TICKETBOT_KNOWLEDGE_DIR": str(knowledge(tmp_path))}
    ran = invoke("run", "--engine", "rules", env=env)
    assert ran.exit_code == 0, ran.output
    (note,) = desk.snapshot(later).notes
    assert "Hardware returns desk" in note
    assert "returns.md" in note
