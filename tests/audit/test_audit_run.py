"""A run writes the audit store as it goes, on each helpdesk: every decision with its values
and what was written, the run itself, shadow and dry runs marked; a store that cannot be
reached leaves the run as it was, with a warning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.e2e import events

from ticket_processor.audit.queries import Decision, DecisionFilter, DecisionQuery
from ticket_processor.audit.store import AuditStore
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)
TICKETS = [
    NewTicket("Refund please", "I want a refund for order 4411, money back please."),
    NewTicket("Invoice", "Please send me the invoice for last month."),
    NewTicket("App crash", "The app crashes with an error when I save."),
]


def stored(tmp_path: Path, **where: Any) -> list[Decision]:
    with AuditStore.open(None, state_dir=tmp_path / "state", account="") as probe:
        accounts = probe.engine.connect().exec_driver_sql("SELECT DISTINCT account FROM decisions")
        [account] = [row[0] for row in accounts]
    with AuditStore.open(None, state_dir=tmp_path / "state", account=account) as store:
        page = store.list_decisions(DecisionQuery(DecisionFilter(**where), limit=500))
        return list(page.rows)


def test_a_run_stores_every_decision_and_what_it_wrote(desk: Desk, tmp_path: Path) -> None:
    ids = desk.create(TICKETS)
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    logged = {
        e["ticket_id"]: e for e in events(tmp_path / "logs") if e["event"] == "ticket_triaged"
    }
    rows = {row.ticket_id: row for row in stored(tmp_path)}
    assert set(rows) == set(ids)
    for ticket_id, subject in zip(ids, ("Refund please", "Invoice", "App crash"), strict=True):
        row = rows[ticket_id]
        event = logged[ticket_id]
        assert row.subject == subject
        assert (row.status, row.mode, row.helpdesk, row.kind) == (
            "written",
            "normal",
            desk.kind,
            "triage",
        )
        assert (row.category, row.urgency, row.sentiment, row.language, row.engine) == (
            event["category"],
            event["urgency"],
            event["sentiment"],
            event["language"],
            "rules",
        )
        assert row.tags == event["tags_added"]
        assert row.priority == event["priority"]
        assert row.decision in ("applied", "suggested", "abstained")
        # The whole event is kept: a field added to events later is stored without a column.
        assert row.event is not None
        assert {k: v for k, v in row.event.items()} == event
        assert row.tags
        assert set(row.tags) <= set(desk.snapshot(ticket_id).tags)  # what it wrote is there
    with AuditStore.open(None, state_dir=tmp_path / "state", account=row.account) as store:
        [run] = store.recent_runs()
        history = store.ticket_history(ids[0])
    assert (run.mode, run.status, run.triaged, run.helpdesk) == ("normal", "ok", 3, desk.kind)
    assert run.finished_at is not None
    assert [(w.kind, w.ok) for w in history.writes] == [("triage", True)]
    assert history.writes[0].tags_added == rows[ids[0]].tags


def test_shadow_and_dry_runs_are_stored_and_marked(desk: Desk, tmp_path: Path) -> None:
    ids = desk.create(TICKETS[:2])
    assert invoke("run", "--shadow", "--engine", "rules").exit_code == 0
    assert invoke("run", "--dry-run", "--engine", "rules").exit_code == 0
    shadow = stored(tmp_path, mode="shadow")
    dry = stored(tmp_path, mode="dry-run")
    assert sorted(r.ticket_id for r in shadow) == sorted(ids)
    assert {r.status for r in shadow} == {"shadow"}
    assert sorted(r.ticket_id for r in dry) == sorted(ids)
    assert {r.status for r in dry} == {"dry-run"}
    # The shadow run keeps its own state directory, but the store is the one beside it.
    assert not (tmp_path / "state" / "shadow" / "audit.sqlite3").exists()


def test_a_store_out_of_reach_leaves_the_run_as_it_was(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_DATABASE_URL", "postgresql://ticketbot:s3cret-pw@127.0.0.1:1/x")
    ids = desk.create(TICKETS[:1])
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    assert len(desk.snapshot(ids[0]).notes) == 1
    # Not only in the log: said on stderr, once, with where and what to do.
    assert result.output.count("the audit store could not be used") == 1, result.output
    assert "127.0.0.1:1" in result.output
    assert "audit import" in result.output
    assert "s3cret-pw" not in result.output
    logged = events(tmp_path / "logs")
    [warning] = [e for e in logged if e["event"] == "audit_unavailable"]
    assert "127.0.0.1:1" in warning["reason"]
    assert "s3cret-pw" not in str(logged)


def test_a_revert_is_stored_with_each_ticket_it_undid(desk: Desk, tmp_path: Path) -> None:
    ids = desk.create(TICKETS[:2])
    assert invoke("run", "--engine", "rules").exit_code == 0
    [row] = stored(tmp_path)[:1]
    undone = invoke("revert", "--run", row.run_id)
    assert undone.exit_code == 0, undone.output
    with AuditStore.open(None, state_dir=tmp_path / "state", account=row.account) as store:
        for ticket_id in ids:
            history = store.ticket_history(ticket_id)
            [revert] = history.reverts
            assert (revert.reverted_run_id, revert.ok) == (row.run_id, True)
            assert [w.kind for w in history.writes] == ["triage", "revert"]
            triage, revert_write = history.writes
            removed = set(revert_write.tags_removed or [])
            assert removed
            assert removed <= set(triage.tags_added or [])  # what the run had added


def test_a_database_url_that_is_not_postgresql_is_refused_by_a_dry_run_too(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_DATABASE_URL", "mysql://ticketbot:s3cret-pw@127.0.0.1/x")
    ids = desk.create(TICKETS[:1])
    for args in (("--dry-run",), ()):
        result = invoke("run", "--engine", "rules", *args)
        assert result.exit_code == 2, result.output
        assert "TICKETBOT_DATABASE_URL: must be a postgresql:// URL" in result.output
        assert "'mysql'" in result.output
        assert "s3cret-pw" not in result.output
    assert desk.snapshot(ids[0]).notes == []


RAW_SUBJECT = "Card 4111 1111 1111 1111 charged twice - Will Baker, will.baker@example.com"


@pytest.mark.parametrize("raw", [False, True], ids=["redacted", "raw"])
def test_subjects_are_stored_redacted_unless_configured_raw(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw: bool
) -> None:
    """The store and its search index keep a subject as the LLM gets it (card, e-mail and the
    requester's name replaced), or, with TICKETBOT_AUDIT_RAW_SUBJECTS, as the helpdesk has it."""
    if raw:
        monkeypatch.setenv("TICKETBOT_AUDIT_RAW_SUBJECTS", "true")
    (ticket_id,) = desk.create(
        [NewTicket(RAW_SUBJECT, "Refund, please.", requester_name="Will Baker")]
    )
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    [row] = stored(tmp_path)
    found = {word: [r.ticket_id for r in stored(tmp_path, text=word)] for word in ("4111", "Baker")}
    if raw:
        assert row.subject == RAW_SUBJECT
        assert found == {"4111": [ticket_id], "Baker": [ticket_id]}
    else:
        assert row.subject == "Card [CARD] charged twice - [NAME], [EMAIL]"
        assert found == {"4111": [], "Baker": []}


def test_a_damaged_store_is_replaced_and_the_run_says_how_to_load_its_history_back(
    desk: Desk, tmp_path: Path
) -> None:
    desk.create(TICKETS)
    first = invoke("run", "--engine", "rules")
    assert first.exit_code == 0, first.output
    (tmp_path / "state" / "audit.sqlite3").write_bytes(b"\x00\x01garbage")
    second = invoke("run", "--engine", "rules")
    assert second.exit_code == 0, second.output
    said = " ".join(second.output.split())
    # Before, only "set aside and replaced by safe defaults: audit.sqlite3": a review found
    # the dashboard empty and no word of ``audit import``.
    command = f"ticketbot audit import {tmp_path / 'logs'}"
    assert "the audit store starts empty (the dashboard, report and revert read it)" in said
    assert command in said, second.output
    loaded = invoke("audit", "import", str(tmp_path / "logs"))
    assert loaded.exit_code == 0, loaded.output
    assert len(stored(tmp_path)) == len(TICKETS)
