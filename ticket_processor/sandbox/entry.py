"""What every helpdesk's sandbox offers the ``sandbox`` and ``demo`` commands.

A kind's descriptor names its sandbox's ``command`` module (``HelpdeskKind.sandbox``); the
commands import it with importlib and use it as a ``SandboxEntry``: serve from the command's
flags, or start in this process for the demo and say which environment variables point
ticketbot at it (the lines a user would paste into ``.env``).
"""

from __future__ import annotations

import errno
import ipaddress
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class SandboxFlags:
    """The ``sandbox`` command's flags; each sandbox reads the ones it has a use for
    (``email``/``token``: Zendesk's basic auth, ``api_key``: Freshdesk's, ``user``/``password``:
    ServiceNow's basic auth; ``ssl_certfile``/``ssl_keyfile``: serve TLS, where a sandbox can)."""

    host: str = "127.0.0.1"
    port: int = 8765
    plan: str = "enterprise"
    state: Path | None = None
    latency_ms: float = 0
    jitter_ms: float = 0
    error_rate: float = 0
    conflict_rate: float = 0
    drop_rate: float = 0
    email: str = "agent@example.com"
    token: str = "sandbox-token"  # noqa: S105 - the sandbox's documented default
    api_key: str = "sandbox-key"
    user: str = "admin"
    password: str = "sandbox-password"  # noqa: S105 - the sandbox's documented default
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        """What a message must never show: the credentials the sandbox accepts."""
        return (self.token, self.api_key, self.password)

    @property
    def exposure_warning(self) -> str | None:
        """What to say loudly when ``host`` reaches beyond this machine; None on loopback."""
        return exposure_warning(self.host)


def exposure_warning(host: str) -> str | None:
    """A warning when a sandbox bound to ``host`` is reachable from other machines.

    The sandbox is a test double: its knobs (``/sandbox/config``, ``/sandbox/stats``) answer
    without credentials and its sample credentials are documented, so anyone who can reach
    it can read and change what it holds. Only a loopback address keeps it to this machine.
    """
    name = host.strip().strip("[]")
    if name.casefold() == "localhost":
        return None
    try:
        if ipaddress.ip_address(name).is_loopback:
            return None
    except ValueError:
        pass  # a host name other than localhost: it may resolve anywhere
    where = "every interface" if name in ("", "0.0.0.0", "::") else name  # noqa: S104
    return (
        f"WARNING: the sandbox listens on {where}, beyond this machine: anyone who can reach "
        "it can read and change its tickets, and /sandbox/config answers without credentials. "
        "Use --host 127.0.0.1 unless other machines must reach it on a network you trust."
    )


@dataclass(frozen=True)
class StartedSandbox:
    """A sandbox serving in this process: where, and the environment that points ticketbot at
    it (variable -> value)."""

    url: str
    env: dict[str, str] = field(default_factory=dict)


class SandboxEntry(Protocol):
    """A sandbox's ``command`` module, as the commands use it."""

    def serve_from_flags(
        self, flags: SandboxFlags, *, echo: Callable[[str], None], on_ready: Callable[[str], None]
    ) -> None:
        """Serve until interrupted, ``on_ready(url)`` once listening (the command's banner);
        a bad flag is a ``ConfigError`` naming it."""
        ...

    def started(self) -> AbstractContextManager[StartedSandbox]:
        """A sandbox on a free port of 127.0.0.1 with its defaults, stopped on exit."""
        ...


def cannot_listen(flag: str, port: int, host: str, exc: OSError) -> str:
    """Why a sandbox could not listen, with the fix: a port in use (the other helpdesk's
    sandbox on the default 8765, say) is given another with ``flag``."""
    said = f"{flag} {port}: cannot listen on {host}: {exc.strerror or exc}"
    if exc.errno == errno.EADDRINUSE:
        said += (
            f"; something else (another sandbox?) listens on port {port}: give this one "
            f"another port with {flag} (e.g. {flag} {port + 1}; {flag} 0 picks a free one)"
        )
    return said
