"""Ends a test session that outlives its ``session_timeout``, naming what was still running.

pytest-timeout's session timeout is checked after each test, in the process that ran it: it
stops a worker between tests, but the xdist controller runs no tests, so a controller waiting on
a worker that will never report (every worker idle, the session hung) would wait for ever, and
a serial run (``-n 0``) whose test hangs past its own timeout, or has none, never gets to the
check. Here the controller (or the serial run's process) keeps a timer of the same length. When
it fires, it writes on stderr which tests were still running (started, not finished: per worker,
from the ``pytest_runtest_logstart`` and ``pytest_runtest_logfinish`` the controller gets for
each test a worker runs), which tests had failed so far, and the command that reruns them
alone; then it ends the workers and exits with pytest's "interrupted" code, so CI fails in
bounded time and names the cause. It writes with ``os.write`` to fd 2: the terminal writer, and
pytest's own summary after it, may be blocked behind the hang, so this block is the summary.

A worker that dies is xdist's to report: it fails the test it was running, "worker 'gw0'
crashed while running 'tests/...'", and with ``--max-worker-restart=0`` ends the run.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import sys
import threading
import time
from typing import Any

import pytest

_TIMER = pytest.StashKey[threading.Timer]()
_GUARD_NAME = "session-watchdog"
# Modules whose frames on the main thread's stack mean a person is at a debugger's prompt.
_DEBUGGERS = ("pdb", "bdb", "pydevd", "_pydevd_bundle", "pudb", "IPython.core.debugger")


def session_limit(config: pytest.Config) -> float:
    """The session's bound in seconds (``--session-timeout`` or the ini's), 0 for none."""
    given = config.getoption("session_timeout", None)
    if given is None:
        given = config.getini("session_timeout") or 0
    return float(given)


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _is_xdist_controller(config: pytest.Config) -> bool:
    return not _is_xdist_worker(config) and bool(getattr(config.option, "numprocesses", 0))


def _write(fd: int, text: str) -> None:
    """Writes all of ``text`` to ``fd``, past the terminal writer and its buffers."""
    data = text.encode(errors="replace")
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    with contextlib.suppress(OSError):  # stderr closed: the exit code still says it
        while data:
            data = data[os.write(fd, data) :]


def _in_debugger() -> bool:
    """Whether the main thread is stopped in a debugger (a serial run under ``--pdb`` or
    ``breakpoint()``), whose user the bound should not end."""
    frame = sys._current_frames().get(threading.main_thread().ident or 0)
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if any(module == name or module.startswith(f"{name}.") for name in _DEBUGGERS):
            return True
        frame = frame.f_back
    return False


class SessionGuard:
    """The tests started and not finished, and the tests failed, as this process hears of them;
    a timer that names them and ends the session at its bound."""

    def __init__(self, config: pytest.Config, limit: float) -> None:
        self.config = config
        self.limit = limit
        self.parallel = _is_xdist_controller(config)
        self._lock = threading.Lock()
        # node id -> (worker id or None when serial or not yet known, monotonic start)
        self._running: dict[str, tuple[str | None, float]] = {}
        # node id -> the phase it failed in ("call", "setup", "teardown", "???" for a crash)
        self._failed: dict[str, str] = {}
        self._starting_on: str | None = None
        self._stderr = 2

    def _say(self, text: str) -> None:
        _write(self._stderr, text)

    # -- what the session hears -------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        # The session's own stderr, kept: a serial run's test runs with fd 2 captured to a file.
        with contextlib.suppress(OSError):
            self._stderr = os.dup(2)
        if self.parallel:
            self._hear_which_worker_starts_a_test()
        timer = threading.Timer(self.limit, self.fire)
        timer.daemon = True
        timer.name = _GUARD_NAME
        timer.start()
        self.config.stash[_TIMER] = timer

    def _hear_which_worker_starts_a_test(self) -> None:
        # The controller's pytest_runtest_logstart carries no worker: xdist's DSession gets it
        # as the "logstart" event from a node and calls the hook. Wrapping its handler (looked up
        # by name for each event) tells which worker a test started on, hung in set-up included.
        dsession: Any = self.config.pluginmanager.getplugin("dsession")
        handler = getattr(dsession, "worker_logstart", None)
        if not callable(handler):
            return  # another xdist: the worker is learned from the test's first report

        def worker_logstart(node: Any, **event: Any) -> Any:
            self._starting_on = str(getattr(getattr(node, "gateway", None), "id", "")) or None
            try:
                return handler(node=node, **event)
            finally:
                self._starting_on = None

        dsession.worker_logstart = worker_logstart

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        with self._lock:
            self._running[nodeid] = (self._starting_on, time.monotonic())

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        with self._lock:
            entry = self._running.get(report.nodeid)
            worker = getattr(report, "worker_id", None)  # xdist's, on the controller
            if entry is not None and entry[0] is None and worker:
                self._running[report.nodeid] = (str(worker), entry[1])
            if report.failed:
                self._failed.setdefault(report.nodeid, str(report.when))
            if report.when not in ("setup", "call", "teardown"):
                # xdist's report for a test whose worker crashed: no logfinish will come
                self._running.pop(report.nodeid, None)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        with self._lock:
            self._running.pop(nodeid, None)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        timer = config.stash.get(_TIMER, None)
        if timer is not None:
            timer.cancel()
        if self._stderr != 2:
            with contextlib.suppress(OSError):
                os.close(self._stderr)
            self._stderr = 2

    # -- the bound --------------------------------------------------------------------------

    def fire(self) -> None:
        if not self.parallel and _in_debugger():
            self._say(
                f"\nsession-timeout: the test session passed its {self.limit:g} s bound while "
                "stopped in a debugger; not ending it\n"
            )
            return
        self._say(self.report())
        if self.parallel:
            self._kill_workers()
        # Exit before the controller's own loop sees its workers gone (it would report an
        # internal error instead of the bound), or before a serial run's hung test returns.
        os._exit(int(pytest.ExitCode.INTERRUPTED))

    def report(self) -> str:
        """The block written when the bound passes: what was running, what failed, the rerun."""
        # The main thread holds the lock only for a dict operation; should it never let go,
        # read without it rather than hang the guard too.
        locked = self._lock.acquire(timeout=5)
        try:
            running = dict(self._running)
            failed = dict(self._failed)
        finally:
            if locked:
                self._lock.release()
        now = time.monotonic()
        cause = (
            " with tests still unreported (a worker hung or died); ending it and its workers"
            if self.parallel
            else "; ending it"
        )
        lines = [f"session-timeout: the test session passed its {self.limit:g} s bound{cause}"]
        lines.append(f"session-timeout: {len(running)} still running, {len(failed)} failed so far:")
        for nodeid, (worker, started) in sorted(running.items(), key=lambda kv: kv[1][1]):
            where = f"on {worker}, " if worker else ""
            lines.append(f"  still running: {nodeid} ({where}for {now - started:.0f} s)")
        if not running:
            lines.append(
                "  still running: none (the session was collecting, starting workers or "
                "between tests)"
            )
        for nodeid, when in failed.items():
            phase = {"call": "", "???": " (its worker crashed)"}.get(when, f" (in {when})")
            lines.append(f"  failed: {nodeid}{phase}")
        rerun = [*running, *(nodeid for nodeid in failed if nodeid not in running)]
        if rerun:
            lines.append(f"  rerun them alone: {self.rerun_command(rerun)}")
        return "\n" + "\n".join(lines) + "\n"

    def rerun_command(self, nodeids: list[str]) -> str:
        """``pytest -q -n 0 <nodeids>``, run where the node ids are rooted; with the session's
        ``-m`` when one was given (pyproject's own ``-m`` would deselect, e.g., a slow test)."""
        words = ["pytest", "-q", "-n", "0"]
        args = self.config.invocation_params.args
        if any(arg == "-m" or (arg.startswith("-m") and not arg.startswith("--")) for arg in args):
            words += ["-m", str(self.config.option.markexpr)]
        command = shlex.join([*words, *nodeids])
        root = self.config.rootpath
        if self.config.invocation_params.dir != root:
            command = f"cd {shlex.quote(str(root))} && {command}"
        return command

    def _kill_workers(self) -> None:
        dsession: Any = self.config.pluginmanager.getplugin("dsession")
        manager = getattr(dsession, "nodemanager", None)
        for gateway in getattr(getattr(manager, "group", None), "_gateways", []):
            process = getattr(getattr(gateway, "_io", None), "popen", None)
            if process is not None:
                with contextlib.suppress(OSError):
                    os.kill(process.pid, signal.SIGKILL)


def pytest_configure(config: pytest.Config) -> None:
    # A worker is stopped between tests by pytest-timeout and otherwise by its controller.
    limit = session_limit(config)
    if limit > 0 and not _is_xdist_worker(config):
        config.pluginmanager.register(SessionGuard(config, limit), _GUARD_NAME)
