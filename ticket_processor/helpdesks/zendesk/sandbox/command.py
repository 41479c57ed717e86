"""The Zendesk sandbox as the ``sandbox`` and ``demo`` commands drive it (a ``SandboxEntry``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ....errors import ConfigError
from ....sandbox.entry import SandboxFlags, StartedSandbox, cannot_listen
from .config import PLAN_LIMITS, SandboxConfig
from .server import serve_forever, serve_in_thread


def serve_from_flags(
    flags: SandboxFlags, *, echo: Callable[[str], None], on_ready: Callable[[str], None]
) -> None:
    """Serve until interrupted, ``on_ready(url)`` once listening; a bad flag is a
    ``ConfigError`` naming it."""
    if flags.plan not in PLAN_LIMITS:
        raise ConfigError(f"--plan must be one of {', '.join(PLAN_LIMITS)}")
    config = SandboxConfig(
        email=flags.email,
        token=flags.token,
        plan=flags.plan,
        state_file=flags.state,
        latency_ms=flags.latency_ms,
        jitter_ms=flags.jitter_ms,
        error_rate=flags.error_rate,
        conflict_rate=flags.conflict_rate,
        drop_rate=flags.drop_rate,
    )

    try:
        serve_forever(config, host=flags.host, port=flags.port, on_ready=on_ready)
    except OSError as exc:
        raise ConfigError(cannot_listen("--port", flags.port, flags.host, exc)) from None
    except KeyboardInterrupt:
        echo("sandbox stopped")


@contextmanager
def started() -> Iterator[StartedSandbox]:
    """A Zendesk sandbox on a free port, and the ``ZENDESK_*`` lines that reach it."""
    with serve_in_thread(SandboxConfig()) as sandbox:
        env = {
            "ZENDESK_URL": sandbox.url,
            "ZENDESK_EMAIL": sandbox.config.email,
            "ZENDESK_API_TOKEN": sandbox.config.token,
        }
        yield StartedSandbox(sandbox.url, env)
