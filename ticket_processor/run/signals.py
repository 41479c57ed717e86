"""SIGINT and SIGTERM as a request to stop, not a kill.

``StopOnSignal`` installs handlers (from the main thread only; elsewhere it is inert) that
record the first signal; the pipeline polls it, stops taking tickets, lets the analyses under
way finish for a short grace, flushes the writes and saves its progress, and the run exits 130
(SIGINT) or 143 (SIGTERM), the shell's convention. A second signal ends the process at once:
the write journal keeps the helpdesk safe, and the next run recovers.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType, TracebackType
from typing import Any

from ..exitcodes import SIGNAL_EXIT, ExitCode

_NAMES = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}


class StopOnSignal:
    """Context manager; call it to learn whether (and by which signal) a stop was asked."""

    def __init__(self, *, announce: Any = None) -> None:
        self._received: str | None = None
        self._previous: dict[int, Any] = {}
        self._announce = announce  # called with the signal's name the first time

    def __call__(self) -> str | None:
        return self._received

    def request(self, name: str) -> None:
        """Ask for a stop as a signal would (tests, and the second-signal path)."""
        if self._received is not None:
            sys.stderr.flush()
            os._exit(int(SIGNAL_EXIT.get(self._received, ExitCode.ABORTED)))
        self._received = name
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
