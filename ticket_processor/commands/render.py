"""What a person sees after a run: a summary table on a terminal, one line under cron,
and the table of planned changes for ``--dry-run`` and the demo. Output only, no logic.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from ..models import WriteBack, engines_named
from ..passes.caution import cautions_line, quoted
from ..passes.types import PlannedChange, RunSummary
from ..triage.note_text import llm_text, terminal_text
from ..writeback.planner import RoutedWriteBack
from .console import Output

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

# rich is imported by what draws (a table, a progress bar), which only a terminal sees: a run
# under cron prints its one line without it (``console.Output``).


class Screen(Protocol):
    """What is asked of a console here: rich's ``Console`` or ``console.Output``."""

    @property
    def is_terminal(self) -> bool: ...

    @property
    def width(self) -> int: ...


# rich squeezes a wide table on a narrow terminal until whole columns vanish; below this many
# columns the per-ticket tables are printed one line a ticket instead, as in a pipe.
TABLE_MIN_WIDTH = 120
# Below this many columns a per-ticket table stacks its short cells (category over urgency, and
# so on) in fewer columns: at 120-155 columns the side-by-side layout needs more room than there
# is, and rich then crops the table at the terminal's edge or folds words mid-way.
ROOMY_WIDTH = 160


def wide_enough(console: Screen) -> bool:
    return console.is_terminal and console.width >= TABLE_MIN_WIDTH


def summary_line(summary: RunSummary) -> str:
    """The one line cron mails or a log collector keeps."""
    parts = [
        f"ticketbot run {summary.run_id}: {summary.status}",
        f"triaged={summary.triaged}",
        f"failed={summary.failed}",
        f"skipped={summary.skipped}",
        f"deferred={summary.deferred}",
        f"fallback={summary.fallback}",
        f"cached={summary.cached}",
        f"tokens={summary.prompt_tokens + summary.completion_tokens}",
        f"cost_usd={summary.cost_usd:.4f}",
        f"seconds={summary.seconds:.1f}",
    ]
    if summary.out_of_scope:
        parts.append(f"out_of_scope={summary.out_of_scope}")
    if summary.second_writer:
        # Analysed, then found marked by another writer (a backfill shard, a second host)
        # before this run's write: a run that backed off everything is not an idle one.
        parts.append(f"marked_by_another_writer={summary.second_writer}")
    if summary.replies or summary.reply_failed:
        kinds = summary.reply_kinds
        parts.append(f"replies={summary.replies}")
        parts.append(
            "reply_kinds="
            + ",".join(f"{k}:{kinds.get(k, 0)}" for k in ("actionable", "thanks", "auto_reply"))
        )
        parts.append(f"reply_notes={summary.reply_notes}")
        parts.append(f"sentiment_changes={summary.sentiment_changes}")
        if summary.reply_failed:
            parts.append(f"reply_failed={summary.reply_failed}")
    if summary.answers:
        # Where the run's answers went: sent, drafted in the note, refused by a guard or threshold.
        # A dry run sends nothing: it says what the real run would send.
        if summary.answers.get("would_send"):
            parts.append(f"answers_would_send={summary.answers['would_send']}")
        for name in ("sent", "drafted", "refused"):
            parts.append(f"answers_{name}={summary.answers.get(name, 0)}")
        if summary.answers.get("cancelled"):
            # Planned and announced in the note, then not sent: an agent replied, the ticket
            # was assigned or solved since (the ticket's note says so).
            parts.append(f"answers_cancelled={summary.answers['cancelled']}")
        if summary.answers_refused:
            refused = summary.answers_refused
            parts.append("answers_refused_by=" + ",".join(f"{k}:{v}" for k, v in refused.items()))
    if summary.cascaded:
        calls = summary.engines.get("llm", 0) / summary.triaged if summary.triaged else 0.0
        parts.append(f"cascaded={summary.cascaded}")
        parts.append(f"llm_calls_per_ticket={calls:.2f}")
        parts.append(f"cascade_saved_usd={summary.cascade_saved_usd:.4f}")
    if summary.engines:
        parts.append("engines=" + ",".join(f"{k}:{v}" for k, v in sorted(summary.engines.items())))
    if summary.set_aside:
        parts.append(f"set_aside={','.join(summary.set_aside)}")
    if summary.stopped_early:
        parts.append(f"stopped={summary.stopped_early}")
    if summary.bound:
        parts.append(f"bound={summary.bound}")
        if summary.llm.get("llm_max_in_flight") is not None:
            parts.append(f"llm_in_flight_peak={summary.llm['llm_max_in_flight']}")
    parts += held_back_parts(summary)
    if summary.reason:
        parts.append(f"reason={summary.reason!r}")
    return " ".join(parts)


def held_back_parts(summary: RunSummary) -> list[str]:
    """What the run held back and left to an agent, for every line that tells of a run (a
    run's, a backfill's): tickets below the confidence threshold (no priority, no route),
    escalations only suggested (no page), and the judgements that only suggest on a first
    day, and until when."""
    parts = []
    if summary.low_confidence:
        parts.append(f"low_confidence={summary.low_confidence}")
    if summary.escalations_suggested:
        parts.append(f"escalations_suggested={summary.escalations_suggested}")
    if summary.cautions:
        parts.append(f"cautious={quoted(cautions_line(summary.cautions))}")
    return parts


