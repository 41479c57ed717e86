"""The report's honesty (dry runs, stopped runs, outcome colours) and its HTML sections, parsed."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from test_report import NOW, failed, run, triaged, write_log
from typer.testing import CliRunner

from ticket_processor.cli import app
from ticket_processor.common.timespec import parse_moment
from ticket_processor.errors import ConfigError
from ticket_processor.report.aggregate import build_report
from ticket_processor.report.html import render_html
from ticket_processor.report.runs import OUTCOME_COLOURS

GREEN = OUTCOME_COLOURS["ok"]


class Page(HTMLParser):
    """Headings, tables (rows of cell texts), links and outcome badges of a report page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.links: list[str] = []
        self.badges: list[tuple[str, str]] = []  # (text, style)
        self._stack: list[tuple[str, dict[str, str | None]]] = []
        self._text = ""
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        self._stack.append((tag, attr))
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th", "h2", "span"):
            self._text = ""
        elif tag == "a" and attr.get("href"):
            self.links.append(str(attr["href"]))

    def handle_endtag(self, tag: str) -> None:
        opened, attr = self._stack.pop() if self._stack else ("", {})
        if tag in ("td", "th"):
            self.tables[-1][-1].append(self._text.strip())
        elif tag == "h2":
            self.headings.append(self._text.strip())
        elif tag == "span" and opened == "span" and attr.get("class") == "outcome":
            self.badges.append((self._text.strip(), str(attr.get("style"))))

    def handle_data(self, data: str) -> None:
        self._text += data

    def table(self, first_header: str) -> list[list[str]]:
        return next(t for t in self.tables if t and t[0] and t[0][0] == first_header)


def outcome_events() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    events += run("ok1", "ok", "2026-11-22T09:00:00Z", triaged=2, seconds=12.5)
    events += [triaged(1, run_id="ok1"), triaged(2, run_id="ok1", engine="learned")]
    events += run("ab1", "aborted", "2026-11-22T09:10:00Z", reason="token refused", exit_code=1)
    events += run("st1", "stopped", "2026-11-22T09:20:00Z", exit_code=143)
    # Before runs said "stopped", a Ctrl-C was logged as ok with exit code 130.
    events += run("st0", "ok", "2026-11-22T09:30:00Z", exit_code=130)
    events.append(
        {"event": "run_started", "ts": "2026-11-22T09:40:00Z", "run_id": "dry", "dry_run": True}
    )
    events += [
        triaged(3, run_id="dry", dry_run=True, category="shipping"),
        failed(4, run_id="dry"),  # ticket_failed carries no dry_run: the run says it
        {"event": "run_finished", "ts": "2026-11-22T09:41:00Z", "run_id": "dry", "status": "ok"},
    ]
    return events


def test_dry_runs_count_nowhere_but_as_dry_runs() -> None:
    report = build_report(outcome_events())
    assert report.tickets_triaged == 2
    assert report.tickets_failed == 0
    assert report.categories == {"billing": 2}
    assert "shipping" not in render_html(report)
    assert (report.dry_runs, report.dry_run_tickets) == (1, 1)
    assert report.engines == {"llm": 1, "learned": 1}


def test_stopped_runs_are_counted_apart_from_ok_ones() -> None:
    report = build_report(outcome_events())
    # The dry run is not an ok run: it counts only on its own line.
    assert report.run_status == {"ok": 1, "stopped": 2, "aborted": 1}
    outcomes = {r.run_id: r.outcome for r in report.run_list}
    assert outcomes == {
        "ok1": "ok",
        "ab1": "aborted",
        "st1": "stopped",
        "st0": "stopped",
        "dry": "ok",
    }


def test_only_ok_runs_are_drawn_green() -> None:
    page = Page(render_html(build_report(outcome_events())))
    assert sorted(text for text, _ in page.badges) == sorted(
        ["ok", "aborted", "stopped", "stopped", "ok"]
    )
    for text, style in page.badges:
        assert (GREEN in style) == (text == "ok"), (text, style)
    # The bar chart of outcomes colours its bars the same way.
    html = render_html(build_report(outcome_events()))
    aborted_bar = html.split("<title>aborted: 1</title>")[0].rsplit("<rect", 1)[1]
    assert GREEN not in aborted_bar
    assert OUTCOME_COLOURS["aborted"] in aborted_bar


