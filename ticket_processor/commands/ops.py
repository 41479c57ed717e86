"""The operator's commands: ``config``, ``breaker reset``, ``health``, ``report``, ``schedule``.

Each a few lines calling the library (``settings.describe.describe_settings``, ``state.ledger``,
``ops.health``, ``report``, ``ops.schedule``); registered in ``cli`` (``breaker_app`` as the
``breaker`` group).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from .. import __version__
from ..errors import ConfigError
from ..exitcodes import ExitCode
from ..ops.schedule import FORMATS as SCHEDULE_FORMATS
from ..settings import Settings
from .common import (
    account_flag,
    env_file_path,
    environment,
    err_console,
    exit_codes,
    json_text,
    load,
)

if TYPE_CHECKING:
    from ..llm import LLMAnalyser
    from ..models import Helpdesk
    from ..ops.health import HealthSetup


def config(
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    describe: Annotated[
        bool, typer.Option("--describe", help="Each setting's one line of help beneath it.")
    ] = False,
) -> None:
    """Show the effective settings, where each came from, and secrets masked."""

    from ..run.connect import load_settings
    from ..settings.describe import describe_settings

    with exit_codes():
        environ, env_file = environment(), env_file_path()
        settings = load_settings(environ, env_file=env_file)
        for warning in settings.warnings:  # a misspelt name is what `config` is run to find
            err_console.print(f"[yellow]configuration warning:[/] {escape(warning)}")
        rows = describe_settings(
            environ, env_file=env_file, settings=settings, account_flag=account_flag()
        )
        if json_output:
            typer.echo(json_text(rows))
            return
        width = max(len(row["variable"]) for row in rows)
        for row in rows:
            typer.echo(f"{row['variable']:<{width}}  {row['value']}  ({row['source']})")
            if describe and row["help"]:
                typer.echo(f"{'':<{width}}  {row['help']}")


breaker_app = typer.Typer(help="Circuit breakers kept between runs (by dependency and endpoint).")


@breaker_app.command("reset")
def breaker_reset(
    name: Annotated[
        str | None, typer.Argument(help="One breaker (as `health` lists it). Default: all.")
    ] = None,
) -> None:
    """Close the persisted circuit breakers now (after fixing a URL or a key)."""
    from ..state.ledger import RunLedger
    from ..state.lock import RunLock

    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        with RunLock(settings.state_dir):
            ledger = RunLedger(settings.state_dir)
            known = ledger.breaker_states()
            if name is not None and name not in known:
                listed = ", ".join(sorted(known)) or "none"
                raise ConfigError(f"no breaker named {name!r}; the breakers are: {listed}")
            opened = ledger.reset_breakers(None if name is None else [name])
        typer.echo(
            f"closed {len(opened)} open breaker(s): {', '.join(opened)}"
            if opened
            else "no breaker was open"
        )


def health_setup(settings: Settings) -> HealthSetup:
    """What ``health`` checks, from the settings: the configured helpdesk and LLM endpoint as
    connectors that take health's timeout (one try each: the run is the one that retries)."""
    from ..ops.health import HealthSetup
    from ..run.connect import breaker_name, connect
    from ..run.engines import llm_breaker_name

    def helpdesk(timeout: float) -> Helpdesk:
        return connect(settings.model_copy(update={"http_timeout": timeout}))

    def llm(timeout: float) -> LLMAnalyser:
        from ..run.engines import build_analyser  # openai: imported only when an LLM is configured

        return build_analyser(settings, workers=1, breaker=None, retry=None, timeout=timeout)

    try:
        # The LLM's breaker is in use only where an LLM is configured: without one no ticket's
        # text goes to an LLM, and health must not name OpenAI's endpoint as one in use.
        llm_in_use = (llm_breaker_name(settings),) if settings.llm_configured else ()
        in_use: tuple[str, ...] | None = (breaker_name(settings), *llm_in_use)
    except ConfigError:  # no helpdesk URL: its own check says so (exit 3); judge every breaker
        in_use = None
    return HealthSetup(
        helpdesk=settings.helpdesk,
        connect=helpdesk,
        llm=llm if settings.llm_configured else None,
        log_dir=settings.log_dir,
        state_dir=settings.state_dir,
        learned_model=settings.learned_model,
        routes_file=settings.routes_file,
        taxonomy_file=settings.taxonomy_file,
        tag_prefix=settings.tag_prefix,
        success_objective=settings.success_objective,
        fields_file=settings.fields_file,
        summary_field=settings.summary_field,
        llm_model=settings.models[0],
        apply_at=settings.apply_at,
        confidence_threshold=settings.confidence_threshold,
        redis_url=settings.llm_budget.get_secret_value() if settings.llm_budget else None,
        database_url=settings.database_url.get_secret_value() if settings.database_url else None,
        breakers_in_use=in_use,
    )


