"""``ticketbot run``, ``demo`` and ``revert``: the commands that triage tickets or undo a run.

Each command is a few lines: flags to ``run.runner.run_once`` / ``demo.run_demo`` /
``writeback.revert.apply_revert``, the outcome to the console and to an exit code. Registered
in ``cli``.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..common.collector import paused
from ..errors import ConfigError, either
from ..exitcodes import ExitCode
from ..helpdesks.registry import DEFAULT_KIND, KINDS, helpdesk_kind
from ..models import Engine, WriteOutcome
from ..settings import Settings
from .common import (
    ENGINE_METAVAR,
    engine_choice,
    err_console,
    exit_codes,
    exit_leaving_threads,
    load,
    scrub,
)
from .console import Output, escape

if TYPE_CHECKING:
    from ..passes.types import RunSummary
    from ..writeback.revert import RevertPlan


def _since(value: str | None) -> datetime | None:
    from ..common.timespec import parse_moment

    return None if value is None else parse_moment(value, now=datetime.now(UTC), flag="--since")


def _report_run(summary: RunSummary, console: Output, *, dry_run: bool) -> None:
    from .render import (
        planned_lines,
        planned_table,
        print_said,
        summary_line,
        summary_table,
        wide_enough,
    )

    title = "Dry run: planned changes (nothing written)"
    if dry_run and wide_enough(console):
        console.print(planned_table(summary.planned, title=title, width=console.width))
    elif dry_run:
        console.print(
            title, *planned_lines(summary.planned), sep="\n", soft_wrap=True, markup=False
        )
    if dry_run and summary.answer_texts:
        console.print("Replies to customers (dry run: not sent):", markup=False)
        for ticket_id, mode, text in sorted(summary.answer_texts):
            console.print(
                f"--- ticket {ticket_id} (would {mode}) ---\n{text}", markup=False, soft_wrap=True
            )
    if console.is_terminal:
        console.print(summary_table(summary))
    else:
        console.print(summary_line(summary), markup=False, soft_wrap=True)
    _report_incidents(summary.incidents, console, dry_run=dry_run)
    _report_summaries(summary.summaries, console, dry_run=dry_run)
    print_said(summary, console)


def _report_summaries(done: dict[str, Any], console: Output, *, dry_run: bool) -> None:
    """The running summary's line (and, in a dry or shadow run, each summary it would write)."""
    if not done:
        return
    verb = "to write" if dry_run or done.get("lines") else "written"
    console.print(
        f"summaries ({verb}): {done.get('written', 0)}, {done.get('unchanged', 0)} unchanged, "
        f"{done.get('kept', 0)} kept (an agent's), {done.get('failed', 0)} failed",
        markup=False,
        soft_wrap=True,
    )
    for line in done.get("lines", []):
        console.print(f"  {line}", markup=False, soft_wrap=True, highlight=False)


def _report_incidents(found: dict[str, Any], console: Output, *, dry_run: bool) -> None:
    """The incident pass's line (and, in a dry run, each planned link).

    The counts after "incidents found" are tickets, each named by what was done to it: a bare
    "2 suggested" beside "1 incident(s)" read as two suggested incidents.
    """
    if not found:
        return
    written = found.get("written") and not dry_run
    console.print(
        f"incidents{'' if written else ' (planned, nothing written)'}: "
        f"{found.get('incidents', 0)} incident(s) found; tickets: "
        f"{found.get('linked', 0)} linked to an incident, "
        f"{found.get('suggested', 0)} suggested as reports of one (tagged and noted, not linked), "
        f"{found.get('flagged', 0)} flagged as repeats, {found.get('merged', 0)} merged as "
        f"repeats, {found.get('kept', 0)} left to agents",
        markup=False,
        soft_wrap=True,
    )
    for line in found.get("lines", []):
        console.print(f"  {line}", markup=False, soft_wrap=True, highlight=False)
    for warning in found.get("warnings", []):
        err_console.print(f"[yellow]note:[/] {escape(warning)}")


