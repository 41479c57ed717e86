"""``ticketbot serve``: the webhooks in, the triage API, health and metrics (``serve/``).

Reads the settings once (the same settings, ``.env`` and ``accounts.toml`` profile as every
command), refuses a host beyond loopback without the secrets, listens, and hands the server
what builds the run's parts (``run.served.ServedTriage``) for it to load in the background.
``open_server`` is that assembly, shared with the tests (which serve in a thread).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import ConfigError, LockHeldError
from ..exitcodes import ExitCode
from ..models import Engine
from ..settings import Settings
from .common import ENGINE_METAVAR, engine_choice, err_console, exit_codes, load
from .serve_setup import check_flags
from .serve_setup import print_setup as run_print_setup

# Seconds the start-up's credentials check waits: an unreachable helpdesk must not hold serve's
# start (it loads in the background, again and again, until the helpdesk answers).
PROBE_TIMEOUT = 5.0

if TYPE_CHECKING:
    from ..serve.server import ServeServer


def serve(
    host: Annotated[
        str,
        typer.Option(help="Address to listen on; beyond loopback only with the secrets set."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free one).")] = 8080,
    engine: Annotated[
        Engine,
        typer.Option(
            parser=engine_choice,
            metavar=ENGINE_METAVAR,
            help="llm: the best engine available (LLM, else the learned model, else rules), "
            "learned: the model then rules, rules: the rules only.",
        ),
    ] = "llm",
    print_setup: Annotated[
        bool,
        typer.Option(
            "--print-setup",
            help="Print the webhook and triggers (Zendesk), automation rules (Freshdesk) or "
            "business rule (ServiceNow) to create on the helpdesk, with their JSON bodies, and "
            "exit.",
        ),
    ] = False,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="With --print-setup: create them through the helpdesk's API (Zendesk; found "
            "again by name, so a rerun changes nothing).",
        ),
    ] = False,
    show_secret: Annotated[
        bool,
        typer.Option(
            "--show-secret",
            help="With --print-setup --apply: print the webhook's signing secret as "
            "TICKETBOT_SERVE_SECRET=... (never printed otherwise).",
        ),
    ] = False,
    public_url: Annotated[
        str | None,
        typer.Option(
            help="The URL the helpdesk reaches serve at (default: http://HOST:PORT); "
            "/webhooks/<helpdesk> is added.",
        ),
    ] = None,
) -> None:
    """Take the helpdesk's webhooks and triage each ticket within seconds; answer a triage API."""
    settings: Settings | None = None
    code = 0
    check_flags(print_setup=print_setup, apply=apply, show_secret=show_secret)
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        if print_setup:
            code = run_print_setup(
                settings,
                public_url=public_url,
                host=host,
                port=port,
                apply=apply,
                show_secret=show_secret,
            )
            raise typer.Exit(code)
        refused = credentials_refused(settings)
        if refused is not None:
            err_console.print(f"serve aborted: {settings.scrubber().text(refused)}", markup=False)
            raise typer.Exit(ExitCode.ABORTED)
        with open_server(settings, host=host, port=port, engine=engine, tell=_teller(settings)) as (
            server,
            sock,
        ):
            err_console.print(
                f"ticketbot serve: listening on http://{host}:{server.port} "
                f"({'PostgreSQL' if server.state.queue.shared else 'SQLite'} queue); "
                "loading the models (a line says when it is ready)",
                markup=False,
            )
            if server.state.secret is None and server.state.token is None:
                from ..serve.app import UNCONFIGURED

                err_console.print(f"warning: {UNCONFIGURED}", markup=False)
            code = server.run(sock)
    raise typer.Exit(code)


def credentials_refused(settings: Settings) -> str | None:
    """The helpdesk's own words when it rejects the credentials (one authenticated GET, as a
    run's first read would find): serve then refuses to start, as a run aborts. A helpdesk
    that is only unreachable is not a refusal: serve starts, stores the webhooks, and loads
    once it answers."""
    from ..run.connect import connect

    helpdesk = connect(settings.model_copy(update={"http_timeout": PROBE_TIMEOUT}))
    try:
        found = helpdesk.probe()
    finally:
        helpdesk.close()
    return found.detail if found.refused else None