def health(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
) -> None:
    """Check helpdesk, LLM, disk, breakers and recent runs.

    Exit code 0 healthy, 1 degraded, 2 unhealthy, 3 could not check (as monitoring plugins).
    """
    from ..ops.health import check_health, health_table

    settings: Settings | None = None
    with exit_codes(
        lambda: settings.secrets if settings else (),
        config_code=ExitCode.HEALTH_UNKNOWN,
        key_code=ExitCode.HEALTH_UNKNOWN,
    ):
        settings = load()
        verdict = check_health(health_setup(settings))
        if json_output:
            typer.echo(json_text(settings.scrubber()(verdict.to_dict())))
        else:
            Console(highlight=False).print(health_table(verdict, scrubber=settings.scrubber()))
    raise typer.Exit(verdict.exit_code)


def report(
    since: Annotated[
        str, typer.Option(help="A span back from now (24h, 7d, 30m) or an ISO date or time.")
    ] = "24h",
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the figures as one JSON object.")
    ] = False,
    html: Annotated[
        Path | None,
        typer.Option(
            help="Write the report as one self-contained HTML page to this file, and say where "
            "(instead of printing it)."
        ),
    ] = None,
    log_dir: Annotated[
        Path | None, typer.Option(file_okay=False, help="Logs to read [TICKETBOT_LOG_DIR].")
    ] = None,
) -> None:
    """Summarise the runs: tickets, success and fallback rates, latency, tokens, cost.

    Also what the spam gate set aside (by kind, with its tickets), the articles to write (the kinds of tickets answers had no source for) and the agents' time saved (its formula shown; TICKETBOT_SAVED_SECONDS_PER_*).

    From the audit store when it holds the window's runs, else from the JSON-lines logs (--log-dir: the logs)."""  # noqa: E501 - Typer shows each paragraph as written: one line

    from ..common.eventlog import read_events
    from ..features.registry import report_parts
    from ..report.aggregate import build_report, parse_since
    from ..report.html import render_html
    from ..report.prices import DEFAULT_PRICES, parse_prices
    from ..report.sla import sla_report
    from ..report.spam import spam_report
    from ..report.stored import with_logged
    from ..report.table import print_report
    from ..steps.feature import ReportAsk
    from . import report_inputs as parts
    from .output import PipeConsole, stdout_may_close

    console = PipeConsole(highlight=False)
    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()), stdout_may_close():
        settings = load({"log_dir": log_dir})
        prices = {**DEFAULT_PRICES, **parse_prices(settings.prices or "")}
        now = datetime.now(UTC)
        start = parse_since(since, now=now)
        events = read_events(settings.log_dir, since=start)
        older: Iterable[Mapping[str, Any]] = read_events(settings.log_dir, until=start)
        stored = None if log_dir is not None else parts.stored_events_of(settings, start, now)
        window: Iterable[Mapping[str, Any]] = events
        if stored is not None:
            # The same events, from the store; the kinds it does not keep, from the logs.
            window = with_logged(stored[0], read_events(settings.log_dir, since=start))
            older = stored[1]
        grouped = parts.incidents_of(read_events(settings.log_dir, since=start), settings.state_dir)
        # The log was scrubbed when written, but perhaps with fewer secrets than are known now
        # (a key added to a URL since): every event is scrubbed again on its way to the report.
        # The older history only lends the labels written on tickets (enum values), no text.
        scrub = settings.scrubber()
        scrubbed = [scrub(e) for e in window]
        summary = build_report(scrubbed, prices=prices, since=start, until=now, history=older)
        summary = parts.with_state(summary, settings, scrubbed, start, now)
        # Dry and shadow runs tagged nothing: the gate's verdicts there are counted apart.
        untagged = {r.run_id for r in summary.run_list if r.dry_run or r.shadow}
        spam = spam_report(scrubbed, prefix=settings.tag_prefix, dry_runs=untagged)
        own = report_parts(ReportAsk(settings, scrubbed, start, now))
        if html is not None:  # first: a reader that closes stdout early must not cost the file
            html_page = render_html(
                summary,
                version=__version__,
                incidents=grouped,
                spam=spam,
                features=[section for part in own for section in part.html],
            )
            parts.write_page(html, html_page)
        if json_output:
            typer.echo(
                json_text(
                    {
                        **summary.to_dict(),
                        **grouped.to_dict(),
                        "spam": spam.to_dict(),
                        "sla": sla_report(scrubbed).to_dict(),
                        **{part.key: part.figures for part in own},
                        "corrupt_lines": events.corrupt_lines,
                    }
                )
            )
        elif html is not None:
            # The page is the report asked for; the terminal's copy would only bury where it went.
            # Whole on one line, however long: a path is copied, not read.
            console.print(
                f"HTML report written to {html}", markup=False, highlight=False, soft_wrap=True
            )
        else:
            print_report(summary, console, log_dir=settings.log_dir)
            sections = parts.report_lines(grouped, spam, sla_report(scrubbed), own)
            for line in sections:
                console.print(line, markup=False, highlight=False, soft_wrap=True)
        if events.corrupt_lines and not json_output:
            err_console.print(f"skipped {events.corrupt_lines} unreadable log line(s)")