_BOUND_WORDS = {
    "llm_latency": "the LLM's latency at the calls in flight",
    "llm_rate": "the LLM's announced rate limit",
    "helpdesk_writes": "the helpdesk's write limits",
}


def print_said(summary: RunSummary, console: Any) -> None:
    """Each pass's own line (``RunSummary.said``: the spam gate's ``spam gate: 1 gated (spam
    1), 2 suggested``...), as ``run`` and ``demo`` both print them: a team reads its first
    verdicts there, and a demo that tags tickets without saying so hides them. ``console``:
    rich's ``Console`` or ``console.Output``."""
    for line in summary.said.values():
        console.print(line, markup=False, soft_wrap=True, highlight=False)


def bound_text(summary: RunSummary) -> str | None:
    """What limited the run, in words, with the LLM figures behind it."""
    if not summary.bound:
        return None
    words = _BOUND_WORDS.get(summary.bound, summary.bound)
    llm = summary.llm
    figures = [
        f"{llm[key]}{unit}"
        for key, unit in (
            ("llm_max_in_flight", " calls in flight at the peak"),
            ("llm_latency_s", " s a call"),
            ("llm_limit_requests", " requests a minute allowed"),
        )
        if llm.get(key) is not None
    ]
    return words + (f" ({', '.join(figures)})" if figures else "")


def fallback_line(summary: RunSummary) -> str:
    """``20 ticket(s) fell back to the learned model: could not reach the LLM at …: check
    OPENAI_BASE_URL``: how many, which engine took them over, and the first cause with its fix."""
    engines = engines_named(summary.fallback_engines)
    return f"{summary.fallback} ticket(s) fell back to {engines}: {summary.fallback_cause}"


def summary_table(summary: RunSummary) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"ticketbot run {summary.run_id}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    rows: list[tuple[str, Any]] = [
        ("status", summary.status),
        ("tickets seen", summary.tickets_seen),
        ("triaged", summary.triaged),
        ("  by a fallback engine", summary.fallback),
        ("  from the cache", summary.cached),
        ("  by the learned model in the cascade (no LLM call)", summary.cascaded),
        ("  below the confidence threshold (no priority, no route)", summary.low_confidence),
        ("escalations only suggested (no page: an unsure engine)", summary.escalations_suggested),
        ("skipped (already done, solved)", summary.skipped),
        ("out of scope (TICKETBOT_SCOPE, skip tag)", summary.out_of_scope),
        ("marked by another writer meanwhile", summary.second_writer),
        ("deferred to the next run (--max-runtime)", summary.deferred),
        ("failed (retried next run)", summary.failed),
        ("tokens (prompt / completion)", f"{summary.prompt_tokens} / {summary.completion_tokens}"),
        ("estimated cost", f"${summary.cost_usd:.4f}"),
        ("seconds", f"{summary.seconds:.1f}"),
    ]
    if summary.engines:
        rows.append(("engines", ", ".join(f"{k} {v}" for k, v in sorted(summary.engines.items()))))
    if summary.fallback and summary.fallback_cause:
        rows.append(("fallback", fallback_line(summary)))
    if summary.set_aside:
        rows.append(("state files set aside", ", ".join(summary.set_aside)))
    if summary.cautions:
        rows.append(("cautious (only suggests)", cautions_line(summary.cautions)))
    if summary.categories:
        top = sorted(summary.categories.items(), key=lambda kv: -kv[1])
        rows.append(("categories", ", ".join(f"{name} {count}" for name, count in top)))
    if summary.stopped_early:
        rows.append(("stopped early", summary.stopped_early))
    bound = bound_text(summary)
    if bound:
        rows.append(("what bounded the run", bound))
    if summary.reason:
        rows.append(("reason", summary.reason))
    for what, value in rows:
        table.add_row(what, Text(str(value)))
    return table


def route_cell(wb: WriteBack) -> str | None:
    """The planned group and escalation (None: no routes configured)."""
    if not isinstance(wb, RoutedWriteBack):
        return None
    group = wb.group_name if wb.group_id is not None and wb.group_name else "unchanged"
    if wb.group_id is not None and wb.assignee_name:
        group += f" / {wb.assignee_name}"
    held = " escalation suggested" if wb.escalation_held else ""
    return group + (" ESCALATED" if wb.escalated else held)


def roomy(width: int | None) -> bool:
    """Whether a per-ticket table has room for one short value a column (None: assume so)."""
    return width is None or width >= ROOMY_WIDTH


def stacked(cells: list[str], *, roomy: bool) -> list[Text]:
    """``cells`` one a column, or on one cell's lines (a narrower table); as ``Text``, so a
    group's name never acts as rich markup."""
    from rich.text import Text

    return [Text(cell) for cell in cells] if roomy else [Text("\n".join(cells))]