def _teller(settings: Settings) -> Callable[[str], None]:
    """What serve says to the person who started it: stderr, scrubbed as its log is."""
    scrub = settings.scrubber()

    def tell(line: str) -> None:
        err_console.print(scrub.text(line), markup=False)

    return tell


def _secret(value: Any) -> str | None:
    text = value.get_secret_value() if value is not None else None
    return text or None


@contextmanager
def open_server(
    settings: Settings,
    *,
    host: str,
    port: int,
    engine: Engine,
    tell: Callable[[str], None] = lambda line: None,
) -> Iterator[tuple[ServeServer, socket.socket]]:
    """The server, its socket bound (nothing loaded yet): refused beyond loopback without the
    secrets (``ConfigError``, exit 2), or when another server uses the state directory."""
    from ..common.database import database_engine
    from ..common.eventlog import EventLog, new_run_id
    from ..journal.served import SERVE_DIR
    from ..ops.health import check_health
    from ..run.catchup import mark_first_start
    from ..run.served import ServedTriage, ServeHooks
    from ..serve.app import ServeState
    from ..serve.limits import SourceLimits
    from ..serve.metrics import ServeMetrics
    from ..serve.queue import DeliveryQueue, sqlite_engine
    from ..serve.server import ServeServer, bind, check_exposure
    from ..state.lock import RunLock
    from .ops import health_setup

    secret = _secret(settings.serve_secret)
    token = _secret(settings.serve_token)
    check_exposure(host, secret=secret, token=token)
    settings.require_helpdesk()
    serve_dir = settings.state_dir / SERVE_DIR
    # One server per state directory: its journal and reply book are its own.
    lock = RunLock(serve_dir)
    try:
        lock.__enter__()
    except LockHeldError as exc:
        raise ConfigError(
            f"another `ticketbot serve` uses {settings.state_dir} ({exc}): stop it, or give "
            "this one its own TICKETBOT_STATE_DIR"
        ) from None
    try:
        # Before it listens: what is created from now on is delivered or caught up.
        mark_first_start(serve_dir)
        sock = bind(host, port)
        url = _secret(settings.database_url)
        queue = DeliveryQueue(database_engine(url) if url else sqlite_engine(serve_dir))
        run_id = new_run_id()
        log = EventLog(settings.log_dir, run_id=run_id, secrets=settings.scrubber())

        def emit(event: str, **fields: Any) -> object:
            return log.emit(event, source="serve", **fields)

        state = ServeState(
            queue=queue,
            metrics=ServeMetrics(depth=queue.depth),
            limits=SourceLimits(),
            emit=emit,
            secret=secret,
            token=token,
            helpdesk=settings.helpdesk,
            tell=tell,
            approve=approver_of(settings),
        )

        def build(hooks: ServeHooks) -> ServedTriage:
            return ServedTriage(settings, engine=engine, hooks=hooks, run_id=run_id)

        def health() -> dict[str, Any]:
            verdict: dict[str, Any] = check_health(health_setup(settings)).to_dict()
            scrubbed: dict[str, Any] = settings.scrubber()(verdict)
            return scrubbed

        server = ServeServer(
            state,
            build=build,
            health=health,
            release_all=not queue.shared,
            tell=tell,
            host=host,
        )
        server.port = sock.getsockname()[1]
        emit("serve_started", host=host, port=server.port, shared_queue=queue.shared)
        try:
            yield server, sock
        finally:
            sock.close()
            log.close()
    finally:
        lock.__exit__(None, None, None)


def approver_of(settings: Settings) -> Callable[[int, str, str], str | None] | None:
    """How an agent approves a proposed change outside the helpdesk (serve's API, the
    dashboard's ticket page), when a feature that proposes changes is on (``features.registry``)."""
    from ..features.registry import approver

    return approver(settings)