def schedule(
    print_format: Annotated[
        str | None,
        typer.Option(
            "--print",
            metavar="[" + "|".join(SCHEDULE_FORMATS) + "]",
            help="What to print: cron (a crontab line), windows (Task Scheduler XML) or "
            "kubernetes (a CronJob).",
        ),
    ] = None,
    workdir: Annotated[
        Path | None, typer.Option(help="Directory the run starts in. Default: this one.")
    ] = None,
    env_file: Annotated[
        Path | None, typer.Option(help="Settings file. Default: .env in the working directory.")
    ] = None,
    max_runtime: Annotated[
        int, typer.Option(help="Seconds a run may take new tickets (below the 600 s interval).")
    ] = 540,
    executable: Annotated[
        str | None, typer.Option(help="Path of the ticketbot command. Default: this install's.")
    ] = None,
    image: Annotated[str | None, typer.Option(help="Container image (kubernetes).")] = None,
    accounts: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="accounts.toml: one CronJob per account (kubernetes)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file (Task Scheduler XML as UTF-16)."),
    ] = None,
    weekly_learn: Annotated[
        bool,
        typer.Option(
            "--weekly-learn",
            help="cron: add the weekly 'learn --from-helpdesk --promote' (the learning loop).",
        ),
    ] = False,
    backfill: Annotated[
        int | None,
        typer.Option(
            "--backfill",
            metavar="SHARDS",
            min=1,
            max=1000,
            help="kubernetes: an Indexed Job of SHARDS pods backfilling --since "
            "(backfill --shards).",
        ),
    ] = None,
    since: Annotated[
        str, typer.Option(help="--backfill: the start of the history (7d, 90d, an ISO date).")
    ] = "30d",
) -> None:
    """Print a schedule that runs ticketbot every 10 minutes (crontab, Task Scheduler, CronJob)."""
    import dataclasses
    import sys

    from ..ops.schedule import ScheduleSpec, default_executable, render

    with exit_codes():
        if print_format is None:
            raise ConfigError(f"--print is required: one of {', '.join(SCHEDULE_FORMATS)}")
        settings = load()
        windows = print_format == "windows"
        where = str(workdir) if workdir else os.getcwd()
        if executable is None and windows and sys.platform != "win32":
            executable = where.rstrip("\\") + "\\.venv\\Scripts\\ticketbot.exe"
        spec = ScheduleSpec(
            workdir=where if windows or workdir is None else str(workdir.resolve()),
            executable=executable or default_executable(Path(sys.executable), windows=windows),
            env_file=str(env_file) if env_file else None,
            max_runtime=max_runtime,
            log_dir=str(settings.log_dir),
            weekly_learn=weekly_learn,
            taxonomy=str(settings.taxonomy_file) if settings.taxonomy_file else None,
            routes=str(settings.routes_file) if settings.routes_file else None,
        )
        if weekly_learn and print_format != "cron":
            raise ConfigError("--weekly-learn goes with --print cron")
        if image:
            spec = dataclasses.replace(spec, image=image)
        text = render(print_format, spec)
        if backfill is not None:
            from ..ops.schedule import kubernetes_backfill

            if print_format != "kubernetes":
                raise ConfigError("--backfill renders a Kubernetes Indexed Job: --print kubernetes")
            text = kubernetes_backfill(spec, shards=backfill, since=since)
        if accounts is not None:
            text = _accounts_schedule(print_format, accounts, spec.image)
        if output is None:
            typer.echo(text, nl=False)
            return
        # The XML declares UTF-16, as Task Scheduler exports do; the bytes must match it.
        try:
            output.write_text(text, encoding="utf-16" if windows else "utf-8", newline="")
        except OSError as exc:
            raise ConfigError(f"--output: cannot write {output} ({exc.strerror or exc})") from None
        err_console.print(f"written to {output}")


def _accounts_schedule(print_format: str, path: Path, image: str) -> str:
    from ..ops.accounts import load_accounts
    from ..ops.kube import accounts_manifests

    if print_format != "kubernetes":
        raise ConfigError("--accounts: one job per account is rendered for --print kubernetes")
    return accounts_manifests(load_accounts(path), image=image)
