"""Ends a parallel test session that outlives its ``session_timeout``.

pytest-timeout's session timeout is checked after each test, in the process that ran it: it
stops a serial run and each xdist worker between tests, but the xdist controller runs no tests,
so a controller waiting on a worker that will never report (every worker idle, the session
hung) would wait for ever. Here the controller keeps a timer of the same length: when it fires,
the controller says so on stderr, ends its workers and exits with pytest's "interrupted" code,
so CI fails in bounded time and names the cause.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from typing import Any

import pytest

_TIMER = pytest.StashKey[threading.Timer]()


def session_limit(config: pytest.Config) -> float:
    """The session's bound in seconds (``--session-timeout`` or the ini's), 0 for none."""
    given = config.getoption("session_timeout", None)
    if given is None:
        given = config.getini("session_timeout") or 0
    return float(given)


def _is_xdist_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput") and bool(getattr(config.option, "numprocesses", 0))


def _end_session(config: pytest.Config, limit: float) -> None:
    line = (
        f"\nsession-timeout: the test session passed its {limit:g} s bound with tests still "
        "unreported (a worker hung or died); ending it and its workers\n"
    )
    try:
        sys.stderr.flush()
        os.write(2, line.encode())
    except OSError:
        pass  # stderr closed: the exit code still says it
    # Kill the workers, then exit before the controller's own loop sees them gone (it would
    # report an internal error instead of the bound).
    dsession: Any = config.pluginmanager.getplugin("dsession")
    manager = getattr(dsession, "nodemanager", None)
    for gateway in getattr(getattr(manager, "group", None), "_gateways", []):
        process = getattr(getattr(gateway, "_io", None), "popen", None)
        if process is not None:
            with contextlib.suppress(OSError):
                os.kill(process.pid, signal.SIGKILL)
    os._exit(int(pytest.ExitCode.INTERRUPTED))


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    limit = session_limit(config)
    if limit <= 0 or not _is_xdist_controller(config):
        return
    timer = threading.Timer(limit, _end_session, args=(config, limit))
    timer.daemon = True
    timer.name = "session-watchdog"
    timer.start()
    config.stash[_TIMER] = timer


def pytest_unconfigure(config: pytest.Config) -> None:
    timer = config.stash.get(_TIMER, None)
    if timer is not None:
        timer.cancel()
