"""The ``ticketbot`` command line: the Typer app, the root options and the command registry.

Errors become exit codes in one place, ``commands.common.exit_codes`` (``exitcodes.ExitCode``: 0
success, 1 run aborted, 2 configuration or usage error, 3 some tickets failed, 130 / 143 stopped
by a signal; ``health`` 0 / 1 / 2 / 3 as monitoring plugins do). The commands live in their own
modules of ``commands/`` (``run``: run, demo, revert; ``backfill``; ``sandbox``: sandbox, seed;
``eval``; ``ops``: config, breaker, health, report, schedule; ``dashboard``; ``serve``;
``discover``; ``audit``; ``answers``; ``learn``, ``kb``, ``routes``), each a few lines calling
the library, and are registered below, one line each.
``load``, ``exit_codes`` and friends are re-exported here for the command modules that import
them from ``cli``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from . import __version__
from .commands.answers import answers_app
from .commands.audit import audit_app
from .commands.backfill import backfill
from .commands.calibrate import calibrate
from .commands.common import (
    _ACCOUNT,
    _ENV_FILE,
    err_console,
)
from .commands.dashboard import dashboard
from .commands.discover import discover
from .commands.eval import eval_
from .commands.fields import fields_app
from .commands.kb import kb_app
from .commands.learn import learn
from .commands.ops import breaker_app, config, health, report, schedule
from .commands.routes import routes_app
from .commands.run import demo, revert, run
from .commands.sandbox import sandbox, seed
from .commands.serve import serve
from .exitcodes import ExitCode
from .ops.arenas import tune_malloc

app = typer.Typer(
    name="ticketbot",
    help="Triage helpdesk tickets with an LLM: tags, priority and an internal note per ticket.",
    no_args_is_help=True,
    add_completion=False,
    # Locals in tracebacks would print tokens; never show them.
    pretty_exceptions_show_locals=False,
)


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


# --- registration: one line per command, in the order --help lists them ------

app.command()(run)
app.command()(backfill)
app.command()(demo)
app.command()(sandbox)
app.command()(seed)
app.command(name="eval")(eval_)
app.command(name="calibrate")(calibrate)
app.command()(discover)
app.command()(revert)
app.command()(config)
app.command()(learn)
app.command()(health)
app.command()(report)
app.command()(schedule)
app.command()(dashboard)
app.command()(serve)
app.add_typer(breaker_app, name="breaker")
app.add_typer(kb_app, name="kb")
app.add_typer(routes_app, name="routes")
app.add_typer(fields_app, name="fields")
app.add_typer(audit_app, name="audit")
app.add_typer(answers_app, name="answers")


def main() -> None:
    """Console-script entry point."""
    # Before any thread: glibc sizes a thread's arena when it first allocates.
    tune_malloc(os.environ)
    app(prog_name="ticketbot")


if __name__ == "__main__":  # pragma: no cover
    main()