def run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Analyse and show the planned changes; write nothing.")
    ] = False,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Triage at most this many tickets.")
    ] = None,
    workers: Annotated[
        str | None,
        typer.Option(
            metavar="N|auto",
            show_default="auto",
            help="Concurrent tickets: a number, or auto (as many LLM calls as the endpoint's "
            "latency and rate limits sustain) [TICKETBOT_WORKERS].",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            show_default="24h", help="First run only: tickets updated since 24h, 7d or an ISO date."
        ),
    ] = None,
    engine: Annotated[
        Engine,
        typer.Option(
            parser=engine_choice,
            metavar=ENGINE_METAVAR,
            help="llm: the best engine available (LLM, else the learned model, else rules), "
            "learned: the model then rules, rules: the rules only.",
        ),
    ] = "llm",
    max_runtime: Annotated[
        float | None,
        typer.Option(
            min=1,
            help="Stop taking new tickets after this many seconds; then a grace of a tenth of "
            "it (1 to 30 s) to flush what is in flight, and the run ends: what is left "
            "(a helpdesk job still queued included) is the next run's.",
        ),
    ] = None,
    query: Annotated[
        str | None, typer.Option(help="Use the Search API with this query instead of the export.")
    ] = None,
    no_priority: Annotated[
        bool, typer.Option("--no-priority", help="Never change a ticket's priority.")
    ] = False,
    taxonomy: Annotated[
        Path | None, typer.Option(help="Taxonomy TOML [TICKETBOT_TAXONOMY].")
    ] = None,
    ticket: Annotated[
        list[int] | None,
        typer.Option(
            "--ticket", metavar="ID", help="Triage exactly this ticket (repeat for more)."
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="With --ticket: triage again although already triaged."),
    ] = False,
    shadow: Annotated[
        bool | None,
        typer.Option(
            "--shadow",
            help="Triage and plan as usual but write nothing to the helpdesk; the decisions go "
            "to the log, with their own cursor, for 'ticketbot report' [TICKETBOT_SHADOW].",
        ),
    ] = None,
) -> None:
    """Triage the tickets that are new since the last run (the job cron runs)."""
    # One function: a Typer command declares its options in its signature (what --help
    # shows), most of its length; what it does below is short.
    with paused():  # the run's modules: nothing to collect among them
        from ..run.runner import run_once
        from .render import progress_bar

    console = Output(highlight=False)
    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load({"workers": workers, "taxonomy_file": taxonomy, "shadow": shadow})
        if force and not ticket:
            raise ConfigError("--force goes with --ticket ID: it re-triages chosen tickets only")
        if ticket:
            _require_tickets(settings, ticket)
        with progress_bar(console, enabled=console.is_terminal, label="triaging") as tick:
            summary = run_once(
                settings,
                dry_run=dry_run,
                limit=limit,
                since=_since(since),
                engine=engine,
                max_runtime=max_runtime,
                query=query,
                set_priority=not no_priority,
                ticket_ids=tuple(ticket or ()),
                force=force,
                on_progress=tick,
                on_notice=lambda line: err_console.print(
                    f"[yellow]note:[/] {escape(line)}", soft_wrap=True
                ),
            )
        _report_run(summary, console, dry_run=dry_run)
        if settings.shadow and not dry_run:
            console.print(
                "shadow run: nothing was written to the helpdesk; the decisions are in the log "
                "('ticketbot report' compares them with what agents set on solved tickets)"
            )
        if summary.engines.get("learned"):
            from ..learned.choice import model_in_use
            from ..learned.examples.key import examples_engine_in_use

            chosen = model_in_use(settings.learned_model, settings.state_dir)
            described = (
                examples_engine_in_use(chosen, settings.state_dir, settings.taxonomy_file)
                or chosen.describe()
            )
            console.print(
                f"learned model: {described}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        _tell(summary, settings.secrets, settings.log_dir)
    _exit(summary)


def _require_tickets(settings: Settings, ids: Sequence[int]) -> None:
    """The tickets ``--ticket`` names must exist: a mistyped ID is the user's error, said as
    ``answers explain`` says it (exit 1), before a run starts (a run would triage nothing, say
    ok and exit 0).

    A helpdesk that refuses the question (wrong credentials, down) is not judged here: that
    aborts a run (``errors.abort_reason``), so the run meets it and records it as any failed
    run (``run_finished``, ``last_run.json``, the alert ``health`` and ``report`` see)."""
    from ..errors import NotFoundError, TicketBotError, abort_reason
    from ..run.connect import connect

    helpdesk = connect(settings)
    try:
        found = {each.id for each in helpdesk.tickets(list(ids))}
    except TicketBotError as exc:
        if abort_reason(exc, query=None) is None:
            raise
        return
    finally:
        helpdesk.close()
    missing = ", ".join(str(n) for n in dict.fromkeys(ids) if n not in found)
    if missing:
        raise NotFoundError(f"no ticket {missing} in the helpdesk", status_code=404)


def _tell(summary: RunSummary, secrets: tuple[str, ...], log_dir: Path) -> None:
    """What the user must know on stderr: an abort, a stop, set-aside state (a damaged audit
    store's history is in the log: the command that loads it back), fallbacks."""
    for note in summary.warnings:
        err_console.print(f"[yellow]note:[/] {escape(scrub(note, secrets))}")
    if summary.set_aside:
        files = ", ".join(summary.set_aside)
        err_console.print(
            f"[yellow]warning:[/] damaged state file(s) set aside and replaced by safe defaults: "
            f"{escape(files)} (see the log's state_file_set_aside events)"
        )
        from ..audit.writer import FILE_NAME as AUDIT_FILE  # only when something was set aside

        if AUDIT_FILE in summary.set_aside:
            err_console.print(
                "[yellow]note:[/] the audit store starts empty (the dashboard, report and revert "
                "read it); its decisions are in the log: "
                f"ticketbot audit import {escape(shlex.quote(str(log_dir)))}"
            )
    if summary.fallback and summary.fallback_cause:
        from .render import fallback_line

        err_console.print(f"[yellow]warning:[/] {escape(scrub(fallback_line(summary), secrets))}")
    if summary.status == "aborted":
        err_console.print(f"[red]run aborted:[/] {escape(scrub(summary.reason or '', secrets))}")
    elif summary.status == "stopped":
        err_console.print(f"run stopped: {escape(summary.reason or '')}")


def _exit(summary: RunSummary) -> None:
    """Exit with the run's code; after a stop whose grace ran out, without waiting for the
    abandoned analyses (their tickets were left to the next run)."""
    if summary.abandoned:
        exit_leaving_threads(summary.exit_code)
    raise typer.Exit(summary.exit_code)


def demo(
    count: Annotated[
        int | None,
        typer.Option(min=1, max=500, help="Sample tickets to create (60; with --serve, 5)."),
    ] = None,
    helpdesk: Annotated[
        str, typer.Option(help=f"The sandbox to start: {either(list(KINDS))}.")
    ] = DEFAULT_KIND,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Instead of a batch: ticketbot serve behind the sandbox's webhooks, each "
            "ticket triaged seconds after it is created.",
        ),
    ] = False,
) -> None:
    """Zero-configuration tour: a local sandbox, sample tickets, one triage run, the result."""
    from rich.console import Console  # the demo draws its tables wherever it prints

    from .demo import run_demo
    from .demo_serve import run_serve_demo

    console = Console(highlight=False)
    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        helpdesk_kind(helpdesk)  # an unknown one is a usage error before anything is loaded
        settings = load()
        if serve:
            code = run_serve_demo(settings, console=console, count=count or 5, helpdesk=helpdesk)
        else:
            code = run_demo(settings, console=console, count=count or 60, helpdesk=helpdesk)
    raise typer.Exit(code)


