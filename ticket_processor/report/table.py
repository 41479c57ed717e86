"""The report on a terminal (rich tables), for people who run ``ticketbot report`` by hand.

Formatting only: the figures come from ``aggregate.build_report``; the same figures and number
formats appear in the HTML page, so a test on one holds for the other.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .actions import actions_line
from .aggregate import Report, fmt_count, fmt_pct, fmt_seconds, fmt_usd
from .agreement import corrections_table
from .time_saved import TimeSaved, fmt_duration
from .to_write import NONE_TO_WRITE
from .trends import trends_table

LATEST_RUNS = 10


def _distribution(title: str, counts: dict[str, int]) -> Table:
    total = sum(counts.values()) or 1
    table = Table(title=title, title_justify="left")
    table.add_column(title.lower())
    table.add_column("tickets", justify="right")
    table.add_column("share", justify="right")
    for name, count in counts.items():
        table.add_row(name, fmt_count(count), fmt_pct(count / total))
    return table


def print_report(report: Report, console: Console, *, log_dir: Path) -> None:
    """Print ``report``; an empty one says so and where it looked."""
    if report.empty:
        window = f" since {report.since:%Y-%m-%d %H:%M} UTC" if report.since else ""
        console.print(
            f"No events in {log_dir}{window}: nothing to report. Has `ticketbot run` run yet, "
            "and does TICKETBOT_LOG_DIR point at its logs?"
        )
        return
    summary = Table(title="ticketbot report", title_justify="left", show_header=False)
    summary.add_column("figure")
    summary.add_column("value", justify="right")
    rows = [
        ("period", _period(report)),
        ("runs", f"{fmt_count(report.runs)} ({_inline(report.run_status)})"),
        ("tickets triaged", fmt_count(report.tickets_triaged)),
        ("by backfill", fmt_count(report.backfilled)),
        ("by serve (webhooks)", fmt_count(report.served)),
        ("tickets failed", fmt_count(report.tickets_failed)),
        ("success rate", fmt_pct(report.success_rate)),
        ("fallback rate", fmt_pct(report.fallback_rate)),
        ("cached answers", fmt_pct(report.cached_rate)),
        *_held_back(report),
        *(
            [
                ("decided by the cascade's learned model", fmt_count(report.cascaded)),
                ("LLM calls per ticket", f"{report.llm_calls_per_ticket or 0:.2f}"),
                ("LLM cost the cascade saved", fmt_usd(report.cascade_saved_usd)),
            ]
            if report.cascaded
            else []
        ),
        (
            "latency p50 / p95",
            f"{fmt_seconds(report.latency_p50)} / {fmt_seconds(report.latency_p95)}",
        ),
        (
            "LLM latency p50 / p95",
            f"{fmt_seconds(report.llm_latency_p50)} / {fmt_seconds(report.llm_latency_p95)}",
        ),
        (
            "tokens in / out",
            f"{fmt_count(report.prompt_tokens)} / {fmt_count(report.completion_tokens)}",
        ),
        ("estimated cost", fmt_usd(report.cost_usd)),
    ]
    if report.shadow_runs:
        shadow = (
            f"{fmt_count(report.shadow_runs)} ({fmt_count(report.shadow_tickets)} tickets, "
            f"{fmt_count(report.shadow_fallbacks)} fallbacks; nothing written)"
        )
        rows.insert(2, ("of them shadow runs", shadow))
    if report.dry_runs:
        dry = f"{fmt_count(report.dry_runs)} ({fmt_count(report.dry_run_tickets)} tickets)"
        rows.append(("dry runs, not counted above", dry))
    for name, value in rows:
        summary.add_row(name, value)
    console.print(summary)
    for title, counts in (
        ("Category", report.categories),
        ("Urgency", report.urgencies),
        ("Sentiment", report.sentiments),
        ("Language (customer -> agent)", report.language_pairs),
    ):
        if counts:
            console.print(_distribution(title, counts))
    if report.failures:
        failures = Table(title="Most frequent failures", title_justify="left")
        for column in ("stage", "error", "count", "latest message"):
            failures.add_column(column, justify="right" if column == "count" else "left")
        for f in report.failures:
            failures.add_row(f.stage, f.error_type, fmt_count(f.count), f.example)
        console.print(failures)
    if report.aborts:
        console.print(aborts_table(report))
    if report.corrections:
        console.print(corrections_table(report.corrections))
    if report.shadow_agreement:
        console.print(shadow_table(report))
    if report.replies:
        console.print(replies_table(report))
    if report.actions:
        console.print(f"Actions: {actions_line(report.actions)}")
    if report.trends:
        console.print(trends_table(report.trends))
    if report.answers:
        console.print(answers_table(report))
    if report.to_write:
        console.print(to_write_table(report))
    else:
        line = f"Articles to write: {NONE_TO_WRITE}"
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    if report.time_saved is not None:
        for line in time_saved_lines(report.time_saved):
            console.print(line, markup=False, highlight=False, soft_wrap=True)
    if report.run_list:
        console.print(_latest_runs(report))


def aborts_table(report: Report) -> Table:
    """The aborted runs, by the reason each gave."""
    aborts = Table(title="Aborted runs", title_justify="left")
    aborts.add_column("reason")
    aborts.add_column("runs", justify="right")
    for reason, count in report.aborts.items():
        aborts.add_row(reason, fmt_count(count))
    return aborts


def shadow_table(report: Report) -> Table:
    """Shadow runs against what agents set: would ticketbot have been right?"""
    table = Table(
        title="Shadow runs: decisions against agents' labels on solved tickets",
        title_justify="left",
    )
    for heading in ("field", "tickets", "would have been right", "most common differences"):
        table.add_column(heading, justify="right" if heading == "tickets" else "left")
    for a in report.shadow_agreement:
        differences = ", ".join(f"{ours} → {theirs} ({n})" for ours, theirs, n in a.corrections)
        table.add_row(a.field, fmt_count(a.compared), fmt_pct(a.rate), differences or "–")
    return table


def replies_table(report: Report) -> Table:
    """Re-triage on customers' replies, per day."""
    table = Table(title="Customers' replies re-triaged", title_justify="left")
    headings = ("day", "replies", "actionable", "thanks", "auto-replies", "notes", "sentiment")
    for heading in headings:
        table.add_column(heading, justify="left" if heading == "day" else "right")
    for d in report.replies:
        moved = f"{fmt_count(d.worse)} worse, {fmt_count(d.better)} better"
        counts = (d.retriaged, d.actionable, d.thanks, d.auto_reply, d.notes)
        table.add_row(d.day, *(fmt_count(n) for n in counts), moved)
    return table


