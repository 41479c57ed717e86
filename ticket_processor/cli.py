"""The ``ticketbot`` command line: parse flags, load settings, build the parts, call the library.

This is the composition root and the one place where errors become exit codes
(0 success, 1 run aborted, 2 configuration or usage error, 3 some tickets failed).
Each command is a few lines; the work lives in the modules it calls.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from . import __version__
from .errors import ConfigError, LockHeldError, TicketBotError
from .settings import Settings, load_settings

app = typer.Typer(
    name="ticketbot",
    help="Triage helpdesk tickets with an LLM: tags, priority and an internal note per ticket.",
    no_args_is_help=True,
    add_completion=False,
    # Locals in tracebacks would print tokens; never show them.
    pretty_exceptions_show_locals=False,
)

err_console = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_OK = 0
EXIT_ABORTED = 1
EXIT_CONFIG = 2
EXIT_PARTIAL = 3


def load(overrides: dict[str, Any] | None = None, env_file: Path | None = None) -> Settings:
    """Read the settings once: environment < .env < flags."""
    return load_settings(
        os.environ, env_file=env_file if env_file is not None else Path(".env"), overrides=overrides
    )


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret value in ``text`` with ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


@contextmanager
def exit_codes(secrets: Callable[[], tuple[str, ...]] = tuple) -> Iterator[None]:
    """Turn ticketbot errors into one clean line on stderr and the documented exit code."""
    try:
        yield
    except LockHeldError as exc:
        err_console.print(f"ticketbot: {exc}")
        raise typer.Exit(EXIT_OK) from None
    except ConfigError as exc:
        err_console.print(f"[red]configuration error:[/] {scrub(str(exc), secrets())}")
        raise typer.Exit(EXIT_CONFIG) from None
    except TicketBotError as exc:
        err_console.print(f"[red]error:[/] {scrub(str(exc), secrets())}")
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err_console.print("interrupted")
        raise typer.Exit(130) from None


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
) -> None:
    """Triage helpdesk tickets with an LLM."""


# --- run and demo ------------------------------------------------------------
# (keep each command a few lines calling the library)


# --- sandbox -----------------------------------------------------------------
# (keep each command a few lines calling the library)


# --- seed --------------------------------------------------------------------
# (keep each command a few lines calling the library)


# --- eval --------------------------------------------------------------------
# (keep each command a few lines calling the library)


# --- health, report, schedule ------------------------------------------------
# (keep each command a few lines calling the library)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="ticketbot")


if __name__ == "__main__":  # pragma: no cover
    main()
