"""A damaged audit store is said, on each helpdesk: a run still triages and writes to the
helpdesk, keeps its events in the log and warns once, naming the file and how to recover it;
``audit info`` says so in one line (exit 2), ``health`` is degraded, the report reads the logs
and says why. A first-day review found ``report`` and ``audit info`` dying with a traceback
("database disk image is malformed"), ``health`` healthy and a run saying ok with no warning.

The damage is real: garbage written over a page of the ``decisions`` table of a store runs
made, as a torn write or another file's pages leave it.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from support.cli import invoke
from support.damage import damage_pages
from support.e2e import events

from ticket_processor.audit.writer import FILE_NAME
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)
FIRST = [
    NewTicket("Refund please", "I want a refund for order 4411, money back please."),
    NewTicket("Invoice", "Please send me the invoice for last month."),
]
LATER = [NewTicket("App crash", "The app crashes with an error when I save.")]


@pytest.fixture
def damaged(desk: Desk, tmp_path: Path) -> Path:
    """A store that runs made, then damaged; no process holds it."""
    desk.create(FIRST)
    assert invoke("run", "--engine", "rules").exit_code == 0
    store = tmp_path / "state" / FILE_NAME
    damage_pages(store)
    return store


def said_damaged(text: str, store: Path) -> bool:
    return f"{store} could not be read: it is damaged" in text and "audit import" in text


def test_a_run_on_a_damaged_store_triages_writes_and_warns_once(
    desk: Desk, tmp_path: Path, damaged: Path
) -> None:
    ids = desk.create(LATER)
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    assert len(desk.snapshot(ids[0]).notes) == 1  # the helpdesk is written all the same
    assert result.output.count("the audit store could not be used") == 1, result.output
    assert said_damaged(result.output, damaged), result.output
    logged = events(tmp_path / "logs")
    assert ids[0] in {e["ticket_id"] for e in logged if e["event"] == "ticket_triaged"}
    warnings = [e for e in logged if e["event"] == "audit_unavailable"]
    assert len(warnings) == 1
    assert said_damaged(warnings[0]["reason"], damaged)


def test_a_run_with_nothing_to_triage_warns_too(damaged: Path) -> None:
    """The reviewer's last run triaged nothing and wrote only its own row, which SQLite could
    still place: it said ok without a word."""
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    assert said_damaged(result.output, damaged), result.output


def test_audit_info_says_it_in_one_line(damaged: Path) -> None:
    result = invoke("audit", "info")
    assert result.exit_code == 2, result.output
    assert said_damaged(result.output, damaged), result.output
    assert "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0, result.output


def test_health_says_degraded_and_what_to_do(damaged: Path) -> None:
    """Degraded, not unhealthy: triage goes on, and serve's readiness follows health's verdict
    (unhealthy would take a working server out of its load balancer)."""
    result = invoke("health", "--json")
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["audit store"]["status"] == "degraded"
    assert json.loads(result.stdout)["status"] != "healthy"
    reason = checks["audit store"]["reason"]
    assert f"{damaged} is damaged" in reason
    assert "audit import" in reason


def test_health_says_a_whole_store_is_whole(desk: Desk, tmp_path: Path) -> None:
    desk.create(FIRST)
    assert invoke("run", "--engine", "rules").exit_code == 0
    result = invoke("health", "--json")
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["audit store"]["status"] == "healthy"


def test_the_report_reads_the_logs_and_says_why(damaged: Path) -> None:
    result = invoke("report")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert result.output.count("could not be read: it is damaged") == 1, result.output
    assert said_damaged(result.output, damaged)


def test_moved_aside_the_next_run_starts_a_new_store_and_import_loads_the_logs(
    desk: Desk, tmp_path: Path, damaged: Path
) -> None:
    """The recovery the docs give without sqlite3: the file and its companions moved aside."""
    aside = tmp_path / "aside"
    aside.mkdir()
    for path in damaged.parent.glob(FILE_NAME + "*"):
        path.rename(aside / path.name)
    ids = desk.create(LATER)
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    assert "could not be used" not in result.output
    assert invoke("audit", "import", str(tmp_path / "logs")).exit_code == 0
    conn = sqlite3.connect(damaged)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = {row[0] for row in conn.execute("SELECT ticket_id FROM decisions")}
    finally:
        conn.close()
    assert set(ids) < stored
    assert len(stored) == len(FIRST) + len(LATER)
