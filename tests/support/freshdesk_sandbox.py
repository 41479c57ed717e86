"""Fixtures that start the Freshdesk sandbox on port 0 in a thread.

def test_x(freshdesk_sandbox):             # a fresh sandbox, default config (enterprise plan)
    requests.get(f"{freshdesk_sandbox.url}/api/v2/tickets", auth=freshdesk_auth(freshdesk_sandbox))

def test_y(freshdesk_factory):             # your own config; all closed at teardown
    sb = freshdesk_factory(FreshdeskConfig(plan="growth", clock=clock))

A module, class or test configures ``freshdesk_sandbox`` with a marker: its keywords are the
``FreshdeskConfig``'s, but that a string ``clock`` names a fixture whose fake clock the sandbox
runs on:

    pytestmark = pytest.mark.freshdesk_sandbox(clock="clock")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from support.markers import fixture_options
from ticket_processor.helpdesks.freshdesk.sandbox.config import FreshdeskConfig
from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk, serve_in_thread


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "freshdesk_sandbox(clock=, **config): the FreshdeskConfig of `freshdesk_sandbox`"
    )


def freshdesk_auth(sb: RunningFreshdesk) -> tuple[str, str]:
    """Basic-auth pair for ``requests``: the API key as user name, any password."""
    return (sb.config.api_key, "X")


@pytest.fixture
def freshdesk_factory() -> Iterator[Callable[..., RunningFreshdesk]]:
    """Start Freshdesk sandboxes with a given config; every one is closed after the test."""
    started: list[RunningFreshdesk] = []

    def start(config: FreshdeskConfig | None = None, **kwargs: object) -> RunningFreshdesk:
        sb = serve_in_thread(config, **kwargs)  # type: ignore[arg-type]
        started.append(sb)
        return sb

    yield start
    for sb in started:
        sb.close()


@pytest.fixture
def freshdesk_sandbox(
    freshdesk_factory: Callable[..., RunningFreshdesk], request: pytest.FixtureRequest
) -> RunningFreshdesk:
    """A fresh Freshdesk sandbox with the default config (enterprise plan, no faults) or the
    ``freshdesk_sandbox`` marker's."""
    return freshdesk_factory(FreshdeskConfig(**fixture_options(request, "freshdesk_sandbox")))