def test_runs_table_has_start_duration_tickets_engines_outcome() -> None:
    page = Page(render_html(build_report(outcome_events())))
    table = page.table("run id (ticketbot revert --run)")
    assert table[0][1:] == [
        "start (UTC)", "duration", "tickets", "failed", "fallback", "engines", "outcome"
    ]  # fmt: skip
    rows = [row[1:] for row in table[1:]]  # the run id first: what revert --run takes
    assert table[1][0] in {e["run_id"] for e in outcome_events()}
    newest_first = [row[0] for row in rows]
    assert newest_first == sorted(newest_first, reverse=True)
    ok_row = next(row for row in rows if row[0] == "2026-11-22 09:00")
    assert ok_row[1:4] == ["12.5 s", "2", "0"]
    assert ok_row[5:] == ["llm 1 · learned 1", "ok"]
    aborted = next(row for row in rows if row[0] == "2026-11-22 09:10")
    assert aborted[6] == "aborted token refused"
    dry = next(row for row in rows if row[0] == "2026-11-22 09:40")
    assert dry[6] == "ok dry run"


def test_runs_table_keeps_every_run_that_was_not_ok() -> None:
    events: list[dict[str, Any]] = []
    for i in range(30):
        status = "aborted" if i == 2 else "ok"
        events += run(f"r{i:02d}", status, f"2026-11-22T{i // 6:02d}:{i % 6}0:00Z")
    page = Page(render_html(build_report(events)))
    rows = [row[1:] for row in page.table("run id (ticketbot revert --run)")[1:]]
    assert [row[6] for row in rows] == ["ok"] * 8 + ["aborted"]
    assert rows[-1][0] == "2026-11-22 00:20"
    assert "and 21 older runs that were ok" in render_html(build_report(events))


def test_failed_tickets_are_listed_with_safe_links() -> None:
    events = [
        failed(7, ticket_url="https://acme.zendesk.com/agent/tickets/7", error="422 RecordInvalid"),
        failed(8, ticket_url="javascript:alert(1)"),
        failed(9),
    ]
    page = Page(render_html(build_report(events)))
    assert "Failed tickets" in page.headings
    rows = page.table("ticket")
    assert {row[0] for row in rows[1:]} == {"7", "8", "9"}
    assert [row[3] for row in rows[1:] if row[0] == "7"] == ["422 RecordInvalid"]
    assert page.links == ["https://acme.zendesk.com/agent/tickets/7"]


def test_routes_escalations_and_agreement_appear_only_when_logged() -> None:
    plain = Page(render_html(build_report([triaged(1)])))
    assert not {"Routes", "Groups", "Escalations", "Agents' agreement"} & set(plain.headings)
    assert "Priority set" in plain.headings
    events = [
        triaged(1, route="security", group="Security", escalated=True, priority="urgent"),
        triaged(2, route=["billing", "vip"], group="Billing", priority="high"),
        triaged(3, priority=None),
        {"event": "agreement", "ts": "2026-11-22T11:00:00Z", "run_id": "a", "ticket_id": 1,
         "field": "category", "ticketbot": "billing", "agent": "technical"},
        {"event": "agreement", "ts": "2026-11-22T11:00:00Z", "run_id": "a", "ticket_id": 2,
         "field": "category", "ticketbot": "billing", "agent": "billing"},
        {"event": "agreement", "ts": "2026-11-22T11:00:00Z", "run_id": "a", "ticket_id": 2,
         "field": "urgency", "agreed": True},
    ]  # fmt: skip
    report = build_report(events)
    assert report.routing.routes == {"security": 1, "billing": 1, "vip": 1}
    assert report.routing.groups == {"Security": 1, "Billing": 1}
    assert report.routing.escalated == 1
    assert report.priorities == {"urgent": 1, "high": 1, "unchanged": 1}
    page = Page(render_html(report))
    assert {"Routes", "Groups", "Escalations", "Agents' agreement"} <= set(page.headings)
    agreement = page.table("field")
    assert agreement[1] == ["category", "2", "50.0%", "billing → technical (1)"]
    assert agreement[2] == ["urgency", "1", "100.0%", "–"]


def test_tokens_and_cost_over_time() -> None:
    events = [
        triaged(1, ts="2026-11-22T10:00:00Z"),
        triaged(2, ts="2026-11-22T11:30:00Z", prompt_tokens=3000),
    ]
    report = build_report(events, since=NOW - timedelta(hours=12), until=NOW)
    used = [(b.label, b.prompt_tokens) for b in report.timeline if b.prompt_tokens]
    assert used == [("2026-11-22 10:00", 1000), ("2026-11-22 11:00", 3000)]
    page = render_html(report)
    assert "Tokens and cost over time" in Page(page).headings
    assert "<polyline" in page


