"""An agent's edit raced against ticketbot's write on ServiceNow, through the sandbox's edit knob
(``edit_rate``): the edit lands between the adapter's re-read of a record (a list query naming
its number) and its PATCH, on every record, and the run keeps it on every one."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.helpdesks.servicenow.sandbox.desk import serve
from ticket_processor.sandbox.desks import NewTicket

SUBJECTS = ("Refund please", "Cannot log in", "VPN down", "Charged twice", "Where is my order?")


def test_an_agents_edit_between_the_read_and_the_write_is_kept_on_every_record(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with serve(seed=5) as sn:
        for name, value in sn.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("TICKETBOT_STATE_DIR", str(tmp_path / "state"))
        monkeypatch.setenv("TICKETBOT_LOG_DIR", str(tmp_path / "logs"))
        tickets = [
            NewTicket(SUBJECTS[n % len(SUBJECTS)], f"Ticket {n}: please help, it is broken.")
            for n in range(100)
        ]
        ids = sn.create(tickets)
        config = sn.sandbox.config
        config.edit_tag, config.edit_urgency, config.edit_rate = "agent_escalated", "1", 1.0
        ran = invoke("run", "--engine", "rules")
        assert ran.exit_code == 0, ran.output
        config.edit_rate = 0
        assert sn.stats()["concurrent_edits"] >= len(ids)
        store = sn.sandbox.store
        for ticket_id in ids:
            seen = sn.snapshot(ticket_id)
            assert "agent_escalated" in seen.tags, (ticket_id, seen)
            assert len(seen.notes) == 1, (ticket_id, seen)
            row = store.find("incident", sn.held(ticket_id)["record"]["sys_id"])
            assert row is not None
            assert row["urgency"] == "1", (ticket_id, row["urgency"])  # the agent's, kept
