"""Fixtures that start the Zendesk sandbox on port 0 in a thread.

def test_x(sandbox):                      # a fresh sandbox, default config
    requests.get(f"{sandbox.url}/api/v2/users/me", auth=sandbox_auth(sandbox))

def test_y(sandbox_factory):              # your own config; all closed at teardown
    sb = sandbox_factory(SandboxConfig(plan="team", clock=clock))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox, serve_in_thread


def sandbox_auth(sb: RunningSandbox) -> tuple[str, str]:
    """Basic-auth pair for ``requests``: ``(f"{email}/token", token)``."""
    return (f"{sb.config.email}/token", sb.config.token)


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., RunningSandbox]]:
    """Start sandboxes with a given ``SandboxConfig``; every one is closed after the test."""
    started: list[RunningSandbox] = []

    def start(config: SandboxConfig | None = None, **kwargs: object) -> RunningSandbox:
        sb = serve_in_thread(config, **kwargs)  # type: ignore[arg-type]
        started.append(sb)
        return sb

    yield start
    for sb in started:
        sb.close()


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., RunningSandbox]) -> RunningSandbox:
    """A fresh sandbox with the default config (enterprise plan, no faults)."""
    return sandbox_factory(SandboxConfig())