def _revert_counts(plan: RevertPlan, settings: Settings) -> str:
    """The revert's summary line. A ticket with nothing of the run left on it was reverted by
    an earlier ``ticketbot revert`` (the audit store's ``reverts`` say so) or changed since."""
    from ..run.audit import tickets_reverted

    done_before = tickets_reverted(settings, plan.run_id) if plan.untouched else None
    ours = [t for t in plan.untouched if done_before and t in done_before]
    reverted_before = f"{len(ours)} already reverted by an earlier revert, " if ours else ""
    return (
        f"{len(plan.changes)} to revert, {reverted_before}"
        f"{len(plan.untouched) - len(ours)} already changed by someone since, "
        f"{len(plan.missing)} gone"
    )


def revert(
    run_id: Annotated[str, typer.Option("--run", help="The run to undo (from `report`).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be undone; write nothing.")
    ] = False,
) -> None:
    """Undo one run: remove its tags, restore priority and group where nobody changed them."""
    # One function: the writes are undone in the order they must be (the links, each feature's
    # that goes first, the triage, each feature's that goes with it), on one connection.
    from ..common.eventlog import read_events
    from ..features.registry import reverts
    from ..incidents.revert import LinkRevert, as_undone, links_of_run, revert_links
    from ..incidents.sightings import link_ops
    from ..run.audit import record_revert
    from ..run.connect import connect
    from ..state.ledger import RunLedger
    from ..state.lock import RunLock
    from ..steps.revert import RevertAsk
    from ..writeback.revert import apply_revert, describe_revert, plan_revert, writes_of_run

    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        logged = list(read_events(settings.log_dir))
        writes = writes_of_run(logged, run_id)
        linked = links_of_run(logged, run_id)
        ask = RevertAsk(logged, run_id, dry_run, settings.state_dir, typer.echo)
        parts = reverts(settings, ask)
        if not writes and not linked and not parts:
            raise ConfigError(
                f"--run: no triaged tickets of run {run_id!r} in {settings.log_dir} "
                "(see `ticketbot report` for run ids)"
            )
        _warn_if_serving(settings.state_dir)
        helpdesk = connect(settings)
        outcomes: list[WriteOutcome] = []
        undone: list[tuple[int, str | None]] = []
        links = LinkRevert()
        failing = False
        try:
            ops = link_ops(helpdesk) if linked else None
            if ops is not None:
                # The links first: the run's incident writes came after its triage (a report
                # took the incident's priority over the triage's), and ticketbot's own later
                # write is no one's change since: undone, the triage's values are there to be
                # restored in turn. A dry run plans the triage's revert on the tickets as the
                # links' would leave them, so it shows what the revert does.
                with RunLock(settings.state_dir) if not dry_run else nullcontext():
                    links = revert_links(
                        ops, linked, state_dir=settings.state_dir, dry_run=dry_run, echo=typer.echo
                    )
            for part in parts:
                failing = part.undo_first(helpdesk) or failing
            with_triage = [ticket for part in parts for ticket in part.tickets()]
            tickets = {
                t.id: t for t in helpdesk.tickets([w.ticket_id for w in writes] + with_triage)
            }
            if dry_run and ops is not None:
                tickets = as_undone(tickets, links.planned, ops)
            # The fields' titles (one request, only when the run filled fields): the note and
            # the lines below name fields as agents see them, not by id.
            titles = (
                {f.key: f.title for f in helpdesk.ticket_fields()}
                if any(w.fields_set for w in writes)
                else {}
            )
            plan = plan_revert(
                run_id, writes, tickets, prefix=settings.tag_prefix, field_titles=titles
            )
            for change in plan.changes:
                typer.echo(describe_revert(change, tickets.get(change.ticket_id), titles))
            for line in (line for part in parts for line in part.describe(tickets)):
                typer.echo(line)
            typer.echo(_revert_counts(plan, settings))
            for line in (line for part in parts for line in part.notes()):
                typer.echo(line)
            if not dry_run and (plan.changes or with_triage):
                with RunLock(settings.state_dir):
                    if plan.changes:
                        outcomes = apply_revert(helpdesk, RunLedger(settings.state_dir), plan)
                    for part in parts:
                        undone += part.undo_with_triage(helpdesk)
                if outcomes:
                    unrecorded = record_revert(settings, run_id, outcomes)
                    if unrecorded:
                        err_console.print(f"not in the audit store: {escape(unrecorded)}")
        finally:
            helpdesk.close()
        if linked:
            typer.echo(
                f"incident links and flags: {len(links.undone)} to undo, {len(links.kept)} "
                "changed by someone since"
            )
            for line in links.cannot:
                err_console.print(f"[yellow]note:[/] {escape(line)}")
        if dry_run:
            return
        shown = bool(plan.changes or with_triage)
        failed = _report_revert(outcomes, undone, links.failed, shown=shown)
        failed = failed or failing
    raise typer.Exit(ExitCode.PARTIAL if failed else ExitCode.OK)


