"""The ``ticketbot`` command line: the Typer app, the root options and the command registry.

Errors become exit codes in one place, ``commands.common.exit_codes`` (``exitcodes.ExitCode``: 0
success, 1 run aborted, 2 configuration or usage error, 3 some tickets failed, 130 / 143 stopped
by a signal; ``health`` 0 / 1 / 2 / 3 as monitoring plugins do). The commands live in their own
modules of ``commands/`` (``run``: run, demo, revert; ``backfill``; ``sandbox``: sandbox, seed;
``eval``; ``ops``: config, breaker, health, report, schedule; ``dashboard``; ``serve``;
``discover``; ``audit``; ``learn``, ``kb``, ``routes``; a feature's own in its folder:
``answers``, ``macros``, ``privacy``), each a few lines calling
the library, and are listed in ``COMMANDS``, one line each; ``main`` imports only the module of
the command it runs. What the commands share (``load``, ``exit_codes``, the consoles) is
``commands.common``, which they import directly; nothing is re-exported here.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from . import __version__
from .commands.console import escape
from .common.collector import paused
from .exitcodes import ExitCode
from .ops.arenas import tune_malloc

# The commands, in the order --help lists them: (name, module of ``commands/`` (or, with a dot,
# the module of a feature's own folder that holds its commands), attribute,
# whether it is a group of its own, the line ``ticketbot --help`` shows for it). Imported when
# the app is built: ``main`` builds only the command it is asked for (``ticketbot run`` loads
# none of the others' modules), the full app for a mistyped name (its suggestions) and for
# ``app`` (tests, embedding). ``ticketbot --help`` imports none: it lists the names and lines
# kept here (``tests/commands/test_cli_lazy.py`` holds them to the commands' docstrings), as
# importing every command's module cost the listing half a second of CPU.
COMMANDS: tuple[tuple[str, str, str, bool, str], ...] = (
    (
        "run",
        "run",
        "run",
        False,
        "Triage the tickets that are new since the last run (the job cron runs).",
    ),
    (
        "backfill",
        "backfill",
        "backfill",
        False,
        "Triage past tickets, through the LLM's Batch API at half price where it has one.",
    ),
    (
        "demo",
        "run",
        "demo",
        False,
        "Zero-configuration tour: a local sandbox, sample tickets, one triage run, the result.",
    ),
    (
        "sandbox",
        "sandbox",
        "sandbox",
        False,
        "Serve a local helpdesk API, and with --llm an LLM stand-in (Ctrl-C stops them).",
    ),
    (
        "seed",
        "sandbox",
        "seed",
        False,
        "Create realistic sample tickets in the local sandbox (a real helpdesk only with --yes).",
    ),
    (
        "eval",
        "eval",
        "eval_",
        False,
        "Accuracy and macro-F1 per field of an engine on a labelled JSONL file.",
    ),
    (
        "calibrate",
        "calibrate",
        "calibrate",
        False,
        "Calibrate the LLM's confidence per field on labelled tickets (kept in the state dir).",
    ),
    (
        "discover",
        "discover",
        "discover",
        False,
        "Propose topics from tickets, and say which ones the taxonomy does not cover.",
    ),
    (
        "revert",
        "run",
        "revert",
        False,
        "Undo one run: remove its tags, restore priority and group where nobody changed them.",
    ),
    (
        "config",
        "ops",
        "config",
        False,
        "Show the effective settings, where each came from, and secrets masked.",
    ),
    (
        "learn",
        "learn",
        "learn",
        False,
        "Train the learned engine on a labelled JSONL file, or on solved tickets "
        "(--from-helpdesk).",
    ),
    ("health", "ops", "health", False, "Check helpdesk, LLM, disk, breakers and recent runs."),
    (
        "report",
        "ops",
        "report",
        False,
        "Summarise the runs: tickets, success and fallback rates, latency, tokens, cost.",
    ),
    (
        "schedule",
        "ops",
        "schedule",
        False,
        "Print a schedule that runs ticketbot every 10 minutes (crontab, Task Scheduler, CronJob).",
    ),
    (
        "dashboard",
        "dashboard",
        "dashboard",
        False,
        "Serve the audit store as a web page: overview, ticket list, history, review queue.",
    ),
    (
        "serve",
        "serve",
        "serve",
        False,
        "Take the helpdesk's webhooks and triage each ticket within seconds; answer a triage API.",
    ),
    (
        "breaker",
        "ops",
        "breaker_app",
        True,
        "Circuit breakers kept between runs (by dependency and endpoint).",
    ),
    ("kb", "kb", "kb_app", True, "The help-centre index: sync it, measure its suggestions."),
    (
        "macros",
        "macros.command",
        "macros_app",
        True,
        "Suggested macros: sync them and their history, measure them.",
    ),
    (
        "privacy",
        "privacy.command",
        "privacy_app",
        True,
        "Customers' data: what ticketbot holds about one, and forgetting it.",
    ),
    ("routes", "routes", "routes_app", True, "Routing and escalation rules (routes.toml)."),
    (
        "fields",
        "fields",
        "fields_app",
        True,
        "Entities into the helpdesk's own fields (fields.toml).",
    ),
    ("audit", "audit", "audit_app", True, "The audit store: import past logs, show what it holds."),
    (
        "answers",
        "answers.command",
        "answers_app",
        True,
        "Answering the customer: the policy, the ladder, the figures.",
    ),
    (
        "taxonomy",
        "taxonomy",
        "taxonomy_app",
        True,
        "The taxonomy: check its examples before a run uses them.",
    ),
)
# The root options that take a value (``ticketbot --account acme run``).
_ROOT_VALUES = ("--account", "--env-file")

# Typer 0.29's rich help prints a value placeholder (``<bool>``) after every flag, --help
# included, though a flag takes no value (its plain formatter already skips flags). Same rule
# here (older Typers have no such method: nothing to change).
_option_type = getattr(typer.core.TyperOption, "display_type_rich", None)


def _flag_takes_no_value(option: typer.core.TyperOption, ctx: Any) -> str | None:
    return None if option.is_flag or _option_type is None else _option_type(option, ctx)


if _option_type is not None:
    typer.core.TyperOption.display_type_rich = _flag_takes_no_value  # type: ignore[method-assign,assignment]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ticketbot {__version__}")
        raise typer.Exit()


def _root(
    ctx: typer.Context,
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
    # Here, not at the top: the settings and the models it brings cost ``--version`` and
    # ``--help`` a tenth of a second they never use.
    from .commands.common import _ACCOUNT, _ENV_FILE, err_console
    from .settings.read import is_settings_file

    _ENV_FILE.clear()
    _ACCOUNT.clear()
    if account:
        _ACCOUNT.append(account)
    if env_file is not None:
        if not is_settings_file(env_file):
            err_console.print(
                f"[red]configuration error:[/] --env-file: no file at {escape(str(env_file))}"
            )
            # ``health`` speaks the monitoring-plugin convention: a check it could not make
            # is UNKNOWN, never CRITICAL, its configuration errors included.
            health = ctx.invoked_subcommand == "health"
            raise typer.Exit(ExitCode.HEALTH_UNKNOWN if health else ExitCode.CONFIG)
        _ENV_FILE.append(env_file)


# --- the app: every command, or the one asked for ---------------------------


def _command_module(module: str) -> str:
    """The module ``COMMANDS`` names, relative to the package: a bare name is in ``commands/``,
    a dotted one in a feature's own folder (the feature's commands live with it)."""
    return f".{module}" if "." in module else f".commands.{module}"


def build_app(only: str | None = None) -> typer.Typer:
    """The ``ticketbot`` app with every command, or with ``only`` that one (``""``: none, for
    ``--version``, which answers before any command is looked at)."""
    built = typer.Typer(
        name="ticketbot",
        help="Triage helpdesk tickets with an LLM: tags, priority and an internal note per ticket.",
        no_args_is_help=True,
        add_completion=False,
        # Locals in tracebacks would print tokens; never show them.
        pretty_exceptions_show_locals=False,
    )
    built.callback()(_root)
    for name, module, attribute, group, _line in COMMANDS:
        if only is not None and name != only:
            continue
        target = getattr(import_module(_command_module(module), __package__), attribute)
        if group:
            built.add_typer(target, name=name)
        else:
            built.command(name=name)(target)
    return built


def listing_app() -> typer.Typer:
    """The app ``ticketbot --help`` prints: the root options and every command's name and
    line from ``COMMANDS``, no command's module imported (each stands in for the command it
    names and does nothing: only its line is ever read)."""
    built = build_app("")
    for name, _module, _attribute, group, line in COMMANDS:
        if group:
            built.add_typer(typer.Typer(help=line), name=name)
        else:
            built.command(name=name, help=line)(_listed)
    return built


def _listed() -> None:
    """A command as ``ticketbot --help`` lists it; never run."""


def asks_for_the_list(args: list[str]) -> bool:
    """Whether ``args`` ask for the root help and nothing else: no word but the root options
    and ``--help`` (or no word: the app then prints its help)."""
    rest = iter(args)
    for word in rest:
        if word in _ROOT_VALUES:
            next(rest, None)
        elif word != "--help" and not word.startswith(tuple(f"{o}=" for o in _ROOT_VALUES)):
            return False
    return True


def invoked(args: list[str]) -> str | None:
    """The command ``args`` name (after the root options), or None: none, or not one of ours
    (the full app says so, with its suggestions); ``""`` for ``--version``, which no command's
    module is needed to answer."""
    rest = iter(args)
    for word in rest:
        if word in _ROOT_VALUES:
            next(rest, None)
        elif word == "--version":
            return ""
        elif word.startswith("-"):
            if not word.startswith(tuple(f"{option}=" for option in _ROOT_VALUES)):
                return None  # --help or a mistake: the full app answers
        else:
            return word if word in {entry[0] for entry in COMMANDS} else None
    return None


_FULL: list[typer.Typer] = []


def __getattr__(name: str) -> Any:
    # ``from ticket_processor.cli import app``: the full app, built on first use.
    if name == "app":
        if not _FULL:
            _FULL.append(build_app())
        return _FULL[0]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point."""
    # Before any thread: glibc sizes a thread's arena when it first allocates.
    tune_malloc(os.environ)
    try:
        args = sys.argv[1:]
        with paused():  # the command's modules: nothing to collect among them
            built = listing_app() if asks_for_the_list(args) else build_app(invoked(args))
        built(prog_name="ticketbot")
    except SystemExit as ended:
        # Not imported for ``--version`` (nor ``--help``): no command ran to leave a thread.
        common = sys.modules.get(f"{__package__}.commands.common")
        if common is not None and common.threads_left_running():
            # The run abandoned analyses still waiting on the LLM: exiting normally would
            # wait for their threads, past the bound the user gave.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(ended.code if isinstance(ended.code, int) else ExitCode.ABORTED)
        raise


