"""The Freshdesk sandbox as the ``sandbox`` and ``demo`` commands drive it (a ``SandboxEntry``):
``ticketbot sandbox --helpdesk freshdesk`` builds the config from the flags and serves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ....errors import ConfigError
from ....sandbox.entry import SandboxFlags, StartedSandbox, cannot_listen
from .config import PLAN_LIMITS, FreshdeskConfig
from .serving import serve_forever, serve_in_thread


def serve_from_flags(
    flags: SandboxFlags, *, echo: Callable[[str], None], on_ready: Callable[[str], None]
) -> None:
    """Serve until interrupted, ``on_ready(url)`` once listening; a bad flag is a
    ``ConfigError`` naming it.

    ``--conflict-rate`` is Freshdesk's kind of conflict: an agent edits the ticket meanwhile.
    """
    host, port, state = flags.host, flags.port, flags.state
    if flags.plan not in PLAN_LIMITS:
        raise ConfigError(f"--plan must be one of {', '.join(PLAN_LIMITS)} for Freshdesk")
    if not flags.api_key:
        raise ConfigError("--api-key must not be empty")
    config = FreshdeskConfig(
        api_key=flags.api_key,
        plan=flags.plan,
        state_file=state,
        latency_ms=flags.latency_ms,
        jitter_ms=flags.jitter_ms,
        error_rate=flags.error_rate,
        edit_rate=flags.conflict_rate,
        drop_rate=flags.drop_rate,
    )

    try:
        serve_forever(config, host=host, port=port, on_ready=on_ready)
    except OSError as exc:
        raise ConfigError(cannot_listen("--port", port, host, exc)) from None
    except (ValueError, KeyError, TypeError) as exc:
        # orjson's decode error is a ValueError too.
        raise ConfigError(
            f"--state {state}: not a Freshdesk sandbox state file ({exc}); "
            "give another file or move this one away"
        ) from None
    except KeyboardInterrupt:
        echo("sandbox stopped")


@contextmanager
def started() -> Iterator[StartedSandbox]:
    """A Freshdesk sandbox on a free port, and the ``FRESHDESK_*`` lines that reach it."""
    with serve_in_thread(FreshdeskConfig()) as sandbox:
        env = {"FRESHDESK_URL": sandbox.url, "FRESHDESK_API_KEY": sandbox.config.api_key}
        yield StartedSandbox(sandbox.url, env)
