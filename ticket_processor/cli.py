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
) -> None:
    """Serve a local Zendesk-compatible API (Ctrl-C stops it)."""
    import signal

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


# --- eval --------------------------------------------------------------------
# (keep each command a few lines calling the library)


# --- health, report, schedule ------------------------------------------------
# (keep each command a few lines calling the library)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="ticketbot")


if __name__ == "__main__":  # pragma: no cover
    main()