def console() -> None:
    """``ticketbot`` and ``python -m ticket_processor``: ``main``, then the process ends without
    the interpreter's teardown (freeing every module and object one by one: 1.1-1.5 s of CPU
    after a 1,000-ticket run, more than the run's log or write-back cost). What a normal exit
    does first is done first: threads of ours still running keep the normal exit (it waits for
    them), the ``atexit`` work runs (the logging handlers' flush and close among it) and the
    standard streams are flushed. Only the console script ends so: ``main`` returns or raises
    to a caller running the app in its own process (a test, an embedding program)."""
    try:
        main()
    except SystemExit as ended:
        code = 0 if ended.code is None else ended.code
        if not isinstance(code, int):
            raise  # a message to print: the normal exit prints it
    else:
        code = 0
    leave(code)


def leave(code: int) -> NoReturn:
    """End the process with ``code`` as ``console`` does: the exit work, no teardown."""
    if _others_running():
        sys.exit(code)  # threads a normal exit waits for
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)  # a stream it cannot write (a closed pipe): the normal exit says so
    os._exit(code)


def _others_running() -> bool:
    """Whether a thread a normal exit would wait for is still alive."""
    return any(
        thread.is_alive() and not thread.daemon and thread is not threading.main_thread()
        for thread in threading.enumerate()
    )
