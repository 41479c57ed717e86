"""A batch output file padded with lines for tickets never asked for stops being read at the
batch's request count; the backfill exits 0 and its tickets take the normal path, once each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.cli import command
from support.e2e import events

from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import NewTicket, serve_desk
from ticket_processor.sandbox.llm_standin.server import StandinConfig, serve_in_thread
from ticket_processor.tags import marker_tag

backfill = command("backfill")
BACKLOG = [
    NewTicket("Refund please", "I want my money back for order 4411."),
    NewTicket("Cannot log in", "The password reset link fails every time."),
    NewTicket("Parcel late", "My delivery has not arrived, tracking says nothing."),
]


def named(log_dir: Path, name: str) -> list[dict[str, Any]]:
    return [e for e in events(log_dir) if e["event"] == name]


def test_a_padded_batch_output_falls_back_and_the_backfill_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = StandinConfig(seed=7, batch_delay_s=3600, batch_padding_lines=5000)  # ~10 MB
    with serve_in_thread(config) as llm, serve_desk(KINDS["zendesk"], unlimited=True) as desk:
        env = {
            **desk.env(),
            "OPENAI_BASE_URL": llm.url,
            "OPENAI_API_KEY": "sk-test-not-a-real-key",
            "TICKETBOT_MODEL": "stand-in",
            "TICKETBOT_STATE_DIR": str(tmp_path / "state"),
            "TICKETBOT_LOG_DIR": str(tmp_path / "logs"),
            "TICKETBOT_WORKERS": "2",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        ids = desk.create(BACKLOG)
        assert backfill("--since", "7d").exit_code == 0
        assert llm.complete_batches() == 1
        collected = backfill()
        assert collected.exit_code == 0, collected.output
        assert "results hold more lines than the 3 requests" in collected.output
        for ticket_id in ids:
            snap = desk.snapshot(ticket_id)
            assert len(snap.notes) == 1, snap
            assert marker_tag("ai_") in snap.tags
        [collect] = named(tmp_path / "logs", "backfill_collected")
        assert (collect["from_batch"], collect["online"]) == (0, 3)
