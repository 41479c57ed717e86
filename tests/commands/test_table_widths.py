"""The per-ticket tables at 100-160 columns: nothing is cropped at the terminal's edge.

Between 120 and about 155 columns rich used to crop the dry run's and the demo's tables (their
unbreakable columns added up to more than the width). Here every ticket id, category and engine
(and the demo's groups) must appear whole at each width, as the command prints it on a terminal
(under 120 columns that is one line a ticket).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.console import Console
from support.cli import invoke

import ticket_processor
from ticket_processor.commands.demo import DemoRow, result_table
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.models import Ticket

WIDTHS = (100, 120, 140, 160)
SAMPLE_ROUTES = Path(ticket_processor.__file__).parent / "sample_routes.toml"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def seeded(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sandbox with the sample groups and 12 sample tickets, ticketbot pointed at it with
    the sample routes; what the dry run plans, one line a ticket, as a pipe gets it."""
    monkeypatch.setenv("ZENDESK_URL", sandbox.url)
    monkeypatch.setenv("ZENDESK_EMAIL", sandbox.config.email)
    monkeypatch.setenv("ZENDESK_API_TOKEN", sandbox.config.token)
    monkeypatch.setenv("TICKETBOT_ROUTES", str(SAMPLE_ROUTES))
    assert invoke("seed", "--count", "12").exit_code == 0
    piped = invoke("run", "--dry-run")
    assert piped.exit_code == 0, piped.output
    return [line for line in piped.output.splitlines() if line.startswith("ticket ")]


@pytest.mark.slow
def test_the_dry_run_shows_every_id_category_and_engine_at_each_width(seeded: list[str]) -> None:
    assert len(seeded) == 12
    expected = []
    for planned in seeded:
        found = re.match(r"ticket (\d+): category=(\S+) .* engine=(\S+)", planned)
        assert found, planned
        expected.append(found.groups())
    for width in WIDTHS:  # one seeded sandbox for all four: a dry run writes nothing
        env = {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "0", "COLUMNS": str(width)}
        shown = invoke("run", "--dry-run", env={**env, "NO_COLOR": "1"})
        assert shown.exit_code == 0, shown.output
        output = ANSI.sub("", shown.output)
        for ticket_id, category, engine in expected:
            assert re.search(rf"(ticket |│ *){ticket_id}[ :]", output), (width, ticket_id, output)
            assert category in output, (width, category, output)
            assert engine.split("/")[0] in output, (width, engine, output)
        if width >= 120:  # a table, not the lines a pipe gets, and none wider than the terminal
            assert "┃ ticket" in output, (width, output)
            # The right edge is there: no column was cut off at the terminal's edge.
            assert "┓" in output, (width, output)
            assert "┘" in output, (width, output)
            assert max(len(line) for line in output.splitlines()) <= width, (width, output)


def demo_rows() -> list[DemoRow]:
    """Rows with the longest values the samples produce."""
    rows = []
    for number, (category, urgency, group) in enumerate(
        [
            ("feature_request", "critical", "Technical"),
            ("billing", "high", "Billing"),
            ("security", "critical", "Security"),
        ],
        start=1001,
    ):
        before = Ticket(
            id=number,
            subject="Export to CSV produces an empty file since this morning",
            priority="low",
            tags=("vip", "enterprise_plan"),
        )
        added = ("ai_processed", f"ai_category_{category}", f"ai_urgency_{urgency}", "ai_escalated")
        after = before.model_copy(update={"priority": "urgent", "tags": before.tags + added})
        note = "Summary: " + "the customer cannot export anything since this morning " * 4
        rows.append(DemoRow(before, after, note, group))
    return rows


@pytest.mark.parametrize("width", WIDTHS[1:])  # under 120 the demo prints lines
def test_the_demo_table_shows_every_id_category_and_group_at(width: int) -> None:
    console = Console(width=width, force_terminal=True, color_system=None)
    rows = demo_rows()
    with console.capture() as captured:
        console.print(result_table(rows, total=3, prefix="ai_", width=console.width))
    output = captured.get()
    for row in rows:
        found = row.tagged("ai_")
        for value in (str(row.after.id), found["category"], found["urgency"], row.group):
            assert value in output, (value, output)
        assert "enterprise_plan" in output
    assert "(escalated)" in output
    assert "┓" in output  # the right edge: no column was cut off
