"""``ticketbot seed`` on ServiceNow's sandbox: the sample tickets become incidents (each
caller a user of their own, the priority as impact and urgency, the tags as labels) whose
numbers follow the samples' order; run again, none is made twice; the sample record
templates are made once; a run then triages them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.helpdesks.registry import KINDS, register, unregister
from ticket_processor.helpdesks.servicenow.kind import KIND
from ticket_processor.helpdesks.servicenow.sandbox.desk import ServiceNowDesk, serve

COUNT = 12


@pytest.fixture
def sn(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[ServiceNowDesk]:
    added = KIND.name not in KINDS
    if added:
        register(KIND)
    try:
        with serve(seed=5) as running:
            env = {
                **running.env(),
                "TICKETBOT_STATE_DIR": str(tmp_path / "state"),
                "TICKETBOT_LOG_DIR": str(tmp_path / "logs"),
            }
            for name, value in env.items():
                monkeypatch.setenv(name, value)
            yield running
    finally:
        if added:
            unregister(KIND.name)


def test_seed_makes_each_sample_once_and_a_run_triages_them(sn: ServiceNowDesk) -> None:
    first = invoke("seed", "--count", str(COUNT))
    assert first.exit_code == 0, first.output
    ids = sn.ids()
    assert len(ids) == COUNT
    assert ids == sorted(ids)
    assert "sample record templates" in first.output
    templates = sn.sandbox.store.rows("sys_template")
    again = invoke("seed", "--count", str(COUNT))
    assert again.exit_code == 0, again.output
    assert sn.ids() == ids
    assert sn.sandbox.store.rows("sys_template") == templates
    callers = {row["caller_id"] for row in sn.sandbox.store.rows("incident")}
    assert "" not in callers
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    assert all("ai_processed" in sn.snapshot(i).tags for i in ids)
