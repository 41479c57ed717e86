"""The ``ticketbot`` command line: parse flags, load settings, call the library.

This is the one place where errors become exit codes (``exitcodes.ExitCode``: 0 success, 1 run
aborted, 2 configuration or usage error, 3 some tickets failed, 130 / 143 stopped by a signal;
``health`` 0 / 1 / 2 / 3 as monitoring plugins do). Each command is a few lines; the work lives
in the library (``runner.run_once`` for a run).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from . import __version__
from .errors import ConfigError, LockHeldError, RunAborted, TicketBotError
from .exitcodes import ExitCode
from .learn_cli import learn
from .logsetup import configure_logging_for
from .scrub import Scrubber
from .settings import Settings, load_settings

if TYPE_CHECKING:
    from .run_types import RunSummary


class Engine(StrEnum):
    llm = "llm"
    learned = "learned"
    rules = "rules"


class EvalEngine(StrEnum):
    llm = "llm"
    learned = "learned"
    rules = "rules"


app = typer.Typer(
    name="ticketbot",
    help="Triage helpdesk tickets with an LLM: tags, priority and an internal note per ticket.",
    no_args_is_help=True,
    add_completion=False,
    # Locals in tracebacks would print tokens; never show them.
    pretty_exceptions_show_locals=False,
)

err_console = Console(stderr=True, highlight=False, soft_wrap=True)

# Typer 0.29's rich help prints a value placeholder (``<bool>``) after every flag, --help
# included, though a flag takes no value (its plain formatter already skips flags). Same rule
# here (older Typers have no such method: nothing to change).
_option_type = getattr(typer.core.TyperOption, "display_type_rich", None)


def _flag_takes_no_value(option: typer.core.TyperOption, ctx: Any) -> str | None:
    return None if option.is_flag or _option_type is None else _option_type(option, ctx)


if _option_type is not None:
    typer.core.TyperOption.display_type_rich = _flag_takes_no_value  # type: ignore[method-assign,assignment]

_ENV_FILE: list[Path] = []  # --env-file, set by the root callback
_ACCOUNT: list[str] = []  # --account, set by the root callback


def env_file_path() -> Path:
    return _ENV_FILE[0] if _ENV_FILE else Path(".env")


def environment() -> dict[str, str]:
    """The process environment, with the selected account's profile laid over it.

    ``--account NAME`` (or ``TICKETBOT_ACCOUNT``) picks a profile of ``accounts.toml``
    (``TICKETBOT_ACCOUNTS`` names another file). In a CronJob rendered by ``schedule --accounts``
    the profile's values are already in the environment and ``TICKETBOT_ACCOUNT`` only names
    it: without an accounts file that is fine, but ``--account`` without one is an error.
    """
    name = _ACCOUNT[0] if _ACCOUNT else os.environ.get("TICKETBOT_ACCOUNT")
    if not name:
        return dict(os.environ)
    path = Path(os.environ.get("TICKETBOT_ACCOUNTS") or "accounts.toml")
    if not path.is_file():
        if _ACCOUNT:
            raise ConfigError(
                f"--account {name}: no accounts file at {path} (set TICKETBOT_ACCOUNTS)"
            )
        return dict(os.environ)
    from .accounts import account_environ

    return account_environ(os.environ, path, name)


def load(overrides: dict[str, Any] | None = None, env_file: Path | None = None) -> Settings:
    """Read the settings once (flag > account profile > environment > .env > default);
    print their warnings once and send library warnings to the log, scrubbed."""
    settings = load_settings(
        environment(), env_file=env_file or env_file_path(), overrides=overrides
    )
    for warning in settings.warnings:
        err_console.print(f"[yellow]configuration warning:[/] {escape(warning)}")
    configure_logging_for(settings, on_terminal=err_console.is_terminal)
    return settings


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret (and URL credentials) masked: the one ``Scrubber``."""
    return Scrubber(secrets).text(text)


