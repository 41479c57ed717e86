"""``ticketbot sandbox`` and ``seed``: serve a local helpdesk API, fill a helpdesk with samples.

Registered in ``cli``. Which helpdesk's sandbox serves is the registry's business
(``helpdesks/registry``: each kind names its sandbox module); the seed's flow is ``seeding``.
With ``--llm`` the OpenAI-compatible stand-in serves beside it. The banner gives every line that
points ticketbot at what is served: the kind's ``sandbox_variables``, then the stand-in's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import ConfigError, RunAborted, either
from ..exitcodes import ExitCode
from ..helpdesks.descriptor import HelpdeskKind
from ..helpdesks.registry import DEFAULT_KIND, KINDS
from ..settings import Settings
from .common import err_console, exit_codes, load

SHOP_HELP = (
    "Serve a shop instead: a stand-in of Shopify's Admin REST API (orders, fulfillments, "
    "refunds) for actions; --token is its X-Shopify-Access-Token."
)


def sandbox(
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port; 0 picks a free one.")] = 8765,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    plan: Annotated[
        str,
        typer.Option(
            help="Rate-limit plan, "
            + "; ".join(
                f"{kind.name}: {', '.join(kind.plans)}" for kind in KINDS.values() if kind.plans
            )
            + "."
        ),
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
        str, typer.Option(help="API token accepted for basic auth (a sandbox default, no secret).")
    ] = "sandbox-token",  # noqa: S107 - the sandbox's documented default
    helpdesk: Annotated[
        str, typer.Option(help=f"The API to serve: {either(list(KINDS))}.")
    ] = DEFAULT_KIND,
    api_key: Annotated[
        str, typer.Option(help="Freshdesk API key accepted for basic auth (a sandbox default).")
    ] = "sandbox-key",
    user: Annotated[str, typer.Option(help="ServiceNow user accepted for basic auth.")] = "admin",
    password: Annotated[
        str, typer.Option(help="ServiceNow password accepted for basic auth (a sandbox default).")
    ] = "sandbox-password",  # noqa: S107 - the sandbox's documented default
    ssl_certfile: Annotated[
        Path | None, typer.Option(dir_okay=False, help="Serve HTTPS with this PEM certificate.")
    ] = None,
    ssl_keyfile: Annotated[
        Path | None, typer.Option(dir_okay=False, help="The HTTPS certificate's PEM private key.")
    ] = None,
    llm: Annotated[
        bool, typer.Option("--llm", help="Also serve the OpenAI-compatible LLM stand-in.")
    ] = False,
    llm_port: Annotated[
        int, typer.Option(min=0, max=65535, help="The LLM stand-in's port; 0 picks a free one.")
    ] = 0,
    shop: Annotated[bool, typer.Option("--shop", help=SHOP_HELP)] = False,
) -> None:
    """Serve a local helpdesk API, and with --llm an LLM stand-in (Ctrl-C stops them)."""
    if shop:
        _serve_shop(host, port, token)
        return
    import importlib
    import signal
    from contextlib import ExitStack
    from dataclasses import asdict

    from ..helpdesks.registry import helpdesk_kind
    from ..sandbox.entry import SandboxEntry, SandboxFlags, cannot_listen
    from ..sandbox.llm_standin.server import StandinConfig
    from ..sandbox.llm_standin.server import serve_in_thread as serve_standin

    flags = SandboxFlags(
        host=host,
        port=port,
        plan=plan,
        state=state,
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        error_rate=error_rate,
        conflict_rate=conflict_rate,
        drop_rate=drop_rate,
        email=email,
        token=token,
        api_key=api_key,
        user=user,
        password=password,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )
    with exit_codes(lambda: flags.secrets), ExitStack() as running:
        kind = helpdesk_kind(helpdesk)
        entry = cast(SandboxEntry, importlib.import_module(kind.sandbox))
        llm_lines: list[str] = []
        if llm:
            try:
                standin = running.enter_context(serve_standin(StandinConfig(), port=llm_port))
            except OSError as exc:
                raise ConfigError(cannot_listen("--llm-port", llm_port, "127.0.0.1", exc)) from None
            llm_lines = standin_lines(standin.url, standin.config.models[0])
        # SIGTERM (service managers, kill) stops as cleanly as Ctrl-C: the state file is saved.
        signal.signal(signal.SIGTERM, _interrupt)
        if flags.exposure_warning:
            err_console.print(f"[bold red]{escape(flags.exposure_warning)}[/]")
        banner = _banner(kind, asdict(flags), llm_lines, typer.echo, flags.exposure_warning)
        entry.serve_from_flags(flags, echo=typer.echo, on_ready=banner)


def _serve_shop(host: str, port: int, token: str) -> None:
    """``sandbox --shop``: the shop stand-in with its sample orders, until Ctrl-C."""
    import signal
    import threading

    from ..sandbox.entry import cannot_listen, exposure_warning
    from ..sandbox.shop import SAMPLE_ORDERS, ShopConfig, seed_orders, serve_shop

    with exit_codes(lambda: (token,)):
        warning = exposure_warning(host)
        if warning:
            err_console.print(f"[bold red]{escape(warning)}[/]")
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            served = serve_shop(ShopConfig(token=token), host=host, port=port)
            running = served.__enter__()
        except OSError as exc:
            raise ConfigError(cannot_listen("--port", port, host, exc)) from None
        try:
            orders = seed_orders(running.state, SAMPLE_ORDERS)
            typer.echo(f"Shop stand-in listening on {running.url}. Put these lines in .env:")
            typer.echo(f"SHOPIFY_SHOP_URL={running.url}\nSHOPIFY_ACCESS_TOKEN={token}")
            listed = ", ".join(f"{o['name']} ({o['email']})" for o in orders)
            typer.echo(f"Sample orders: {listed}. Ctrl-C stops.")
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            served.__exit__(None, None, None)


# --- the banner: every line a user pastes to point ticketbot at what is served ---------


def sandbox_lines(kind: HelpdeskKind, url: str, flags: dict[str, object]) -> list[str]:
    """``VARIABLE=value`` lines that point ticketbot at ``kind``'s sandbox at ``url``, from the
    kind's ``sandbox_variables`` and the flags it was started with."""
    choose = [] if kind.name == DEFAULT_KIND else [f"TICKETBOT_HELPDESK={kind.name}"]
    return choose + [
        f"{variable}={url if source == 'url' else flags[source]}"
        for variable, source in kind.sandbox_variables
    ]


