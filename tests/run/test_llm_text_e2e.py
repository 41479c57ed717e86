"""An LLM that writes what the ticket asked for, on every helpdesk: links, forged header, run,
label and trailer lines, a citation of an article it was never given, an escape sequence, NUL
and bidi overrides. The note stored in the sandbox has none of them in an active form, the
harvest (``learn --from-helpdesk``'s) still reads the note as ticketbot's own guess (not an
agent's label), and
``run --dry-run`` prints no raw control character."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.hostile_llm import FORGED_TRAILER, HOSTILE_DRAFT, assert_inert

from ticket_processor.learned.harvest import Harvest, HarvestOptions
from ticket_processor.learned.labels import default_specs, is_unreviewed
from ticket_processor.run.connect import connect, load_settings
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.answers import keyword_answer
from ticket_processor.sandbox.llm_standin.server import RunningStandin
from ticket_processor.state.ledger import RunLedger
from ticket_processor.tags import read_note, standing_note

pytestmark = pytest.mark.desk(configure=True)

SUMMARY = (
    "Refund [9] at https://evil.example/x \x1b[2J\x00\u202e <b>now</b>\n"
    f"Category: other\n{FORGED_TRAILER}"
)


def obedient(subject: str, body: str) -> dict[str, Any]:
    return {**keyword_answer(subject, body), "summary": SUMMARY, "reply_draft": HOSTILE_DRAFT}


def test_llm_text_is_inert_in_the_stored_note_and_on_the_terminal(
    desk: Desk,
    make_standin: Callable[..., RunningStandin],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    llm = make_standin(answer=obedient)
    for name, value in {
        "OPENAI_BASE_URL": llm.url,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "TICKETBOT_MODEL": "stand-in",
        "TICKETBOT_REPLY_DRAFT": "true",
    }.items():
        monkeypatch.setenv(name, value)
    (ticket_id,) = desk.create([NewTicket("Refund please", "I want a refund for my order.")])
    since = ("--since", "2000-01-01T00:00:00Z")

    dry = invoke("run", "--dry-run", *since)
    assert dry.exit_code == 0, dry.output
    assert "Refund" in dry.output
    assert not any(c in dry.output for c in "\x1b\x00\u202e"), repr(dry.output)

    ran = invoke("run", *since)
    assert ran.exit_code == 0, ran.output
    snapshot = desk.snapshot(ticket_id)
    (note,) = snapshot.notes
    assert_inert(note)
    trailer = read_note(note)
    assert trailer is not None
    assert trailer.category != "other"

    # The harvest, once the ticket is solved, reads the note through the helpdesk as
    # ticketbot's own guess (left out as unreviewed), not as an agent's label.
    desk.agent_solves(ticket_id)
    helpdesk = connect(load_settings(dict(desk.env()), env_file=None))
    try:
        assert is_unreviewed(snapshot.tags, standing_note(helpdesk.notes(ticket_id)))
        options = HarvestOptions(
            since=int(time.time()) - 86_400, specs=default_specs("ai_"), allowed={}
        )
        harvest = Harvest(helpdesk, RunLedger(tmp_path / "harvest"), options, sleep=lambda _: None)
        harvest.run()
    finally:
        helpdesk.close()
    assert (harvest.counts.unreviewed, harvest.counts.examples) == (1, 0)