@contextmanager
def exit_codes(
    secrets: Callable[[], tuple[str, ...]] = tuple, *, config_code: int = ExitCode.CONFIG
) -> Iterator[None]:
    """Turn ticketbot errors into one clean line on stderr and the documented exit code.

    Messages quote paths, flags and servers' error bodies: escaped, so a ``[/]`` in them is
    printed, not taken as rich markup (which would crash the command with a MarkupError).
    """
    try:
        yield
    except LockHeldError as exc:
        err_console.print(f"ticketbot: {escape(str(exc))}")
        raise typer.Exit(ExitCode.OK) from None
    except ConfigError as exc:
        err_console.print(f"[red]configuration error:[/] {escape(scrub(str(exc), secrets()))}")
        raise typer.Exit(config_code) from None
    except TicketBotError as exc:
        err_console.print(f"[red]error:[/] {escape(scrub(str(exc), secrets()))}")
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err_console.print("interrupted")
        raise typer.Exit(ExitCode.INTERRUPTED) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ticketbot {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    account: Annotated[
        str | None,
        typer.Option("--account", help="A profile of accounts.toml [TICKETBOT_ACCOUNT]."),
    ] = None,
    env_file: Annotated[
        Path | None,
        typer.Option(
            "--env-file",
            dir_okay=False,
            help="Settings file instead of ./.env (the environment wins).",
        ),
    ] = None,
) -> None:
    """Triage helpdesk tickets with an LLM."""
    _ENV_FILE.clear()
    _ACCOUNT.clear()
    if account:
        _ACCOUNT.append(account)
    if env_file is not None:
        if not env_file.is_file():
            err_console.print(
                f"[red]configuration error:[/] --env-file: no file at {escape(str(env_file))}"
            )
            raise typer.Exit(ExitCode.CONFIG)
        _ENV_FILE.append(env_file)


# --- run and demo ------------------------------------------------------------
# (keep each command a few lines calling the library)


def _since(value: str | None) -> datetime | None:
    from .timespec import parse_moment

    return None if value is None else parse_moment(value, now=datetime.now(UTC), flag="--since")


def _report_run(summary: RunSummary, console: Console, *, dry_run: bool) -> None:
    from .render import planned_lines, planned_table, summary_line, summary_table, wide_enough

    title = "Dry run: planned changes (nothing written)"
    if dry_run and wide_enough(console):
        console.print(planned_table(summary.planned, title=title))
    elif dry_run:
        console.print(
            title, *planned_lines(summary.planned), sep="\n", soft_wrap=True, markup=False
        )
    if console.is_terminal:
        console.print(summary_table(summary))
    else:
        console.print(summary_line(summary), markup=False, soft_wrap=True)


@app.command()
def run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Analyse and show the planned changes; write nothing.")
    ] = False,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Triage at most this many tickets.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=256, help="Concurrent LLM calls [TICKETBOT_WORKERS].")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="First run only: tickets updated since 24h, 7d or an ISO date. Default 24h."
        ),
    ] = None,
    engine: Annotated[
        Engine,
        typer.Option(
            help="llm: the best engine available (LLM, else the learned model, else rules), "
            "learned: the model then rules, rules: the rules only."
        ),
    ] = Engine.llm,
    max_runtime: Annotated[
        float | None,
        typer.Option(min=1, help="Stop taking new tickets after this many seconds; flush, save."),
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
        typer.Option("--ticket", help="Triage exactly this ticket (repeat for more)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="With --ticket: triage again although already triaged."),
    ] = False,
) -> None:
    """Triage the tickets that are new since the last run (the job cron runs)."""
    from .render import progress_bar
    from .runner import run_once

    console = Console(highlight=False)
    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load({"workers": workers, "taxonomy_file": taxonomy})
        if force and not ticket:
            raise ConfigError("--force goes with --ticket ID: it re-triages chosen tickets only")
        with progress_bar(console, enabled=console.is_terminal, label="triaging") as tick:
            summary = run_once(
                settings,
                dry_run=dry_run,
                limit=limit,
                since=_since(since),
                engine=engine.value,
                max_runtime=max_runtime,
                query=query,
                set_priority=not no_priority,
                ticket_ids=tuple(ticket or ()),
                force=force,
                on_progress=tick,
            )
        _report_run(summary, console, dry_run=dry_run)
        _tell(summary, settings.secrets)
    _exit(summary)


