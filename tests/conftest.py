"""Shared test set-up: every test runs in its own directory with a clean environment.

This is the one autouse isolation; what tests share otherwise is in ``tests/support/``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ticket_processor.common import sealed
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.ops.logsetup import LibraryWarningHandler

pytest_plugins = [
    "support.clock",
    "support.zendesk_sandbox",
    "support.freshdesk_sandbox",
    "support.llm_servers",
    "support.webhook",
    "support.smtp_server",
    "support.hook_receiver",
    "support.desk",
    "support.kinds",
    "support.pushgateway",
    "support.redis_server",
    "support.models",
    "support.postgres",
    "support.session_watchdog",
    "support.directories",
]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` (pyproject's addopts): twice the CPUs, at most 8. Most tests spend their
    time waiting on a sandbox, the LLM stand-in or a subprocess, so two workers a core keep the
    CPUs busy; more would only add start-up time and memory (a worker imports the package)."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache directory for the session's runs (``TICKETBOT_CACHE_DIR``): each run that
    loads the encoder would otherwise write its 65 MB token table into its own state
    directory, about 6 GB a session. The workers of ``-n`` share it: the table is written to a
    temporary file then renamed, so two writing at once each leave a whole file."""
    base = tmp_path_factory.getbasetemp()
    if base.name.startswith("popen-gw"):  # a worker's own directory: their common parent
        base = base.parent
    directory = base / "cache"
    directory.mkdir(exist_ok=True)
    return directory


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, shared_cache: Path) -> Path:
    """No ticketbot, helpdesk or OpenAI variable leaks in from the machine; cwd is a temp dir.

    A helpdesk's variables are the ones its kind reads (``helpdesks/registry``), so a kind added
    there is isolated too. Files a run can make again go to the session's ``shared_cache``.
    """
    desks = {var for kind in KINDS.values() for var in kind.settings.ENV_VARS.values()}
    for name in list(os.environ):
        if name in desks or name.startswith(
            ("ZENDESK_", "FRESHDESK_", "OPENAI_", "TICKETBOT_", "ZENPY_")
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TICKETBOT_CACHE_DIR", str(shared_cache))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(autouse=True)
def _no_encryption_key() -> Iterator[None]:
    """A command installs the encryption key its settings name for the whole process
    (``common.sealed``): none before each test, none left after it."""
    sealed.install(None)
    yield
    sealed.install(None)


@pytest.fixture(autouse=True)
def _logging_reset() -> Iterator[None]:
    """Each CLI command routes ``logging`` to its own log (``logsetup``); undo it per test, so
    one test's warnings never land in another test's log directory."""
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, LibraryWarningHandler)]:
        root.removeHandler(handler)
        handler.close()
    logging.captureWarnings(False)