def _warn_if_serving(state_dir: Path) -> None:
    """One line on stderr when a ``serve`` holds this state directory: it goes on triaging
    while the revert undoes, so a ticket undone here is triaged again when its customer writes.
    A warning, not a refusal: an operator may mean to undo a run and keep the server up."""
    from ..journal.served import SERVE_DIR
    from ..state.lock import live_holder

    if live_holder(state_dir / SERVE_DIR) is None:
        return
    err_console.print(
        f"[yellow]warning:[/] `ticketbot serve` is running on {escape(str(state_dir))}: it may "
        "triage again a ticket this revert undoes when its customer writes; stop it first to "
        "keep the revert whole"
    )


def _report_revert(
    outcomes: Sequence[WriteOutcome],
    undone: Sequence[tuple[int, str | None]],
    links_failed: Sequence[str],
    *,
    shown: bool,
) -> bool:
    """Say what a revert could not undo (and, when it planned any, how many it reverted);
    True when something failed."""
    failed = [o for o in outcomes if o.error is not None]
    for outcome in failed:
        err_console.print(f"ticket {outcome.ticket_id}: {escape(str(outcome.error))}")
    answer_failed = [(i, e) for i, e in undone if e is not None]
    for ticket_id, error in answer_failed:
        err_console.print(f"ticket {ticket_id}: {escape(error or '')}")
    for line in links_failed:
        err_console.print(escape(line))
    if shown:
        typer.echo(f"reverted {len(outcomes) - len(failed)} ticket(s)")
    return bool(failed or answer_failed or links_failed)
