"""``ticketbot report --html`` shows the period's incidents, linked and suggested, and the repeat
tickets flagged, as the text report lists them: a first day's suggested incident was in the text
report and the dashboard but not on the page a team mails round."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from test_report import log_dir, run, write_log  # noqa: F401 - the fixture
from test_report_sections import Page
from typer.testing import CliRunner

from ticket_processor.cli import app

WHY = "the helpdesk has less than a day of tickets; ticketbot links an incident once it has 7 days"


def incident_events() -> list[dict[str, Any]]:
    events = run("r1", "ok", "2026-11-22T10:00:00Z", triaged=30)
    shared = {"ts": "2026-11-22T10:00:00Z", "run_id": "r1", "event": "incident"}
    events += [
        {
            **shared,
            "key": 3,
            "title": "Error when unlocking <b>bikes</b>",
            "reports": 27,
            "first_seen": "2026-11-22T09:40:00Z",
            "linked_now": 0,
            "suggested_now": 27,
            "new": True,
            "suggested": True,
            "why": WHY,
            "tickets": [3, 5, 8],
        },
        {
            **shared,
            "key": 40,
            "title": "Checkout fails",
            "reports": 9,
            "first_seen": "2026-11-22T09:50:00Z",
            "linked_now": 9,
            "new": True,
            "url": "https://acme.zendesk.com/agent/tickets/40",
        },
        {
            **shared,
            "event": "incident_write",
            "action": "flag",
            "ticket_id": 12,
            "earlier": 11,
            "similarity": 0.71,
        },
    ]
    return events


def test_the_html_report_lists_suggested_and_linked_incidents_and_repeats(
    log_dir: Path,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    write_log(log_dir, incident_events(), at=datetime.now(UTC) - timedelta(hours=1))
    target = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--html", str(target)])
    assert result.exit_code == 0, result.output
    # The page is the report: the terminal gets one line saying where it went.
    assert result.stdout.strip() == f"HTML report written to {target}"
    assert "Incidents: 2" in CliRunner().invoke(app, ["report"]).stdout
    text = target.read_text("utf-8")
    page = Page(text)
    assert "Incidents" in page.headings
    rows = page.table("incident")[1:]
    suggested = next(r for r in rows if r[0].startswith("Error when unlocking"))
    assert suggested[1] == "27"
    assert "#3" in suggested[2]
    assert "#8" in suggested[2]
    assert "suggest-only, not linked" in suggested[3]
    assert "less than a day" in suggested[3]
    linked = next(r for r in rows if r[0] == "Checkout fails")
    assert linked[2] == "#40"
    assert "https://acme.zendesk.com/agent/tickets/40" in page.links
    # A ticket's subject is hostile input: escaped, never markup.
    assert "<b>bikes</b>" not in text
    assert "&lt;b&gt;bikes&lt;/b&gt;" in text
    assert "Repeat tickets flagged: 1 (0 merged)" in page.headings
    assert ["#12", "repeats", "#11", "0.71"] in page.table("ticket")


def test_a_period_without_incidents_has_no_incidents_section(
    log_dir: Path,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    write_log(
        log_dir, run("r1", "ok", "2026-11-22T10:00:00Z"), at=datetime.now(UTC) - timedelta(hours=1)
    )
    target = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--html", str(target)])
    assert result.exit_code == 0, result.output
    assert "Incidents" not in Page(target.read_text("utf-8")).headings