def answers_table(report: Report) -> Table:
    """Answers to customers per category, and how many of them resolved the ticket."""
    table = Table(title="Answers to customers", title_justify="left")
    headings = (
        "category",
        "drafted",
        "drafts used",
        "sent",
        "cancelled",
        "resolved",
        "re-opened",
        "resolution rate",
    )
    for heading in headings:
        table.add_column(heading, justify="left" if heading == "category" else "right")
    for a in report.answers:
        counts = (a.sent, a.cancelled, a.resolved, a.reopened)
        table.add_row(
            a.category,
            fmt_count(a.drafted),
            fmt_pct(a.acceptance),
            *(fmt_count(n) for n in counts),
            fmt_pct(a.resolution_rate),
        )
    return table


def to_write_table(report: Report) -> Table:
    """The kinds of tickets nothing ticketbot knows answered, most tickets first."""
    table = Table(
        title="Articles to write: tickets nothing answered (answers refused: no source)",
        title_justify="left",
    )
    for heading in ("kind", "words", "tickets", "example subjects"):
        table.add_column(heading, justify="right" if heading == "tickets" else "left")
    for gap in report.to_write:
        # Subjects are customers' words: shown as written, never read as rich markup.
        examples = Text("\n".join(gap.examples) or "–")
        table.add_row(Text(gap.kind), Text(gap.name), fmt_count(gap.tickets), examples)
    return table


def time_saved_lines(saved: TimeSaved) -> list[str]:
    """The figure, its formula and where its assumptions are set."""
    return [
        f"Time saved (agents' time, estimated): {fmt_duration(saved.seconds)}",
        f"  = {saved.formula()}",
        "  seconds each are assumptions, set by TICKETBOT_SAVED_SECONDS_PER_TRIAGE, "
        "TICKETBOT_SAVED_SECONDS_PER_SUGGESTION and TICKETBOT_SAVED_SECONDS_PER_ANSWER",
    ]


def _held_back(report: Report) -> list[tuple[str, str]]:
    """What runs held back for agents: tickets below the confidence threshold (no priority, no
    route) and, where there were any, escalations only suggested (no page)."""
    rows = [("held back (low confidence)", fmt_count(report.low_confidence))]
    if report.escalations_suggested:
        rows.append(("escalations only suggested", fmt_count(report.escalations_suggested)))
    return rows


def _latest_runs(report: Report) -> Table:
    """The newest runs with their ids: the id is what ``ticketbot revert --run`` takes."""
    newest = list(reversed(report.run_list))[:LATEST_RUNS]
    title = "Latest runs (undo one with `ticketbot revert --run RUN_ID`)"
    table = Table(title=title, title_justify="left")
    table.add_column("run id", no_wrap=True)  # whole, so it can be copied
    counts = ("triaged", "failed", "fallback")
    for column in ("started (UTC)", "outcome", *counts):
        table.add_column(column, justify="right" if column in counts else "left")
    for r in newest:
        outcome = f"{r.outcome} ({r.kind})" if r.kind else r.outcome
        started = f"{r.started:%Y-%m-%d %H:%M}" if r.started else "–"
        table.add_row(
            r.run_id,
            started,
            outcome,
            fmt_count(r.triaged),
            fmt_count(r.failed),
            fmt_count(r.fallback),
        )
    return table


def _inline(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {name}" for name, n in counts.items()) or "none"


def _period(report: Report) -> str:
    start = report.since or report.first_event
    end = report.until or report.last_event
    return " → ".join(f"{m:%Y-%m-%d %H:%M}" for m in (start, end) if m) + " UTC"
