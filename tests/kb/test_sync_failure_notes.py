"""What a run says when the help-centre sync fails. A refused key was said three times (the
sync's note, the answers' note, then the run's abort); it is said once, by the abort, as the
sync and the answers are extras that never fail a run. A sync that fails on a fresh state
directory said "suggestions use the index as it was", when there was no index to use."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.kb.refresh import index_path, open_for_run
from ticket_processor.run.connect import HELPDESK_RETRY, connect, load_settings
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)

# The first help-centre read of each helpdesk, answered 500 as often as a run tries it.
FIRST_READ = {
    "zendesk": "GET /api/v2/help_center/user_segments",
    "freshdesk": "GET /api/v2/solutions/categories",
    "servicenow": "GET /api/now/table/kb_knowledge",
}


def test_a_refused_key_is_said_once(
    desk: Desk, desk_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.create([NewTicket("Refund", "Please refund my broken order.")])
    monkeypatch.setenv("TICKETBOT_ANSWER_MODE", "draft")  # the answers read the agents first
    key = next(name for name in desk.env() if name.endswith(("_TOKEN", "_KEY", "_PASSWORD")))
    monkeypatch.setenv(key, "wrong-key-123")
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 1, ran.output
    said = ran.stderr
    assert "run aborted:" in said
    assert said.count("(401)") == 1, said
    assert "help-centre sync failed" not in said
    assert "answers are off" not in said


def test_a_failed_first_sync_does_not_speak_of_an_index_as_it_was(
    desk: Desk, desk_kind: str, tmp_path: Path
) -> None:
    settings = load_settings(dict(os.environ), env_file=None)
    helpdesk = connect(settings, sleep=lambda _: None)  # the retries' waits, not slept
    desk.sandbox.config.faults = [f"500 {FIRST_READ[desk_kind]}"] * HELPDESK_RETRY.attempts
    events: list[str] = []
    try:
        found = open_for_run(
            index_path(tmp_path / "fresh"),
            helpdesk,
            suggestions=3,
            max_age=3600,
            dry_run=False,
            emit=lambda event, **_: events.append(event),
        )
    finally:
        helpdesk.close()
    found.close()
    assert events == ["kb_sync_failed"]
    [said] = found.warnings
    assert said.startswith("help-centre sync failed (")
    assert "as it was" not in said
    assert said.endswith(
        "no suggestions: the index is empty until a sync succeeds (`ticketbot kb sync`)"
    )
