"""The audit store in PostgreSQL (``TICKETBOT_DATABASE_URL``), against a real server the tests
start (``support.postgres``): the same run stores the same rows as in the embedded SQLite
store, on each helpdesk; accounts share one store without seeing each other's rows; two
processes opening an old store at once upgrade it once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke

from ticket_processor.audit.queries import DecisionQuery
from ticket_processor.audit.store import SCHEMA_VERSION, AuditStore
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import NewTicket, serve_desk

pytestmark = pytest.mark.postgres
TICKETS = [
    NewTicket("Refund please", "I want a refund for order 4411, money back please."),
    NewTicket("Invoice", "Please send me the invoice for last month.", priority="high"),
    NewTicket("App crash", "The app crashes with an error when I save. Urgent!"),
    NewTicket("Password", "I forgot my password and cannot log in."),
]
# What differs between two runs of the same tickets: the run, its moments, the sandbox's port,
# and the ids the helpdesk gives the notes (in the order the workers happen to post them).
MOVING = ("id", "run_id", "at", "ticket_url", "account", "note_id")
MOVING_EVENT = ("ts", "run_id", "ticket_url", "seconds", "llm_seconds", "note_id")


def run_and_read(
    kind: str, work: Path, monkeypatch: pytest.MonkeyPatch, url: str | None
) -> list[dict[str, Any]]:
    """Fresh sandbox, the same tickets, one run; the decisions as stored, less what moves."""
    with serve_desk(KINDS[kind]) as desk, monkeypatch.context() as env:
        for name, value in desk.env().items():
            env.setenv(name, value)
        env.setenv("TICKETBOT_STATE_DIR", str(work / "state"))
        env.setenv("TICKETBOT_LOG_DIR", str(work / "logs"))
        if url is not None:
            env.setenv("TICKETBOT_DATABASE_URL", url)
        desk.create(TICKETS)
        result = invoke("run", "--engine", "rules")
        assert result.exit_code == 0, result.output
    with AuditStore.open(url, state_dir=work / "state", account=f"{kind}:127.0.0.1") as store:
        # By ticket: the order of the moments depends on which worker finished first.
        rows = store.list_decisions(DecisionQuery(sort="ticket_id", limit=500)).rows
    found = []
    for row in rows:
        values = {k: v for k, v in vars(row).items() if k not in MOVING}
        values["event"] = {k: v for k, v in (row.event or {}).items() if k not in MOVING_EVENT}
        found.append(values)
    return found


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_same_run_stores_the_same_rows_in_sqlite_and_postgresql(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    embedded = run_and_read(kind, tmp_path / "sqlite", monkeypatch, None)
    shared = run_and_read(kind, tmp_path / "pg", monkeypatch, postgres_url)
    assert len(embedded) == len(TICKETS)
    assert [r["status"] for r in embedded] == ["written"] * len(TICKETS)
    assert shared == embedded
    assert (tmp_path / "sqlite" / "state" / "audit.sqlite3").is_file()
    assert not (tmp_path / "pg" / "state" / "audit.sqlite3").exists()


def test_accounts_share_one_store_and_see_their_own_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    by_kind = {
        kind: run_and_read(kind, tmp_path / kind, monkeypatch, postgres_url) for kind in KINDS
    }
    with AuditStore.open(postgres_url, state_dir=tmp_path, account="") as store:
        assert sorted(store.accounts()) == sorted(f"{kind}:127.0.0.1" for kind in KINDS)
    for kind, rows in by_kind.items():
        assert {r["helpdesk"] for r in rows} == {kind}
        assert len(rows) == len(TICKETS)


OPEN_OLD = """
import sys
from pathlib import Path
from ticket_processor.audit.store import AuditStore
store = AuditStore.open(sys.argv[1], state_dir=Path("."), account="x")
print(store.version())
"""


def test_processes_opening_an_old_store_at_once_upgrade_it_once(postgres_url: str) -> None:
    with AuditStore.open(postgres_url, state_dir=Path("."), upgrade=False) as store:
        store.upgrade("0001")
    children = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_OLD, postgres_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    said = [child.communicate(timeout=120) for child in children]
    assert [child.returncode for child in children] == [0, 0, 0], said
    assert [out.strip() for out, _ in said] == [SCHEMA_VERSION] * 3