@pytest.mark.parametrize(
    ("span", "step", "columns"),
    [
        (timedelta(minutes=30), "10min", 4),
        (timedelta(hours=24), "hour", 25),
        (timedelta(days=7), "day", 8),
        (timedelta(days=30), "day", 31),
    ],
)
def test_tickets_over_time_are_bucketed_to_fit_the_span(
    span: timedelta, step: str, columns: int
) -> None:
    report = build_report([triaged(1, ts="2026-11-22T11:55:00Z")], since=NOW - span, until=NOW)
    assert report.timeline_step == step
    assert len(report.timeline) == columns
    assert sum(b.llm for b in report.timeline) == 1


# --- one parser for every --since ---------------------------------------------------------


def test_timespec_accepts_spans_dates_and_times() -> None:
    assert parse_moment("24h", now=NOW) == NOW - timedelta(hours=24)
    assert parse_moment("2w", now=NOW) == NOW - timedelta(weeks=2)
    assert parse_moment("2026-11-01", now=NOW) == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_moment("2026-11-01T08:00Z", now=NOW) == datetime(2026, 11, 1, 8, tzinfo=UTC)
    moment = parse_moment("2026-11-01T08:00+01:00", now=NOW)
    assert moment == datetime(2026, 11, 1, 7, tzinfo=UTC)
    with pytest.raises(ConfigError, match=r"^--since: 'soon' is neither"):
        parse_moment("soon", now=NOW)


def test_run_since_takes_a_span_too() -> None:
    from ticket_processor.commands.run import _since

    before = datetime.now(UTC)
    moment = _since("7d")
    assert moment is not None
    assert before - timedelta(days=7, seconds=5) < moment <= datetime.now(UTC) - timedelta(days=7)
    assert _since("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)
    result = CliRunner().invoke(app, ["run", "--since", "someday", "--engine", "rules"])
    assert result.exit_code == 2
    assert "--since: 'someday' is neither" in result.stderr


# --- the command ---------------------------------------------------------------------------


def test_report_log_dir_flag(tmp_path: Path) -> None:
    elsewhere = tmp_path / "other-logs"
    write_log(elsewhere, outcome_events(), at=datetime.now(UTC) - timedelta(hours=1))
    default = CliRunner().invoke(app, ["report", "--json"])
    assert default.exit_code == 0
    assert '"runs": 0' in default.stdout
    result = CliRunner().invoke(app, ["report", "--json", "--log-dir", str(elsewhere)])
    assert result.exit_code == 0, result.output
    assert '"runs": 4' in result.stdout  # the dry run is not one of them


def test_report_html_unwritable_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(app, ["report", "--html", str(blocker / "r.html")])
    assert result.exit_code == 2
    assert "--html: cannot write" in result.stderr


def test_report_writes_the_html_and_exits_0_when_stdout_is_closed(tmp_path: Path) -> None:
    """``ticketbot report --html r.html | head``, with the reader gone before the first line."""
    logs = tmp_path / "logs"
    write_log(logs, outcome_events(), at=datetime.now(UTC) - timedelta(hours=1))
    target = tmp_path / "r.html"
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to stdout now fails with EPIPE
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    code = [sys.executable, "-m", "ticket_processor", "report", "--log-dir", str(logs)]
    try:
        done = subprocess.run(
            [*code, "--html", str(target)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 0, done.stderr.decode()
    assert b"Traceback" not in done.stderr
    assert b"BrokenPipe" not in done.stderr
    assert "Runs" in Page(target.read_text("utf-8")).headings


def test_no_command_help_shows_a_value_after_a_flag() -> None:
    import typer

    group = typer.main.get_command(app)
    names = list(getattr(group, "commands", {}))
    assert {"run", "report", "schedule", "health"} <= set(names)
    for name in ["", *names]:
        args = [name, "--help"] if name else ["--help"]
        result = CliRunner().invoke(app, args, env={"COLUMNS": "160"})
        assert result.exit_code == 0, (name, result.output)
        assert "<bool>" not in result.stdout, name
        assert "--help" in result.stdout
    # Options that take a value still say which.
    run_help = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "160"}).stdout
    assert "<int range>" in run_help


def test_report_table_counts_stopped_runs_apart(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    write_log(logs, outcome_events(), at=datetime.now(UTC) - timedelta(hours=1))
    result = CliRunner().invoke(app, ["report", "--log-dir", str(logs)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    runs_line = next(line for line in result.stdout.splitlines() if "│ runs" in line)
    assert "1 ok" in runs_line  # the dry run is on its own line, not here
    assert "2 stopped" in runs_line
    assert "1 aborted" in runs_line
    assert "dry runs, not counted above" in result.stdout
