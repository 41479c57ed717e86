"""The ServiceNow sandbox as the ``sandbox`` and ``demo`` commands drive it (a ``SandboxEntry``):
``ticketbot sandbox --helpdesk servicenow`` builds the config from the flags and serves, over
HTTPS when given ``--ssl-certfile`` and ``--ssl-keyfile`` (pysnc and real instances speak only
https; ticketbot's adapter takes any ``SERVICENOW_URL``)."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ....errors import ConfigError
from ....sandbox.entry import SandboxFlags, StartedSandbox, cannot_listen
from .config import ServiceNowConfig
from .serving import serve_forever, serve_in_thread


def serve_from_flags(
    flags: SandboxFlags, *, echo: Callable[[str], None], on_ready: Callable[[str], None]
) -> None:
    """Serve until interrupted, ``on_ready(url)`` once listening; a bad flag is a
    ``ConfigError`` naming it.

    ``--conflict-rate`` is ServiceNow's kind of conflict: an agent edits the record meanwhile.
    """
    host, port, state = flags.host, flags.port, flags.state
    if not flags.user:
        raise ConfigError("--user must not be empty")
    if not flags.password:
        raise ConfigError("--password must not be empty")
    if (flags.ssl_certfile is None) != (flags.ssl_keyfile is None):
        raise ConfigError("--ssl-certfile and --ssl-keyfile go together: give both or neither")
    config = ServiceNowConfig(
        user=flags.user,
        password=flags.password,
        state_file=state,
        latency_ms=flags.latency_ms,
        jitter_ms=flags.jitter_ms,
        error_rate=flags.error_rate,
        edit_rate=flags.conflict_rate,
        drop_rate=flags.drop_rate,
        ssl_certfile=flags.ssl_certfile,
        ssl_keyfile=flags.ssl_keyfile,
    )
    try:
        serve_forever(config, host=host, port=port, on_ready=on_ready)
    except ssl.SSLError as exc:
        raise ConfigError(
            f"--ssl-certfile {flags.ssl_certfile} / --ssl-keyfile {flags.ssl_keyfile}: "
            f"not a certificate and its key in PEM ({exc.reason or exc})"
        ) from None
    except FileNotFoundError as exc:
        raise ConfigError(f"{exc.filename}: no such file") from None
    except OSError as exc:
        raise ConfigError(cannot_listen("--port", port, host, exc)) from None
    except (ValueError, KeyError, TypeError) as exc:
        # orjson's decode error is a ValueError too.
        raise ConfigError(
            f"--state {state}: not a ServiceNow sandbox state file ({exc}); "
            "give another file or move this one away"
        ) from None
    except KeyboardInterrupt:
        echo("sandbox stopped")


@contextmanager
def started() -> Iterator[StartedSandbox]:
    """A ServiceNow sandbox on a free port, and the ``SERVICENOW_*`` lines that reach it."""
    with serve_in_thread(ServiceNowConfig()) as sandbox:
        env = {
            "SERVICENOW_URL": sandbox.url,
            "SERVICENOW_USERNAME": sandbox.config.user,
            "SERVICENOW_PASSWORD": sandbox.config.password,
        }
        yield StartedSandbox(sandbox.url, env)