def _tell(summary: RunSummary, secrets: tuple[str, ...]) -> None:
    """What the user must know on stderr: an abort, a stop, set-aside state, fallbacks."""
    for note in summary.warnings:
        err_console.print(f"[yellow]note:[/] {escape(scrub(note, secrets))}")
    if summary.set_aside:
        files = ", ".join(summary.set_aside)
        err_console.print(
            f"[yellow]warning:[/] damaged state file(s) set aside and replaced by safe defaults: "
            f"{escape(files)} (see the log's state_file_set_aside events)"
        )
    if summary.fallback_reasons:
        reasons = ", ".join(f"{k} ×{v}" for k, v in sorted(summary.fallback_reasons.items()))
        err_console.print(
            f"[yellow]warning:[/] {summary.fallback} ticket(s) fell back to a local engine: "
            f"{escape(scrub(reasons, secrets))}"
        )
    if summary.status == "aborted":
        err_console.print(f"[red]run aborted:[/] {escape(scrub(summary.reason or '', secrets))}")
    elif summary.status == "stopped":
        err_console.print(f"run stopped: {escape(summary.reason or '')}")


def _exit(summary: RunSummary) -> None:
    """Exit with the run's code; after a stop whose grace ran out, without waiting for the
    abandoned analyses (their tickets were left to the next run)."""
    if summary.abandoned:
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(summary.exit_code)
    raise typer.Exit(summary.exit_code)


@app.command()
def demo(
    count: Annotated[int, typer.Option(min=1, max=500, help="Sample tickets to create.")] = 60,
    helpdesk: Annotated[
        str, typer.Option(help="The sandbox to start: zendesk or freshdesk.")
    ] = "zendesk",
) -> None:
    """Zero-configuration tour: a local sandbox, sample tickets, one triage run, the result."""
    from .demo import run_demo

    console = Console(highlight=False)
    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        if helpdesk not in ("zendesk", "freshdesk"):
            raise ConfigError("--helpdesk must be zendesk or freshdesk")
        settings = load()
        code = run_demo(settings, console=console, count=count, helpdesk=helpdesk)
    raise typer.Exit(code)


# --- sandbox -----------------------------------------------------------------
# (keep each command a few lines calling the library)


