"""ticketbot's runs against ServiceNow's sandbox through the CLI: a backlog triaged once each
and a rerun that changes nothing, a dry run that writes nothing, a caller's comment re-triaged
and an agent's work note not, a revert taking a run's writes off, OAuth's client credentials, a
wrong password and the running summary's column. An agent's edit raced against the write is
the shared suite's (``tests/run/test_faults.py``), which runs on ServiceNow too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import events

from ticket_processor.helpdesks.servicenow.sandbox.desk import ServiceNowDesk, serve
from ticket_processor.sandbox.desks import NewTicket

TICKETS = [
    NewTicket("Refund please", "I was charged twice for my order, please refund me."),
    NewTicket("Cannot log in", "Login fails with an error since this morning."),
    NewTicket("VPN down", "The VPN drops every five minutes since the update."),
]
ANGRY = (
    "This is the third time I am asking and still no answer. This is unacceptable, "
    "I am cancelling my subscription today!"
)


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


def _run(*args: str) -> None:
    ran = invoke("run", "--engine", "rules", *args)
    assert ran.exit_code == 0, ran.output


def test_a_backlog_is_triaged_once_each_and_a_rerun_changes_nothing(sn: ServiceNowDesk) -> None:
    ids = sn.create(TICKETS)
    _run()
    for ticket_id in ids:
        seen = sn.snapshot(ticket_id)
        assert "ai_processed" in seen.tags, seen
        assert len(seen.notes) == 1, seen
    before = [sn.snapshot(i) for i in ids]
    _run()
    assert [sn.snapshot(i) for i in ids] == before


def test_a_dry_run_writes_nothing(sn: ServiceNowDesk) -> None:
    ids = sn.create(TICKETS)
    before = [sn.snapshot(i) for i in ids]
    _run("--dry-run")
    assert [sn.snapshot(i) for i in ids] == before


def test_a_callers_comment_is_triaged_again_and_an_agents_work_note_is_not(
    sn: ServiceNowDesk, tmp_path: Path
) -> None:
    first, second = sn.create(TICKETS[:2])
    _run()
    sn.requester_says(first, ANGRY)
    sn.agent_notes(second, "Looked at the logs, nothing obvious yet.")
    _run()
    replies = [e["ticket_id"] for e in events(tmp_path / "logs") if e["event"] == "reply_triaged"]
    assert replies == [first]
    assert len(sn.snapshot(second).notes) == 1, sn.snapshot(second)


def test_a_revert_takes_a_runs_writes_off(sn: ServiceNowDesk, tmp_path: Path) -> None:
    ids = sn.create(TICKETS[:2])
    _run()
    finished = [e for e in events(tmp_path / "logs") if e["event"] == "run_finished"]
    done = invoke("revert", "--run", str(finished[-1]["run_id"]))
    assert done.exit_code == 0, done.output
    for ticket_id in ids:
        assert sn.snapshot(ticket_id).tags == ["ai_processed"], sn.snapshot(ticket_id)


def test_a_run_over_oauths_client_credentials_triages(sn: ServiceNowDesk) -> None:
    ids = sn.create(TICKETS[:2])
    config = sn.sandbox.config
    oauth = {
        "SERVICENOW_USERNAME": None,
        "SERVICENOW_PASSWORD": None,
        "SERVICENOW_CLIENT_ID": config.client_id,
        "SERVICENOW_CLIENT_SECRET": config.client_secret,
    }
    ran = invoke("run", "--engine", "rules", env=oauth)
    assert ran.exit_code == 0, ran.output
    assert all(len(sn.snapshot(i).notes) == 1 for i in ids)
    again = invoke("run", "--engine", "rules", env=oauth)
    assert again.exit_code == 0, again.output
    assert all(len(sn.snapshot(i).notes) == 1 for i in ids)  # its own notes known as its own


def test_a_wrong_password_aborts_the_run_naming_the_setting(sn: ServiceNowDesk) -> None:
    sn.create(TICKETS[:1])
    ran = invoke("run", "--engine", "rules", env={"SERVICENOW_PASSWORD": "wrong-password-xyz"})
    assert ran.exit_code == 1, ran.output
    assert "SERVICENOW_PASSWORD" in ran.output
    assert "wrong-password-xyz" not in ran.output


def test_the_running_summary_goes_in_the_tables_u_column(sn: ServiceNowDesk) -> None:
    ids = sn.create(TICKETS[:2])
    ran = invoke("run", "--engine", "rules", env={"TICKETBOT_SUMMARY_FIELD": "u_ai_summary"})
    assert ran.exit_code == 0, ran.output
    store = sn.sandbox.store
    for ticket_id in ids:
        row = store.find("incident", sn.sandbox.sandbox.record_of("incident", ticket_id) or "")
        assert (row or {}).get("u_ai_summary"), row
