"""Report: figures from events (pure), the HTML page, and ``ticketbot report`` end to end."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ticket_processor.cli import app
from ticket_processor.common.eventlog import EventLog
from ticket_processor.errors import ConfigError
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.report.aggregate import Report, build_report, parse_since, percentile
from ticket_processor.report.html import render_html
from ticket_processor.report.prices import DEFAULT_PRICES, parse_prices, price_for, pricer

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def triaged(ticket_id: int, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event": "ticket_triaged",
        "ts": "2026-11-22T10:00:00.000Z",
        "run_id": "r1",
        "ticket_id": ticket_id,
        "category": "billing",
        "urgency": "high",
        "sentiment": "negative",
        "language": "en",
        "engine": "llm",
        "model": "gpt-4o-mini",
        "fallback": False,
        "cached": False,
        "prompt_tokens": 1000,
        "completion_tokens": 100,
        "llm_seconds": 0.8,
        "seconds": 1.0,
        "dry_run": False,
    }
    return {**base, **fields}


def failed(
    ticket_id: int, error_type: str = "HelpdeskServerError", **fields: Any
) -> dict[str, Any]:
    return {
        "event": "ticket_failed",
        "ts": "2026-11-22T10:00:01.000Z",
        "run_id": "r1",
        "ticket_id": ticket_id,
        "stage": "write",
        "error_type": error_type,
        "error": f"{error_type} on ticket {ticket_id}",
        **fields,
    }


def run(run_id: str, status: str, ts: str, **fields: Any) -> list[dict[str, Any]]:
    return [
        {"event": "run_started", "ts": ts, "run_id": run_id, "dry_run": False},
        {"event": "run_finished", "ts": ts, "run_id": run_id, "status": status, **fields},
    ]


def sample_events() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    events += run("r1", "partial", "2026-11-22T10:00:00Z", triaged=8, failed=2)
    events += run("r2", "aborted", "2026-11-22T10:10:00Z", reason="Zendesk rejected the token")
    events.append({"event": "run_started", "ts": "2026-11-22T10:20:00Z", "run_id": "r3"})
    # 8 triaged: seconds 1..8; two by the rules after an LLM failure, one cached.
    for i in range(1, 9):
        fields: dict[str, Any] = {"seconds": float(i)}
        if i in (7, 8):
            fields |= {
                "engine": "rules",
                "fallback": True,
                "fallback_reason": "LLMServerError",
                "model": None,
                "prompt_tokens": 0,
                "completion_tokens": 0,
                "category": "technical",
                "sentiment": "neutral",
            }
        if i == 6:
            fields |= {"cached": True, "prompt_tokens": 0, "completion_tokens": 0}
        events.append(triaged(i, **fields))
    events += [failed(9), failed(10), failed(11, "RecordInvalidError")]
    return events


def test_report_figures() -> None:
    report = build_report(sample_events())
    assert report.runs == 3
    assert report.run_status == {"partial": 1, "aborted": 1, "unfinished": 1}
    assert report.aborts == {"Zendesk rejected the token": 1}
    assert report.tickets_triaged == 8
    assert report.tickets_failed == 3
    assert report.distinct_tickets == 11
    assert report.success_rate == pytest.approx(8 / 11)
    assert report.fallback_rate == pytest.approx(2 / 8)
    assert report.cached_rate == pytest.approx(1 / 8)
    assert report.latency_p50 == pytest.approx(4.5)
    assert report.latency_p95 == pytest.approx(7.65)
    assert report.categories == {"billing": 6, "technical": 2}
    assert report.sentiments == {"negative": 6, "neutral": 2}
    assert report.engines == {"llm": 6, "rules": 2}
    assert report.fallback_reasons == {"LLMServerError": 2}
    # 5 uncached LLM calls of 1,000 + 100 tokens at 0.15 / 0.60 USD per million.
    assert report.prompt_tokens == 5000
    assert report.completion_tokens == 500
    assert report.cost_usd == pytest.approx((5000 * 0.15 + 500 * 0.60) / 1e6)
    assert [(f.error_type, f.count) for f in report.failures] == [
        ("HelpdeskServerError", 2),
        ("RecordInvalidError", 1),
    ]
    assert report.failures[1].example == "RecordInvalidError on ticket 11"
    # Events span 20 minutes: one column per 10 minutes, the empty ones drawn too.
    assert cells(report) == [
        ("2026-11-22 10:00", 6, 2, 3),
        ("2026-11-22 10:10", 0, 0, 0),
        ("2026-11-22 10:20", 0, 0, 0),
    ]
    assert report.timeline_step == "10min"
    assert report.timeline[0].prompt_tokens == 5000
    assert report.timeline[0].cost_usd == pytest.approx(report.cost_usd)


def test_report_json_round_trips() -> None:
    data = json.loads(json.dumps(build_report(sample_events()).to_dict()))
    assert data["tickets_triaged"] == 8
    first = data["timeline"][0]
    assert (first["bucket"], first["llm"], first["learned"], first["rules"], first["failed"]) == (
        "2026-11-22 10:00",
        6,
        0,
        2,
        3,
    )
    assert [r["outcome"] for r in data["run_list"]] == ["partial", "aborted", "unfinished"]


def test_empty_and_odd_events_do_not_break_the_report() -> None:
    assert build_report([]).empty
    odd: list[dict[str, Any]] = [
        {"event": "ticket_triaged"},
        {"event": "ticket_triaged", "ts": "yesterday", "seconds": "fast", "prompt_tokens": None},
        {"event": "mystery", "ts": "2026-11-22T10:00:00Z"},
    ]
    report = build_report(odd)
    assert report.tickets_triaged == 2
    assert report.latency_p50 is None
    assert report.categories == {"unknown": 2}


def test_prices() -> None:
    assert price_for("gpt-4o-mini-2024-07-18", DEFAULT_PRICES) == (0.15, 0.60)
    assert price_for("gpt-4o-2024-08-06", DEFAULT_PRICES) == (2.50, 10.00)
    assert price_for("llama3.1:8b", DEFAULT_PRICES) == (0.0, 0.0)
    assert parse_prices("gpt-4o-mini=0.2/0.8, llama3.1=1/2") == {
        "gpt-4o-mini": (0.2, 0.8),
        "llama3.1": (1.0, 2.0),
    }
    with pytest.raises(ConfigError, match="TICKETBOT_PRICES"):
        parse_prices("gpt-4o-mini=cheap")
    price = pricer({**DEFAULT_PRICES, "local": (1.0, 2.0)})
    assert price("gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.75)
    assert price("local", 500_000, 0) == pytest.approx(0.5)
    assert price(None, 10, 10) == 0.0


def test_parse_since() -> None:
    assert parse_since("24h", now=NOW) == NOW - timedelta(hours=24)
    assert parse_since("7d", now=NOW) == NOW - timedelta(days=7)
    assert parse_since("30m", now=NOW) == NOW - timedelta(minutes=30)
    assert parse_since("2026-11-01", now=NOW) == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_since("2026-11-01T08:00", now=NOW) == datetime(2026, 11, 1, 8, tzinfo=UTC)
    with pytest.raises(ConfigError, match="--since"):
        parse_since("last tuesday", now=NOW)


def test_percentile() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0], 95) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5


# --- HTML ----------------------------------------------------------------------------


def test_html_is_self_contained_and_shows_the_figures() -> None:
    page = render_html(build_report(sample_events()), title="ticketbot report")
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<svg" in page
    # Nothing is fetched: no scripts, no external URLs (the SVG namespace is an identifier).
    assert "<script" not in page.lower()
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}
    for figure in ("72.7%", "25.0%", "4.50 s", "7.65 s", "billing", "technical"):
        assert figure in page, figure
    assert "HelpdeskServerError" in page
    assert "Zendesk rejected the token" in page


def test_html_escapes_what_comes_from_the_logs() -> None:
    events = [failed(1, error="<img src=x onerror=alert(1)>")]
    page = render_html(build_report(events), title="t")
    assert "<img src=x" not in page
    assert "&lt;img src=x" in page


# --- the command -----------------------------------------------------------------------


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "logs"
    monkeypatch.setenv("TICKETBOT_LOG_DIR", str(directory))
    monkeypatch.setenv("TICKETBOT_STATE_DIR", str(tmp_path / "state"))
    return directory


def write_log(directory: Path, events: list[dict[str, Any]], *, at: datetime) -> None:
    """Write ``events`` through the real EventLog, stamped ``at`` (plus a second each)."""
    now = [at]
    by_run: dict[str, EventLog] = {}
    for i, event in enumerate(events):
        now[0] = at + timedelta(seconds=i)
        fields = {k: v for k, v in event.items() if k not in ("ts", "event", "run_id")}
        run_id = event["run_id"]
        if run_id not in by_run:
            by_run[run_id] = EventLog(directory, run_id=run_id, clock=lambda: now[0])
        by_run[run_id].emit(event["event"], **fields)
    for log in by_run.values():
        log.close()


def test_report_command_json(log_dir: Path) -> None:
    write_log(log_dir, sample_events(), at=datetime.now(UTC) - timedelta(hours=1))
    result = CliRunner().invoke(app, ["report", "--since", "24h", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["tickets_triaged"] == 8
    assert data["tickets_failed"] == 3
    assert data["success_rate"] == pytest.approx(8 / 11)


def test_report_command_window_excludes_older_events(log_dir: Path) -> None:
    write_log(log_dir, sample_events(), at=datetime.now(UTC) - timedelta(days=3))
    result = CliRunner().invoke(app, ["report", "--since", "24h", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["tickets_triaged"] == 0
    week = CliRunner().invoke(app, ["report", "--since", "7d", "--json"])
    assert json.loads(week.stdout)["tickets_triaged"] == 8


def test_report_command_table_and_html(log_dir: Path, tmp_path: Path) -> None:
    write_log(log_dir, sample_events(), at=datetime.now(UTC) - timedelta(hours=1))
    target = tmp_path / "out" / "report.html"
    result = CliRunner().invoke(app, ["report", "--html", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"HTML report written to {target}\n"  # the page, not the table
    page = target.read_text("utf-8")
    assert "72.7%" in page
    assert "billing" in page
    assert "<script" not in page


def test_report_without_logs_says_so(log_dir: Path) -> None:
    result = CliRunner().invoke(app, ["report"])
    assert result.exit_code == 0
    assert "no events" in result.stdout.lower()


def test_report_bad_since_is_a_usage_error(log_dir: Path) -> None:
    result = CliRunner().invoke(app, ["report", "--since", "soon"])
    assert result.exit_code == 2
    assert "--since" in result.stderr


def cells(report: Report) -> list[tuple[str, int, int, int]]:
    return [(b.label, b.llm, b.rules, b.failed) for b in report.timeline]


def test_timeline_shows_empty_hours_of_the_window() -> None:
    report = build_report(sample_events(), since=NOW - timedelta(hours=8), until=NOW)
    assert report.timeline_step == "hour"
    assert len(report.timeline) == 9  # 04:00 to 12:00
    assert cells(report)[5:] == [
        ("2026-11-22 09:00", 0, 0, 0),
        ("2026-11-22 10:00", 6, 2, 3),
        ("2026-11-22 11:00", 0, 0, 0),
        ("2026-11-22 12:00", 0, 0, 0),
    ]
    weekly = build_report(sample_events(), since=NOW - timedelta(days=6), until=NOW)
    assert weekly.timeline_step == "day"
    assert weekly.timeline[0].label == "2026-11-16"
    assert len(weekly.timeline) == 7


def test_report_and_html_after_a_real_run_against_the_sandbox(
    sandbox: RunningSandbox, log_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The events the pipeline really writes are the ones the report reads."""
    commands = {
        c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands
    }
    assert {"seed", "run"} <= commands
    monkeypatch.setenv("ZENDESK_URL", sandbox.url)
    monkeypatch.setenv("ZENDESK_EMAIL", sandbox.config.email)
    monkeypatch.setenv("ZENDESK_API_TOKEN", sandbox.config.token)
    runner = CliRunner()
    assert runner.invoke(app, ["seed", "--count", "12"]).exit_code == 0
    ran = runner.invoke(app, ["run", "--engine", "rules"])
    assert ran.exit_code == 0, ran.output
    result = runner.invoke(app, ["report", "--json", "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["runs"] == 1
    assert data["run_status"] == {"ok": 1}
    assert data["tickets_triaged"] == 12
    assert data["success_rate"] == 1.0
    assert sum(data["categories"].values()) == 12
    assert data["latency_p50"] is not None
    page = (tmp_path / "r.html").read_text("utf-8")
    assert "100.0%" in page
    assert max(data["categories"], key=data["categories"].get) in page


def test_dry_runs_are_not_counted_as_runs() -> None:
    events = sample_events()
    for n in range(8):
        run_id = f"dry{n}"
        ts = f"2026-11-22T10:3{n}:00Z"
        events += [
            {"event": "run_started", "ts": ts, "run_id": run_id, "dry_run": True},
            {"event": "run_finished", "ts": ts, "run_id": run_id, "status": "ok", "triaged": 2},
            triaged(100 + n, run_id=run_id, dry_run=True),
        ]
    report = build_report(events)
    assert report.runs == 3
    assert report.run_status == {"partial": 1, "aborted": 1, "unfinished": 1}
    assert report.dry_runs == 8
    assert report.dry_run_tickets == 8
    assert report.to_dict()["runs"] == 3
    page = render_html(report)
    assert "<b>3</b><span>runs</span>" in page, "the runs figure counts real runs only"


def test_report_table_lists_run_ids_to_revert(log_dir: Path) -> None:
    write_log(log_dir, sample_events(), at=datetime.now(UTC) - timedelta(hours=1))
    result = CliRunner().invoke(app, ["report"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "revert --run" in result.stdout
    for run_id in ("r1", "r2", "r3"):
        assert re.search(rf"\b{run_id}\b", result.stdout)


def test_shadow_runs_are_labelled_with_their_fallbacks_and_the_html_has_run_ids(
    log_dir: Path,
) -> None:
    events = sample_events()
    ts = "2026-11-22T10:40:00Z"
    events += [
        {"event": "run_started", "ts": ts, "run_id": "shadow-run-1", "shadow": True},
        {
            "event": "run_finished",
            "ts": ts,
            "run_id": "shadow-run-1",
            "status": "ok",
            "triaged": 5,
            "fallback": 3,
        },
    ]
    report = build_report(events)
    assert (report.shadow_runs, report.shadow_tickets, report.shadow_fallbacks) == (1, 5, 3)
    [listed] = [r for r in report.to_dict()["run_list"] if r["run_id"] == "shadow-run-1"]
    assert (listed["shadow"], listed["fallback"]) == (True, 3)
    page = render_html(report)
    assert "<code>shadow-run-1</code>" in page
    assert "<code>r1</code>" in page
    assert "revert --run" in page
    assert re.search(r"</span> shadow</td>", page), "the outcome says shadow"
    assert "of them shadow" in page

    write_log(log_dir, events, at=datetime.now(UTC) - timedelta(hours=1))
    result = CliRunner().invoke(app, ["report"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    [row] = [line for line in result.stdout.splitlines() if "shadow-run-1" in line]
    assert "ok (shadow)" in row
    assert re.search(r"\b3\s*│?\s*$", row.rstrip("│ ")), row  # its fallbacks
    assert "of them shadow runs" in result.stdout