@app.command()
def sandbox(
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port; 0 picks a free one.")] = 8765,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    plan: Annotated[
        str, typer.Option(help="Rate-limit plan: team, professional, enterprise, high_volume.")
    ] = "enterprise",
    state: Annotated[
        Path | None, typer.Option(help="Keep the tickets in this JSON file across restarts.")
    ] = None,
    latency_ms: Annotated[float, typer.Option(min=0, help="Added latency per request.")] = 0,
    jitter_ms: Annotated[float, typer.Option(min=0, help="Random +/- on the latency.")] = 0,
    error_rate: Annotated[float, typer.Option(min=0, max=1, help="Share of 500/503s.")] = 0,
    conflict_rate: Annotated[float, typer.Option(min=0, max=1, help="Share of 409s.")] = 0,
    drop_rate: Annotated[float, typer.Option(min=0, max=1, help="Share of cut connections.")] = 0,
    email: Annotated[str, typer.Option(help="Agent email accepted for basic auth.")] = (
        "agent@example.com"
    ),
    token: Annotated[
        str, typer.Option(help="API token accepted for basic auth.", show_default=False)
    ] = "sandbox-token",  # noqa: S107 - the sandbox's documented default
    helpdesk: Annotated[
        str, typer.Option(help="zendesk, or freshdesk (plans trial, growth, pro, enterprise).")
    ] = "zendesk",
    api_key: Annotated[
        str, typer.Option(help="Freshdesk API key accepted for basic auth.", show_default=False)
    ] = "sandbox-key",
) -> None:
    """Serve a local Zendesk- or Freshdesk-compatible API (Ctrl-C stops it)."""
    import signal

    if helpdesk == "freshdesk":
        from .sandbox.freshdesk.command import serve_from_flags

        with exit_codes(lambda: (api_key,)):
            signal.signal(signal.SIGTERM, _interrupt)
            # --conflict-rate is Freshdesk's kind of conflict: an agent edits the ticket meanwhile.
            rates = (latency_ms, jitter_ms, error_rate, conflict_rate, drop_rate)
            serve_from_flags(host, port, plan, api_key, state, rates, echo=typer.echo)
        return

    from .sandbox import PLAN_LIMITS, SandboxConfig, serve_forever

    config = SandboxConfig(
        email=email,
        token=token,
        plan=plan,
        state_file=state,
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        error_rate=error_rate,
        conflict_rate=conflict_rate,
        drop_rate=drop_rate,
    )

    def ready(url: str) -> None:
        typer.echo(f"Zendesk sandbox listening on {url}  (ZENDESK_URL={url}, Ctrl-C stops)")

    with exit_codes(lambda: (token,)):
        if helpdesk != "zendesk":
            raise ConfigError("--helpdesk must be zendesk or freshdesk")
        if plan not in PLAN_LIMITS:
            raise ConfigError(f"--plan must be one of {', '.join(PLAN_LIMITS)}")
        # SIGTERM (service managers, kill) stops as cleanly as Ctrl-C: the state file is saved.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            serve_forever(config, host=host, port=port, on_ready=ready)
        except OSError as exc:
            raise ConfigError(f"--port {port}: cannot listen on {host}: {exc.strerror}") from None
        except KeyboardInterrupt:
            typer.echo("sandbox stopped")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


# --- seed --------------------------------------------------------------------
# (keep each command a few lines calling the library)


@app.command()
def seed(
    count: Annotated[
        int | None,
        typer.Option(
            min=1, max=100_000, help="Tickets to create (default 50 samples; with --from all)."
        ),
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option("--from", dir_okay=False, help="JSON lines with subject and description."),
    ] = None,
    yes: Annotated[
        bool,
        typer.Option("--yes", help="Seed a real helpdesk (not a ticketbot sandbox) all the same."),
    ] = False,
) -> None:
    """Create realistic sample tickets in the local sandbox (a real helpdesk only with --yes)."""
    from .helpdesks import connect
    from .seed import run_seed

    console = Console(highlight=False)
    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        helpdesk = connect(settings)
        try:
            probe = helpdesk.probe()
        finally:
            helpdesk.close()
        if not probe.ok:
            raise RunAborted(probe.detail)
        if not probe.sandbox and not yes:
            raise ConfigError(
                f"{helpdesk.base_url} is not a ticketbot sandbox: seed would write sample tickets "
                "into a real helpdesk. Add --yes if that is what you want."
            )
        result = run_seed(settings, count=count, source=from_file, console=console)
    raise typer.Exit(ExitCode.PARTIAL if result.failed else ExitCode.OK)


# --- eval --------------------------------------------------------------------
# (keep each command a few lines calling the library)


