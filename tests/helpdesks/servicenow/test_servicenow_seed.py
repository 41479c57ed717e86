"""``ticketbot seed`` on ServiceNow's sandbox: the sample tickets become incidents (each
caller a user of their own, the priority as impact and urgency, the tags as labels) whose
numbers follow the samples' order; run again, none is made twice; the sample record
templates and their solved history (each reply a sample agent's comment, resolved) are made
once; a run then triages the tickets and leaves the history alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.helpdesks.sample_replies import sample_replies
from ticket_processor.helpdesks.samples import SAMPLE_GROUPS
from ticket_processor.helpdesks.servicenow.sandbox.desk import ServiceNowDesk, serve

COUNT = 12
HISTORY = len(sample_replies()[1])


@pytest.fixture
def sn(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[ServiceNowDesk]:
    with serve(seed=5) as running:
        env = {
            **running.env(),
            "TICKETBOT_STATE_DIR": str(tmp_path / "state"),
            "TICKETBOT_LOG_DIR": str(tmp_path / "logs"),
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield running


def test_seed_makes_each_sample_once_and_a_run_triages_them(sn: ServiceNowDesk) -> None:
    first = invoke("seed", "--count", str(COUNT))
    assert first.exit_code == 0, first.output
    every = sn.ids()
    assert len(every) == COUNT + HISTORY
    assert every == sorted(every)
    ids, history = every[:COUNT], every[COUNT:]
    assert "sample record templates and a solved history" in first.output
    store = sn.sandbox.store
    resolved = {int(row["number"][3:]) for row in store.rows("incident") if row["state"] == "6"}
    assert resolved == set(history)
    emails = {email for members in SAMPLE_GROUPS.values() for _, email in members}
    agents = {row["user_name"] for row in store.rows("sys_user") if row["email"] in emails}
    for ticket_id in history:
        sys_id = sn.sandbox.sandbox.record_of("incident", ticket_id)
        assert sys_id is not None
        [reply] = store.journal("incident", sys_id)
        assert reply["element"] == "comments"
        assert reply["sys_created_by"] in agents  # an agent's, not ticketbot's own
    templates = store.rows("sys_template")
    again = invoke("seed", "--count", str(COUNT))
    assert again.exit_code == 0, again.output
    assert sn.ids() == every
    assert sn.sandbox.store.rows("sys_template") == templates
    callers = {row["caller_id"] for row in sn.sandbox.store.rows("incident")}
    assert "" not in callers
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    assert all("ai_processed" in sn.snapshot(i).tags for i in ids)
