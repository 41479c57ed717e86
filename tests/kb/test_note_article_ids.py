"""A team document suggested in a note, on each sandbox, through a real run: the note shows it by
heading and path, and the trailer's ``articles=`` and the audit store (the dashboard's history)
keep only help-centre article ids, never the document's made-up negative index id."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.answers_desk import create_tickets, publish_help_centre
from support.cli import invoke

from ticket_processor.run.audit import open_store
from ticket_processor.run.connect import load_settings
from ticket_processor.sandbox.desks import Desk
from ticket_processor.writeback.note import read_note

RETURNS = """# Hardware returns desk

Returned scanners and card readers go to the Leeds returns desk. Book the courier on account
LX-4471 and write the RMA number on the box. Refurbished scanners ship back within ten days.
"""


@pytest.mark.desk(configure=True)
def test_a_suggested_document_leaves_no_made_up_id_in_the_trailer_or_the_audit_store(
    desk: Desk, tmp_path: Path
) -> None:
    publish_help_centre(desk)
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "returns.md").write_text(RETURNS, "utf-8")
    env = {"TICKETBOT_KNOWLEDGE_DIR": str(folder)}
    (ticket,) = create_tickets(
        desk,
        [
            {
                "subject": "Scanner return",
                "description": "How do I return a scanner to the returns desk? Do we need an "
                "RMA number on the box?",
                "kind": "answerable",
            }
        ],
    )
    assert invoke("kb", "sync", env=env).exit_code == 0
    ran = invoke("run", "--engine", "rules", env=env)
    assert ran.exit_code == 0, ran.output

    (note,) = desk.snapshot(ticket).notes
    assert note is not None
    assert "Hardware returns desk" in note
    assert "returns.md" in note  # the note still names the document
    trailer = read_note(note)
    assert trailer is not None
    assert all(a > 0 for a in trailer.articles), note.split("\n")[-1]

    settings = load_settings(dict(os.environ))
    with open_store(settings) as audit:
        history = audit.ticket_history(ticket)
    (written,) = [d for d in history.decisions if d.status == "written"]
    assert all(a > 0 for a in written.articles or []), written.articles
