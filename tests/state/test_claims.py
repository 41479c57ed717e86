"""Write claims: a ticket claimed by another process (a cron run beside ``serve``) is waited
for, never written at once; other tickets are not held up; a claim held past the wait is a
``ClaimTimeout``; a killed holder leaves nothing behind. The same in PostgreSQL (advisory
locks) for processes that share no disk."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from ticket_processor.common.database import database_engine
from ticket_processor.errors import StopRequested
from ticket_processor.resilience.stopping import StopFlag
from ticket_processor.state.claims import AdvisoryClaims, ClaimTimeout, TicketClaims

ROOT = Path(__file__).resolve().parents[2]
HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from ticket_processor.state.claims import TicketClaims
    with TicketClaims(Path(sys.argv[1])).hold([7, 9]):
        Path(sys.argv[2]).write_text("held")
        time.sleep(float(sys.argv[3]))
    """
)


def hold_elsewhere(state: Path, seconds: float) -> subprocess.Popen[bytes]:
    flag = state / "held.flag"
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(state), str(flag), str(seconds)],
        env={"PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 30
    while not flag.exists():
        assert process.poll() is None
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return process


@pytest.mark.skipif(sys.platform == "win32", reason="record locks are POSIX")
def test_another_process_claim_is_waited_for_and_others_go_on(tmp_path: Path) -> None:
    holder = hold_elsewhere(tmp_path, 1.0)
    claims = TicketClaims(tmp_path)
    started = time.monotonic()
    with claims.hold([8, 10]):  # not claimed elsewhere: at once
        assert time.monotonic() - started < 0.5
    with claims.hold([9]):
        waited = time.monotonic() - started
    assert waited >= 0.5
    holder.wait(10)


@pytest.mark.skipif(sys.platform == "win32", reason="record locks are POSIX")
def test_a_claim_held_too_long_times_out_and_a_killed_holder_frees_it(tmp_path: Path) -> None:
    holder = hold_elsewhere(tmp_path, 30.0)
    with pytest.raises(ClaimTimeout, match="ticket 7"), TicketClaims(tmp_path, wait=0.3).hold([7]):
        pass
    holder.kill()
    holder.wait(10)
    with TicketClaims(tmp_path, wait=2.0).hold([7, 9]):
        pass


def test_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    claims = TicketClaims(tmp_path)
    inside: list[int] = []
    overlaps: list[int] = []

    def write(n: int) -> None:
        with claims.hold([42]):
            if inside:
                overlaps.append(n)
            inside.append(n)
            time.sleep(0.05)
            inside.remove(n)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert overlaps == []


@pytest.mark.postgres
def test_advisory_claims_exclude_across_sessions(postgres_url: str) -> None:
    first = AdvisoryClaims(database_engine(postgres_url))
    second = AdvisoryClaims(database_engine(postgres_url), wait=0.3)
    with first.hold([1, 2]):
        with pytest.raises(ClaimTimeout), second.hold([2, 3]):
            pass
        with second.hold([3]):  # another ticket: at once
            pass
    with second.hold([1, 2, 3]):  # released
        pass


@pytest.mark.postgres
def test_a_stop_ends_the_wait_for_another_sessions_claim_and_leaves_nothing_held(
    postgres_url: str,
) -> None:
    """SIGTERM (the run's ``StopFlag``) ends the wait for a claim another replica holds within
    a poll, not at the end of the 120 s wait; the tickets it had taken are let go."""
    stop = StopFlag()
    first = AdvisoryClaims(database_engine(postgres_url))
    waiting = AdvisoryClaims(database_engine(postgres_url), sleep=stop.sleep)
    third = AdvisoryClaims(database_engine(postgres_url), wait=0.3)
    ended: list[BaseException] = []

    def wait_for_ticket_2() -> None:
        try:
            with waiting.hold([1, 2]):  # takes 1, then waits for 2
                pass
        except BaseException as exc:  # noqa: BLE001 - the test looks at what ended it
            ended.append(exc)

    with first.hold([2]):
        thread = threading.Thread(target=wait_for_ticket_2)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive()  # waiting for ticket 2
        asked = time.monotonic()
        stop.set("SIGTERM")
        thread.join(10)
        took = time.monotonic() - asked
        assert not thread.is_alive()
        assert took < 2.0, took
        assert [type(e) for e in ended] == [StopRequested]
        with third.hold([1]):  # ticket 1, taken before the stop, was let go
            pass