@app.command(name="eval")
def eval_(
    file: Annotated[
        Path, typer.Argument(dir_okay=False, help="Labelled JSON lines (id, source, subject, ...).")
    ],
    engine: Annotated[
        Engine,
        typer.Option(help="rules, learned (the model, rules on failure) or llm (the endpoint)."),
    ] = Engine.rules,
    model: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False, help="--engine learned: model file [TICKETBOT_LEARNED_MODEL]."
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Score only the first N rows.")] = None,
    taxonomy: Annotated[
        Path | None, typer.Option(help="Taxonomy TOML [TICKETBOT_TAXONOMY].")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    predictions: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="Write one JSON line per ticket with the prediction."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=256, help="Concurrent LLM calls [TICKETBOT_WORKERS].")
    ] = None,
) -> None:
    """Accuracy and macro-F1 per field of an engine on a labelled JSONL file."""
    import orjson

    from .eval_report import print_result, result_json
    from .eval_run import build_eval_chain, run_eval, write_predictions
    from .render import progress_bar
    from .taxonomy import load_taxonomy

    console = Console(highlight=False)
    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load({"workers": workers, "taxonomy_file": taxonomy, "learned_model": model})
        chosen = load_taxonomy(settings.taxonomy_file)
        chain = build_eval_chain(settings, chosen, engine.value)
        show = console.is_terminal and not as_json and engine != Engine.rules
        with progress_bar(console, enabled=show, label="analysing") as tick:
            result = run_eval(
                file,
                chosen,
                chain=chain,
                limit=limit,
                workers=settings.workers,
                max_input_tokens=settings.max_input_tokens,
                on_progress=lambda: tick("row"),
            )
        if predictions is not None:
            write_predictions(predictions, result.predictions)
        if as_json:
            typer.echo(orjson.dumps(result_json(result), option=orjson.OPT_INDENT_2).decode())
        else:
            print_result(result, console)


# --- revert --------------------------------------------------------------------


@app.command()
def revert(
    run_id: Annotated[str, typer.Option("--run", help="The run to undo (from `report`).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be undone; write nothing.")
    ] = False,
) -> None:
    """Undo one run: remove its tags, restore priority and group where nobody changed them."""
    from .helpdesks import connect
    from .ledger import RunLedger
    from .logs import read_events
    from .revert import apply_revert, plan_revert, writes_of_run
    from .state import RunLock

    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        writes = writes_of_run(read_events(settings.log_dir), run_id)
        if not writes:
            raise ConfigError(
                f"--run: no triaged tickets of run {run_id!r} in {settings.log_dir} "
                "(see `ticketbot report` for run ids)"
            )
        helpdesk = connect(settings)
        try:
            tickets = {t.id: t for t in helpdesk.tickets([w.ticket_id for w in writes])}
            plan = plan_revert(run_id, writes, tickets, prefix=settings.tag_prefix)
            for change in plan.changes:
                typer.echo(
                    f"ticket {change.ticket_id}: remove {', '.join(change.remove_tags) or '-'}"
                    + (f"; priority -> {change.priority.value}" if change.priority else "")
                    + (f"; group -> {change.group_id}" if change.group_id is not None else "")
                )
            typer.echo(
                f"{len(plan.changes)} to revert, {len(plan.untouched)} already changed by "
                f"someone since, {len(plan.missing)} gone"
            )
            if dry_run or not plan.changes:
                return
            with RunLock(settings.state_dir):
                outcomes = apply_revert(helpdesk, RunLedger(settings.state_dir), plan)
        finally:
            helpdesk.close()
        failed = [o for o in outcomes if o.error is not None]
        for outcome in failed:
            err_console.print(f"ticket {outcome.ticket_id}: {escape(str(outcome.error))}")
        typer.echo(f"reverted {len(outcomes) - len(failed)} ticket(s)")
    raise typer.Exit(ExitCode.PARTIAL if failed else ExitCode.OK)


# --- config --------------------------------------------------------------------


