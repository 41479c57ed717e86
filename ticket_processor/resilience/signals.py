"""SIGINT and SIGTERM as a request to stop, not a kill.

``StopOnSignal`` installs handlers (from the main thread only; elsewhere it is inert) that
record the first signal; the pipeline polls it, stops taking tickets, lets the analyses under
way finish for a short grace, flushes the writes and saves its progress, and the run exits 130
(SIGINT) or 143 (SIGTERM), the shell's convention. With ``flag`` (the run's ``Runtime.stop``)
the request also ends every wait under way or to come (a helpdesk's ``Retry-After``, the LLM's
rate limit, a job poll): ``resilience.stopping``. A second signal ends the process at once,
saying so in one line: the write journal keeps the helpdesk safe, and the next run recovers.
A repeat within ``REPEAT_WINDOW`` seconds of the first is the same request, not a second one:
a terminal, ``timeout`` or a supervisor may deliver one Ctrl-C twice in a moment, and that must
not skip the graceful stop.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

from ..exitcodes import SIGNAL_EXIT, ExitCode
from .stopping import StopFlag

_NAMES = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}
REPEAT_WINDOW = 1.0  # seconds


class StopOnSignal:
    """Context manager; call it to learn whether (and by which signal) a stop was asked."""

    def __init__(
        self,
        *,
        announce: Any = None,
        clock: Callable[[], float] = time.monotonic,
        repeat_window: float = REPEAT_WINDOW,
        flag: StopFlag | None = None,
    ) -> None:
        self._received: str | None = None
        self._received_at = 0.0
        self._previous: dict[int, Any] = {}
        self._announce = announce  # called with the signal's name the first time
        self._clock = clock
        self._repeat_window = repeat_window
        self._flag = flag

    def __call__(self) -> str | None:
        return self._received

    def request(self, name: str) -> None:
        """Ask for a stop as a signal would (tests, and the second-signal path)."""
        if self._received is not None:
            if self._clock() - self._received_at < self._repeat_window:
                return  # the same request delivered twice, not a second one
            line = (
                f"ticketbot: a second {name}: stopping at once, without the graceful stop; "
                "the next run finishes what this one was writing\n"
            )
            # os.write, not sys.stderr: the handler may interrupt a write to sys.stderr, and
            # a buffered stream refuses a reentrant call.
            try:
                sys.stderr.flush()
                os.write(2, line.encode())
            except (OSError, RuntimeError):
                pass  # stderr closed or mid-write: the exit code still says it
            os._exit(int(SIGNAL_EXIT.get(self._received, ExitCode.ABORTED)))
        self._received = name
        self._received_at = self._clock()
        if self._flag is not None:
            self._flag.request(name)  # an assignment: safe here, and every sleeper sees it
        if self._announce is not None:
            self._announce(name)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.request(_NAMES.get(signal.Signals(signum), "signal"))

    def __enter__(self) -> StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for signum in _NAMES:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()
