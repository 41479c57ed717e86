"""``ticketbot seed --from`` on each helpdesk: every ticket of the file is asked by a customer of
its own, none of them a sample ticket's. Before, the file's tickets took the sample customers of
their positions (the first file ticket was sample ticket 1's customer's), so a send-mode run
held the file's answerable tickets back with the answers' loop guard (that customer had just
been answered on the sample ticket): a reason the sandbox made, not the guard's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.helpdesks.samples import parse_lines, requester_email
from ticket_processor.sandbox.desks import Desk

ROWS = [
    {"subject": "Schedule reports", "description": "How do I schedule reports by email?"},
    {"subject": "Dark mode", "description": "How do I turn on dark mode?"},
    {"subject": "Export", "description": "Can I export my invoices to CSV?"},
]


@pytest.mark.desk(seed=None, configure=True)
def test_tickets_from_a_file_are_asked_by_customers_of_their_own(
    desk: Desk, tmp_path: Path
) -> None:
    samples = invoke("seed", "--count", "5")
    assert samples.exit_code == 0, samples.output
    source = tmp_path / "mine.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in ROWS), encoding="utf-8")
    mine = invoke("seed", "--from", str(source))
    assert mine.exit_code == 0, mine.output
    subjects = {row["subject"] for row in ROWS}
    tickets = desk.asked()
    theirs = {t.requester for t in tickets if t.subject in subjects}
    others = {t.requester for t in tickets if t.subject not in subjects}
    assert len(theirs) == len(ROWS), tickets
    assert not theirs & others


def test_a_file_s_tickets_name_their_own_customer() -> None:
    found = parse_lines(json.dumps(row) for row in [*ROWS, ROWS[0]])
    emails = [t.requester for t in found.tickets]
    assert len(set(emails[:3])) == 3
    assert emails[3] == emails[0]  # the same file seeded again asks the same customers
    assert not {requester_email(n) for n in range(1, 5)} & set(emails)