def planned_table(
    planned: list[PlannedChange], *, title: str, limit: int = 200, width: int | None = None
) -> Table:
    """The dry run's planned changes; at a ``width`` under ``ROOMY_WIDTH``, short cells stack.

    Only the id and the (clipped) subject keep to one line and no column has a minimum width:
    rich crops a table at the terminal's edge when what cannot wrap adds up to more than the
    width, and a cut cell is worse than a wrapped one.
    """
    from rich.table import Table
    from rich.text import Text

    wide = roomy(width)
    table = Table(title=title, show_lines=not wide)
    table.add_column("ticket", justify="right", no_wrap=True)
    table.add_column("subject", max_width=34 if wide else 20, overflow="ellipsis", no_wrap=True)
    for heading in stacked(["category", "urgency → priority"], roomy=wide):
        table.add_column(heading, overflow="fold")
    routed = any(isinstance(c.writeback, RoutedWriteBack) for c in planned)
    for heading in stacked(["engine", *(["group"] if routed else [])], roomy=wide):
        table.add_column(heading, overflow="fold")
    # Tags and the summary wrap (fold) instead of being cut: they are what a reviewer reads.
    table.add_column("tags to add", overflow="fold")
    table.add_column("per field", overflow="fold")
    table.add_column("summary (in the note)", ratio=1, overflow="fold")
    for change in sorted(planned, key=lambda c: c.ticket_id)[:limit]:
        analysis = change.triage.analysis
        wb = change.writeback
        priority = wb.priority.value if wb.priority else "(unchanged)"
        engine = change.triage.engine + (" (fallback)" if change.triage.fallback else "")
        # Subject and summary are ticket text: Text() so they never act as rich markup, the
        # summary cleaned as in the note, anything unprintable escaped (``triage.note_text``).
        route = [route_cell(wb) or "unchanged"] if routed else []
        table.add_row(
            str(change.ticket_id),
            Text(terminal_text(change.subject or "(no subject)")),
            *stacked([analysis.category, f"{analysis.urgency.value} → {priority}"], roomy=wide),
            *stacked([engine, *route], roomy=wide),
            " ".join(wb.additional_tags),
            Text("\n".join(field_fates(change))),
            Text(terminal_text(_note_summary(change))),
        )
    if len(planned) > limit:
        table.caption = f"first {limit} of {len(planned)} tickets"
    return table


DECIDED = {"apply": "applied", "suggest": "suggested", "abstain": "abstained"}


def field_fates(change: PlannedChange) -> list[str]:
    """Per field what the change does with it (``category applied``, ``urgency suggested``),
    then each helpdesk field (fields.toml) it fills with its value: what a dry run shows."""
    fates = [f"{name} {DECIDED.get(fate, fate)}" for name, fate in change.decisions.items()]
    fills = [f"fills {terminal_text(t)} = {terminal_text(v)}" for t, v in change.fields.items()]
    return fates + fills


def _note_summary(change: PlannedChange) -> str:
    """The summary as the note shows it: links and citations only of the articles found."""
    found = change.triage.suggestions
    return llm_text(
        change.triage.analysis.summary, urls=[a.url for a in found], articles=len(found)
    )


def planned_lines(planned: list[PlannedChange]) -> list[str]:
    """The planned changes one line a ticket, for a pipe or a file (no table to squeeze)."""
    lines = []
    for change in sorted(planned, key=lambda c: c.ticket_id):
        analysis = change.triage.analysis
        wb = change.writeback
        priority = wb.priority.value if wb.priority else "unchanged"
        engine = change.triage.engine + ("/fallback" if change.triage.fallback else "")
        routing = ""
        if isinstance(wb, RoutedWriteBack):
            group = wb.group_name if wb.group_id is not None and wb.group_name else "unchanged"
            escalated = "yes" if wb.escalated else "suggested" if wb.escalation_held else "no"
            routing = f"group={group!r} escalated={escalated} "
        # ``decided``: what the run does with each of its own answers (apply, suggest,
        # abstain); not ``fields``, which a reader takes for the helpdesk's (those are ``fills``).
        fates = ",".join(f"{name}:{fate}" for name, fate in change.decisions.items())
        fills = f"fills={change.fields!r} " if change.fields else ""
        lines.append(
            f"ticket {change.ticket_id}: category={analysis.category} "
            f"urgency={analysis.urgency.value} priority={priority} engine={engine} {routing}"
            f"add_tags={','.join(wb.additional_tags)} decided={fates or '-'} {fills}"
            f"summary={_note_summary(change)!r}"
        )
    return lines


@contextmanager
def progress_bar(console: Any, *, enabled: bool, label: str) -> Iterator[Any]:
    """A rich progress bar on a terminal; under cron a callback that does nothing (and no
    rich). ``console``: rich's ``Console`` or ``console.Output``."""
    if not enabled:
        yield lambda event: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    if isinstance(console, Output):
        console = console.rich()
    progress = Progress(
        SpinnerColumn(),
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.elapsed:.0f}s"),
        console=console,
        transient=True,
    )
    with progress:
        task = progress.add_task(label, total=None)
        yield lambda event: progress.advance(task)
