"""A stop request ends every wait of a run at once: ``StopFlag.sleep`` is the run's sleep.

The waits that held a SIGTERMed run for up to a minute (a 429's ``Retry-After``, the LLM's
rate limit) all sleep through ``Runtime.sleep``; here a wait of 30 s ends within a second of
the request, from another thread or from the real signal handler, with ``StopRequested`` (a
``RunOutOfTime``: whoever waited defers its ticket to the next run instead of failing it).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import pytest

from ticket_processor.errors import RunOutOfTime, StopRequested
from ticket_processor.resilience.runtime import Runtime
from ticket_processor.resilience.signals import StopOnSignal
from ticket_processor.resilience.stopping import POLL, StopFlag


def test_a_request_from_another_thread_ends_a_long_sleep() -> None:
    flag = StopFlag()
    threading.Timer(0.2, flag.request, args=("SIGTERM",)).start()
    began = time.monotonic()
    with pytest.raises(StopRequested) as stopped:
        flag.sleep(30.0)
    assert time.monotonic() - began < 0.2 + POLL + 0.5
    assert isinstance(stopped.value, RunOutOfTime)
    assert stopped.value.signal_name == "SIGTERM"
    assert stopped.value.exit_code == 143


def test_a_sleep_after_the_request_ends_at_once_and_a_short_one_before_it_is_kept() -> None:
    flag = StopFlag()
    began = time.monotonic()
    flag.sleep(0.3)  # no stop asked: an ordinary sleep
    assert time.monotonic() - began >= 0.3
    flag.set("SIGINT")
    with pytest.raises(StopRequested, match="SIGINT"):
        flag.sleep(30.0)
    assert flag() == "SIGINT"


def test_the_runtime_sleeps_through_its_stop_and_a_test_sleep_is_kept() -> None:
    runtime = Runtime()
    runtime.stop.set("SIGTERM")
    with pytest.raises(StopRequested):
        runtime.sleep(30.0)
    waits: list[float] = []
    Runtime(sleep=waits.append).sleep(5.0)
    assert waits == [5.0]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_sigterm_ends_a_sleep_in_another_thread() -> None:
    runtime = Runtime()
    ended: list[BaseException] = []

    def wait() -> None:
        try:
            runtime.sleep(30.0)
        except StopRequested as exc:
            ended.append(exc)

    with StopOnSignal(flag=runtime.stop) as sig:
        sleeper = threading.Thread(target=wait)
        sleeper.start()
        time.sleep(0.1)
        # A SIGTERM with no handler of ours would end the test's process (an xdist worker).
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN, None)
        os.kill(os.getpid(), signal.SIGTERM)
        sleeper.join(5.0)
        assert not sleeper.is_alive()
        assert sig() == "SIGTERM"
    assert [type(e) for e in ended] == [StopRequested]
