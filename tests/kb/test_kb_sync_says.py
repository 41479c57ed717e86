"""What ``kb sync`` says, on each sandbox: a bad ``--solved`` value is refused before any request
to the helpdesk, and the index's size is told by kind (articles, the team's document sections,
macros), since the answers search all three."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.answers_desk import publish_help_centre
from support.cli import invoke
from support.macros_desk import post_macro

from ticket_processor.sandbox.desks import Desk


@pytest.mark.desk(configure=True)
def test_a_bad_solved_value_is_refused_before_any_request(desk: Desk) -> None:
    publish_help_centre(desk)
    before = len(desk.history())
    synced = invoke("kb", "sync", "--solved", "yesterday")
    assert synced.exit_code == 2, synced.output
    assert "--solved" in synced.output
    assert len(desk.history()) == before  # not one request: no help centre, no macros


@pytest.mark.desk(configure=True)
def test_kb_sync_counts_the_index_by_kind(desk: Desk, tmp_path: Path) -> None:
    articles = sum(len(ids) for ids in publish_help_centre(desk).values())
    post_macro(desk.kind, desk, "Printer pairing", "Hold the printer's button for 5 seconds.")
    assert invoke("macros", "sync").exit_code == 0
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "runbook.md").write_text("# Restart\n\nRestart it.\n\n# Reset\n\nReset it.\n")
    synced = invoke("kb", "sync", env={"TICKETBOT_KNOWLEDGE_DIR": str(folder)})
    assert synced.exit_code == 0, synced.output
    said = f"{articles + 3} entries in the index: {articles} articles, 2 document sections, 1 macro"
    assert said in synced.output
    assert "articles in the index" not in synced.output
