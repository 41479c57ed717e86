"""``ticketbot audit import``: past logs into the store, the same rows a live run stored,
twice the same as once; an agent's later labels become corrections."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from support.cli import invoke

from ticket_processor.audit.importer import import_logs
from ticket_processor.audit.queries import DecisionQuery
from ticket_processor.audit.store import FILE_NAME, SCHEMA_VERSION, AuditStore
from ticket_processor.common.eventlog import log_file_name
from ticket_processor.sandbox.desks import Desk, NewTicket

ACCOUNT = "zendesk:acme.zendesk.com"


def rows(state: Path, account: str) -> list[dict[str, Any]]:
    """Every decision as stored, but for what only a live run knows (the subject) and the
    row's own number."""
    with AuditStore.open(None, state_dir=state, account=account) as store:
        page = store.list_decisions(DecisionQuery(limit=500, descending=False))
    return [
        {k: v for k, v in vars(row).items() if k not in ("id", "subject", "answer")}
        for row in page.rows
    ]


@pytest.mark.desk(configure=True)
def test_importing_the_logs_makes_the_rows_the_run_stored(desk: Desk, tmp_path: Path) -> None:
    desk.create(
        [NewTicket("Refund", "Money back for order 4411"), NewTicket("Crash", "It crashes")]
    )
    assert invoke("run", "--engine", "rules").exit_code == 0
    desk.create([NewTicket("Invoice", "Send me the invoice")])
    assert invoke("run", "--engine", "rules").exit_code == 0
    state = tmp_path / "state"
    with AuditStore.open(None, state_dir=state) as probe:
        [account] = probe.accounts()
    live = rows(state, account)
    assert len(live) == 3
    (state / FILE_NAME).rename(tmp_path / "live.sqlite3")
    for suffix in ("-wal", "-shm"):
        (state / (FILE_NAME + suffix)).unlink(missing_ok=True)
    result = invoke("audit", "import", str(tmp_path / "logs"))
    assert result.exit_code == 0, result.output
    assert "3 decision(s) in" in result.output
    assert "3 of them new" in result.output
    assert rows(state, account) == live
    with AuditStore.open(None, state_dir=state, account=account) as store:
        counted = store.row_counts()
    again = invoke("audit", "import", str(tmp_path / "logs"))
    assert again.exit_code == 0, again.output
    assert "0 of them new" in again.output  # twice is once, and says so
    with AuditStore.open(None, state_dir=state, account=account) as store:
        assert store.row_counts() == counted
        assert counted["runs"] == 2
        assert counted["writes"] == 3
    info = invoke("audit", "info")
    assert info.exit_code == 0, info.output
    assert f"schema: {SCHEMA_VERSION}" in info.output
    assert "decisions: 3" in info.output


def write_log(directory: Path, events: list[dict[str, Any]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    lines = b"".join(orjson.dumps(e) + b"\n" for e in events)
    (directory / log_file_name(date(2026, 11, 20))).write_bytes(
        lines + b'{"ts": "2026-11-20T10:0'  # a line cut short by a kill
    )


def test_an_agents_later_labels_become_corrections(tmp_path: Path) -> None:
    write_log(
        tmp_path / "logs",
        [
            {
                "ts": "2026-11-20T10:00:00Z",
                "event": "run_started",
                "run_id": "r1",
                "helpdesk": "zendesk",
                "dry_run": False,
                "shadow": False,
            },
            {
                "ts": "2026-11-20T10:00:01Z",
                "event": "ticket_triaged",
                "run_id": "r1",
                "ticket_id": 7,
                "category": "billing",
                "urgency": "high",
                "sentiment": "neutral",
                "language": "en",
                "confidence": 0.9,
                "engine": "llm",
                "model": "m",
                "field_confidence": {"category": 0.62},
                "decisions": {"category": "suggest"},
                "tags_added": ["ai_processed"],
                "priority": "high",
                "dry_run": False,
                "new_field_nobody_knows": {"x": 1},
            },
            {
                "ts": "2026-11-20T10:00:02Z",
                "event": "run_finished",
                "run_id": "r1",
                "status": "ok",
                "exit_code": 0,
                "triaged": 1,
                "failed": 0,
                "tickets_seen": 1,
            },
            {
                "ts": "2026-11-20T12:00:00Z",
                "event": "ticket_outcome",
                "run_id": "r2",
                "ticket_id": 7,
                "status": "solved",
                "labels": {"category": "refund", "urgency": "high"},
            },
        ],
    )
    with AuditStore.open(None, state_dir=tmp_path / "state", account=ACCOUNT) as store:
        result = import_logs(store, tmp_path / "logs")
        assert (result.events, result.decisions, result.corrupt_lines) == (4, 1, 1)
        history = store.ticket_history(7)
        [decision] = history.decisions
        assert (decision.category, decision.decision, decision.category_decision) == (
            "billing",
            "suggested",
            "suggested",
        )
        assert decision.category_confidence == 0.62
        assert decision.event is not None
        assert decision.event["new_field_nobody_knows"] == {"x": 1}
        assert decision.outcome == "solved"
        assert decision.corrected
        assert sorted((c.field, c.ticketbot, c.agent, c.agreed) for c in history.corrections) == [
            ("category", "billing", "refund", False),
            ("urgency", "high", "high", True),
        ]
        import_logs(store, tmp_path / "logs")
        assert len(store.ticket_history(7).corrections) == 2
        [run] = store.recent_runs()
        assert (run.run_id, run.status, run.triaged, run.helpdesk) == ("r1", "ok", 1, "zendesk")


def test_a_store_out_of_reach_is_said_so_not_cannot_write(tmp_path: Path) -> None:
    url = "postgresql://ticketbot:s3cret-pw@127.0.0.1:1/missing"
    info = invoke("audit", "info", env={"TICKETBOT_DATABASE_URL": url})
    assert info.exit_code == 1, info.output
    assert "cannot reach the audit store" in info.output
    assert "cannot write" not in info.output
    assert "s3cret-pw" not in info.output