@app.command()
def config(
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Show the effective settings, where each came from, and secrets masked."""
    from .settings import describe_settings

    with exit_codes():
        rows = describe_settings(environment(), env_file=env_file_path())
        if json_output:
            typer.echo(_json(rows))
            return
        width = max(len(row["variable"]) for row in rows)
        for row in rows:
            typer.echo(f"{row['variable']:<{width}}  {row['value']}  ({row['source']})")


# --- breaker -------------------------------------------------------------------

breaker_app = typer.Typer(help="Circuit breakers kept between runs (by dependency and endpoint).")
app.add_typer(breaker_app, name="breaker")

from .kb_cli import kb_app  # noqa: E402 - the help-centre commands live in their own module

app.add_typer(kb_app, name="kb")


@breaker_app.command("reset")
def breaker_reset(
    name: Annotated[
        str | None, typer.Argument(help="One breaker (as `health` lists it). Default: all.")
    ] = None,
) -> None:
    """Close the persisted circuit breakers now (after fixing a URL or a key)."""
    from .ledger import RunLedger
    from .state import RunLock

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


# --- routes (its own module) -------------------------------------------------

from .routes_cli import routes_app  # noqa: E402 - registered where the other sub-apps are

app.add_typer(routes_app, name="routes")
app.command()(learn)


# --- health, report, schedule ------------------------------------------------
# (keep each command a few lines calling the library)


@app.command()
def health(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
) -> None:
    """Check helpdesk, LLM, disk, breakers and recent runs.

    Exit code 0 healthy, 1 degraded, 2 unhealthy, 3 could not check (as monitoring plugins).
    """
    from .health import check_health, health_table

    settings: Settings | None = None
    with exit_codes(
        lambda: settings.secrets if settings else (), config_code=ExitCode.HEALTH_UNKNOWN
    ):
        settings = load()
        verdict = check_health(settings)
        if json_output:
            typer.echo(_json(settings.scrubber()(verdict.to_dict())))
        else:
            Console(highlight=False).print(health_table(verdict, scrubber=settings.scrubber()))
    raise typer.Exit(verdict.exit_code)


@app.command()
def report(
    since: Annotated[
        str, typer.Option(help="A span back from now (24h, 7d, 30m) or an ISO date or time.")
    ] = "24h",
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the figures as one JSON object.")
    ] = False,
    html: Annotated[
        Path | None, typer.Option(help="Also write a self-contained HTML report to this file.")
    ] = None,
    log_dir: Annotated[
        Path | None, typer.Option(file_okay=False, help="Logs to read [TICKETBOT_LOG_DIR].")
    ] = None,
) -> None:
    """Summarise the JSON-lines logs: tickets, success and fallback rates, latency, tokens, cost."""
    from .logs import read_events
    from .pipe_output import PipeConsole, stdout_may_close
    from .report import DEFAULT_PRICES, build_report, parse_prices, parse_since
    from .report_html import render_html
    from .report_table import print_report

    console = PipeConsole(highlight=False)
    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()), stdout_may_close():
        settings = load({"log_dir": log_dir})
        prices = {**DEFAULT_PRICES, **parse_prices(settings.prices or "")}
        now = datetime.now(UTC)
        start = parse_since(since, now=now)
        events = read_events(settings.log_dir, since=start)
        older = read_events(settings.log_dir, until=start)  # for agents' agreement
        summary = build_report(events, prices=prices, since=start, until=now, history=older)
        if html is not None:  # first: a reader that closes stdout early must not cost the file
            try:
                html.parent.mkdir(parents=True, exist_ok=True)
                html.write_text(render_html(summary), encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"--html: cannot write {html} ({exc.strerror or exc})") from None
        if json_output:
            typer.echo(_json({**summary.to_dict(), "corrupt_lines": events.corrupt_lines}))
        else:
            print_report(summary, console, log_dir=settings.log_dir)
            if events.corrupt_lines:
                err_console.print(f"skipped {events.corrupt_lines} unreadable log line(s)")
            if html is not None:
                console.print(f"HTML report written to {html}")


@app.command()
def schedule(
    print_format: Annotated[
        str, typer.Option("--print", help="cron, windows (Task Scheduler XML) or kubernetes.")
    ],
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
) -> None:
    """Print a schedule that runs ticketbot every 10 minutes (crontab, Task Scheduler, CronJob)."""
    import dataclasses
    import sys

    from .schedule import ScheduleSpec, default_executable, render

    with exit_codes():
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
        )
        if image:
            spec = dataclasses.replace(spec, image=image)
        text = render(print_format, spec)
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
    from .accounts import load_accounts
    from .schedule_kube import accounts_manifests

    if print_format != "kubernetes":
        raise ConfigError("--accounts: one job per account is rendered for --print kubernetes")
    return accounts_manifests(load_accounts(path), image=image)


def _json(data: object) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="ticketbot")


if __name__ == "__main__":  # pragma: no cover
    main()
