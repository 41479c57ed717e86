"""``ticketbot sandbox --helpdesk freshdesk``: build the config from the flags and serve."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ....errors import ConfigError
from .config import PLAN_LIMITS, FreshdeskConfig
from .serving import serve_forever


def serve_from_flags(
    host: str,
    port: int,
    plan: str,
    api_key: str,
    state: Path | None,
    rates: tuple[float, float, float, float, float],
    *,
    echo: Callable[[str], None],
) -> None:
    """Serve until interrupted; a bad flag is a ``ConfigError`` naming it.

    ``rates``: latency ms, jitter ms, error rate, edit rate (``--conflict-rate``), drop rate.
    """
    if plan not in PLAN_LIMITS:
        raise ConfigError(f"--plan must be one of {', '.join(PLAN_LIMITS)} for Freshdesk")
    if not api_key:
        raise ConfigError("--api-key must not be empty")
    latency_ms, jitter_ms, error_rate, edit_rate, drop_rate = rates
    config = FreshdeskConfig(
        api_key=api_key,
        plan=plan,
        state_file=state,
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        error_rate=error_rate,
        edit_rate=edit_rate,
        drop_rate=drop_rate,
    )

    def ready(url: str) -> None:
        echo(f"Freshdesk sandbox listening on {url}  (FRESHDESK_URL={url}, Ctrl-C stops)")

    try:
        serve_forever(config, host=host, port=port, on_ready=ready)
    except OSError as exc:
        raise ConfigError(f"--port {port}: cannot listen on {host}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError) as exc:
        # orjson's decode error is a ValueError too.
        raise ConfigError(
            f"--state {state}: not a Freshdesk sandbox state file ({exc}); "
            "give another file or move this one away"
        ) from None
    except KeyboardInterrupt:
        echo("sandbox stopped")
