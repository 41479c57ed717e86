"""The logs' ticket-derived text encrypted: with a key, the running summary's
``summary_written`` event holds the summary and the field's text before it encrypted (the
thread's words are not in the log's raw bytes), and ``revert --run`` still gives the field back
with the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import events
from support.summary_field import SummaryField

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.summary.build import is_ours

pytestmark = pytest.mark.desk(configure=True)


WORDS = "Snorkelberry subscription charged twice"


def test_the_summary_in_the_log_is_encrypted_and_reverts(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    key = tmp_path / "ticketbot.key"
    assert invoke("privacy", "keygen", str(key)).exit_code == 0
    monkeypatch.setenv("TICKETBOT_ENCRYPTION_KEY_FILE", str(key))
    field = SummaryField(desk)
    monkeypatch.setenv("TICKETBOT_SUMMARY_FIELD", "Summary")
    [ticket] = desk.create(
        [NewTicket(WORDS, "Hello, I was charged twice. Please refund my Snorkelberry plan.")]
    )
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    assert is_ours(field.value(ticket))
    assert "Snorkelberry" in field.value(ticket)  # the field has the words: the log could too

    logs = tmp_path / "logs"
    [written] = [e for e in events(logs) if e["event"] == "summary_written"]
    assert written["value"].startswith("tbseal1:")
    raw = b"".join(p.read_bytes() for p in logs.glob("*.jsonl"))
    assert b"snorkelberry" not in raw.lower()

    [finished] = [e for e in events(logs) if e["event"] == "run_finished"][-1:]
    reverted = invoke("revert", "--run", finished["run_id"])
    assert reverted.exit_code == 0, reverted.output
    assert field.value(ticket) in (None, "")
