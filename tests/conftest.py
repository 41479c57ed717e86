"""Shared test set-up: every test runs in its own directory with a clean environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fake_runtime import FakeClock

pytest_plugins = ["fixtures_sandbox", "fixtures_llm", "fixtures_webhook"]


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No ticketbot, Zendesk or OpenAI variable leaks in from the machine; cwd is a temp dir."""
    for name in list(os.environ):
        if name.startswith(("ZENDESK_", "OPENAI_", "TICKETBOT_", "ZENPY_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def fake_clock() -> FakeClock:
    """The shared fake clock (``fake_runtime.FakeClock``), at the wall clock's current second."""
    return FakeClock()
