"""``ticketbot report`` reads the audit store when there is one: the same figures as from the
logs (agents' corrections included), on each helpdesk, and still there once the logs are
gone; a store that does not reach back as far as the logs leaves the report on the logs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke

from ticket_processor.audit.store import FILE_NAME
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)
TICKETS = [
    NewTicket("Refund please", "I returned the blender and still have no refund."),
    NewTicket("App crashes", "Since the update the app crashes at login. Error 500."),
    NewTicket("Invoice question", "Why was I charged twice on my March invoice?"),
    NewTicket("Where is my parcel", "My order has not arrived, tracking shows nothing."),
]


def solve_as_other(desk: Desk, ticket_id: int) -> None:
    """An agent re-labels the ticket's category ``other`` and solves it."""
    tags = [t for t in desk.snapshot(ticket_id).tags if not t.startswith("ai_category_")]
    tags.append("ai_category_other")
    desk.agent_solves(ticket_id, tags=tags)
    assert sorted(desk.snapshot(ticket_id).tags) == sorted(tags)


def figures(*args: str) -> dict[str, Any]:
    shown = invoke("report", "--since", "1h", "--json", *args)
    assert shown.exit_code == 0, shown.output
    found: dict[str, Any] = json.loads(shown.output)
    # The report's clock, a count of the logs' own, the moments of the window's first and
    # last line (the store keeps runs and decisions, not every line of the logs).
    for moving in ("since", "until", "corrupt_lines", "first_event", "last_event"):
        found.pop(moving, None)
    return found


def test_the_report_from_the_store_is_the_report_from_the_logs(desk: Desk, tmp_path: Path) -> None:
    ids = desk.create(TICKETS)
    assert invoke("run", "--engine", "rules").exit_code == 0
    assert invoke("run", "--dry-run", "--engine", "rules").exit_code == 0
    for ticket_id in ids[:2]:
        solve_as_other(desk, ticket_id)
    assert invoke("run", "--engine", "rules").exit_code == 0
    from_logs = figures("--log-dir", str(tmp_path / "logs"))
    assert from_logs["tickets_triaged"] == len(ids)
    category = next(a for a in from_logs["agreement"] if a["field"] == "category")
    assert category["compared"] == 2
    from_store = figures()
    assert from_store == from_logs
    shutil.rmtree(tmp_path / "logs")
    assert figures() == from_logs  # nothing left but the store


def test_a_store_younger_than_the_logs_leaves_the_report_on_the_logs(
    desk: Desk, tmp_path: Path
) -> None:
    desk.create(TICKETS[:2])
    assert invoke("run", "--engine", "rules").exit_code == 0
    for path in (tmp_path / "state").glob(FILE_NAME + "*"):
        path.unlink()  # as if the store came after this run
    desk.create(TICKETS[2:])
    assert invoke("run", "--engine", "rules").exit_code == 0
    assert figures()["tickets_triaged"] == len(TICKETS)
    assert invoke("audit", "import", str(tmp_path / "logs")).exit_code == 0
    shutil.rmtree(tmp_path / "logs")
    assert figures()["tickets_triaged"] == len(TICKETS)