def standin_lines(url: str, model: str) -> list[str]:
    """The lines that point ticketbot at the LLM stand-in (it accepts any API key)."""
    return [f"OPENAI_BASE_URL={url}", "OPENAI_API_KEY=sandbox-llm-key", f"TICKETBOT_MODEL={model}"]


def _banner(
    kind: HelpdeskKind,
    flags: dict[str, object],
    llm_lines: list[str],
    echo: Callable[[str], None],
    warning: str | None,
) -> Callable[[str], None]:
    def ready(url: str) -> None:
        echo(f"{kind.label} sandbox listening on {url}. To use it, put these lines in .env:")
        if warning:
            echo(warning)  # in the banner too: stderr may go unread
        echo("\n".join(sandbox_lines(kind, url, flags)))
        if llm_lines:
            echo("The OpenAI-compatible LLM stand-in (the keyword rules answer; no real model):")
            echo("\n".join(llm_lines))
        echo("Ctrl-C stops.")

    return ready


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


# --- seed --------------------------------------------------------------------
# (keep each command a few lines calling the library)


def seed(
    count: Annotated[
        int | None,
        typer.Option(
            min=1, max=100_000, help="Tickets to create (default 50 samples; with --from all)."
        ),
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from",
            dir_okay=False,
            help="JSON lines with subject and description, each asked by a customer of its own.",
        ),
    ] = None,
    yes: Annotated[
        bool,
        typer.Option("--yes", help="Seed a real helpdesk (not a ticketbot sandbox) all the same."),
    ] = False,
) -> None:
    """Create realistic sample tickets in the local sandbox (a real helpdesk only with --yes)."""
    from ..helpdesks.seeding import run_seed
    from ..run.connect import connect

    console = Console(highlight=False)
    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        helpdesk = connect(settings)
        try:
            probe = helpdesk.probe()
            if not probe.ok:
                raise RunAborted(probe.detail)
            if not probe.sandbox and not yes:
                raise ConfigError(
                    f"{helpdesk.base_url} is not a ticketbot sandbox: seed would write sample "
                    "tickets into a real helpdesk. Add --yes if that is what you want."
                )
            result = run_seed(helpdesk, count=count, source=from_file, console=console)
        finally:
            helpdesk.close()
    raise typer.Exit(ExitCode.PARTIAL if result.failed else ExitCode.OK)
