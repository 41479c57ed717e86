"""Fixtures that start the Zendesk sandbox on port 0 in a thread.

def test_x(sandbox):                      # a fresh sandbox, default config
    requests.get(f"{sandbox.url}/api/v2/users/me", auth=sandbox_auth(sandbox))

def test_y(sandbox_factory):              # your own config; all closed at teardown
    sb = sandbox_factory(SandboxConfig(plan="team", clock=clock))

A module, class or test configures ``sandbox`` with a marker: its keywords are the
``SandboxConfig``'s, but that a string ``clock`` names a fixture whose fake clock the sandbox
runs on, ``stamped=True`` dates its tickets and events on that clock too, and (on a module)
``scope="module"`` has the module's tests share one sandbox, closed after the last of them:

    pytestmark = pytest.mark.sandbox(seed=3)
    pytestmark = pytest.mark.sandbox(seed=7, clock="clock", stamped=True)
    pytestmark = pytest.mark.sandbox(seed=5, scope="module")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from support.markers import fixture_options, marker_options
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox, serve_in_thread


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sandbox(clock=, stamped=, scope=, **config): the SandboxConfig of `sandbox`"
    )


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


@contextmanager
def configured_sandbox(request: pytest.FixtureRequest) -> Iterator[RunningSandbox]:
    """A sandbox as the ``sandbox`` marker closest to the requesting test or module says."""
    options = fixture_options(request, "sandbox")
    options.pop("scope", None)
    stamped = options.pop("stamped", False)
    with serve_in_thread(SandboxConfig(**options)) as running:
        if stamped:
            running.store.use_clock(options["clock"])
        yield running


@pytest.fixture(scope="module")
def module_sandbox(request: pytest.FixtureRequest) -> Iterator[RunningSandbox]:
    """What ``sandbox`` is with ``scope="module"``: one for the module's tests."""
    with configured_sandbox(request) as running:
        yield running


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[RunningSandbox]:
    """A fresh sandbox, closed after the test: the default config (enterprise plan, no faults)
    or the ``sandbox`` marker's; with the marker's ``scope="module"``, the module's one."""
    if marker_options(request.node, "sandbox").get("scope") == "module":
        yield request.getfixturevalue("module_sandbox")
        return
    with configured_sandbox(request) as running:
        yield running
