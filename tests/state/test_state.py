"""The state directory: atomic writes, the ``RunLedger``'s files (validated, a damaged one set
aside once), cursor, journal, retry queue, breakers, cache, and the run lock.

The lock is tested across real processes: a child takes it, the test must be refused at once,
and after the child is killed with SIGKILL the lock must be free again; a holder whose start is
hours old is reported as hung (``StaleLockError``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest
from support.clock import FakeClock

from ticket_processor.common.atomic import atomic_write_bytes
from ticket_processor.errors import ConfigError, LockHeldError, StaleLockError
from ticket_processor.models import Cursor
from ticket_processor.resilience.breaker import CircuitBreaker
from ticket_processor.settings.variables import DEFAULT_CACHE_ENTRIES
from ticket_processor.state.cache import AnalysisCache
from ticket_processor.state.ledger import LEDGER_FILES, RunLedger
from ticket_processor.state.lock import RunLock
from ticket_processor.state.shapes import BackfillFile, HarvestFile


@pytest.fixture
def ledger(tmp_path: Path) -> RunLedger:
    return RunLedger(tmp_path / "state")


def set_aside_files(ledger: RunLedger, name: str) -> list[Path]:
    return sorted(ledger.directory.glob(f"{name}.bad-*"))


# --- directory and files -------------------------------------------------------------------


def test_creates_a_private_directory(tmp_path: Path) -> None:
    ledger = RunLedger(tmp_path / "a" / "b")
    assert ledger.directory.is_dir()
    if sys.platform != "win32":
        assert (ledger.directory.stat().st_mode & 0o777) == 0o700


def test_an_uncreatable_directory_is_a_config_error_naming_the_variable(tmp_path: Path) -> None:
    # A regular file as the parent: mkdir fails for root too (a read-only mode would not).
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file")
    wanted = blocker / "state"
    with pytest.raises(ConfigError, match="TICKETBOT_STATE_DIR") as info:
        RunLedger(wanted)
    assert str(wanted) in str(info.value)
    assert "writable directory" in str(info.value)


def test_a_file_in_the_way_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("not a directory")
    with pytest.raises(ConfigError, match="TICKETBOT_STATE_DIR"):
        RunLedger(tmp_path / "state")


def test_last_run_round_trip_and_missing_file(ledger: RunLedger) -> None:
    assert ledger.last_run() is None
    run = {"run_id": "r1", "finished_at": "2026-11-23T10:00:00+00:00", "status": "ok", "x": [1]}
    ledger.save_last_run(run)
    assert RunLedger(ledger.directory).last_run() == run  # the next cron run
    assert ledger.take_set_aside() == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"kind": "incremental"', "not JSON"),
        (b"\x00\xff garbage", "not JSON"),
        (b"[1, 2]", "wrong shape"),
        (b"", "empty file"),
        (b"  \n", "empty file"),
    ],
)
def test_corrupt_json_is_moved_aside_and_reported_once(
    ledger: RunLedger, content: bytes, reason: str
) -> None:
    (ledger.directory / "cursor.json").write_bytes(content)
    assert ledger.load_cursor() is None
    assert not (ledger.directory / "cursor.json").exists()
    aside = set_aside_files(ledger, "cursor.json")
    assert len(aside) == 1
    assert aside[0].read_bytes() == content  # kept for a person to look at
    reported = ledger.take_set_aside()
    assert [(a.file, a.moved_to) for a in reported] == [("cursor.json", aside[0].name)]
    assert reason in reported[0].reason
    assert ledger.take_set_aside() == []  # reported once
    assert ledger.load_cursor() is None  # the safe default, and nothing more set aside
    assert len(set_aside_files(ledger, "cursor.json")) == 1


def test_a_directory_in_place_of_a_file_is_set_aside(ledger: RunLedger) -> None:
    (ledger.directory / "retry.json").mkdir()
    (ledger.directory / "retry.json" / "inside").write_text("x")
    assert ledger.retry_queue() == {}
    assert not (ledger.directory / "retry.json").exists()
    [aside] = set_aside_files(ledger, "retry.json")
    assert (aside / "inside").read_text() == "x"
    assert [a.reason for a in ledger.take_set_aside()] == ["a directory where a file should be"]
    ledger.save_retry_queue({7: 1})
    assert ledger.retry_queue() == {7: 1}


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("jobs.json", {"jobs": {"abc": ["x"]}}),
        ("retry.json", {"tickets": ["a"]}),
        ("retry.json", {"tickets": {"12": -1}}),
        ("inflight.json", {"ticket_ids": [1, "two", True, 3]}),
        ("breakers.json", {"zendesk": {"state": "ajar", "failures": 0}}),
        ("alerts.json", {"x": "yesterday"}),
        ("last_run.json", {"x": 1}),
        ("cursor.json", {"x": 1}),
    ],
)
def test_json_of_the_wrong_shape_is_set_aside_by_validate_all(
    ledger: RunLedger, name: str, content: object
) -> None:
    (ledger.directory / name).write_bytes(orjson.dumps(content))
    assert [f for f, _ in ledger.damaged_files()] == [name]  # health: seen, nothing moved
    assert (ledger.directory / name).exists()
    ledger.validate_all()
    assert [a.file for a in ledger.take_set_aside()] == [name]
    assert len(set_aside_files(ledger, name)) == 1
    assert ledger.damaged_files() == []
    # The safe defaults: nothing in flight, no jobs, no retries, closed breakers, no cursor.
    assert (ledger.inflight(), ledger.jobs(), ledger.retry_queue()) == (set(), {}, {})
    assert (ledger.breaker_states(), ledger.load_cursor(), ledger.last_run()) == ({}, None, None)
    assert ledger.alerts_sent() == {}


def test_a_read_only_ledger_moves_and_writes_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "state"
    RunLedger(directory).save_retry_queue({1: 2})
    (directory / "cursor.json").write_bytes(b"garbage")
    before = {p.name: p.read_bytes() for p in directory.iterdir()}
    looker = RunLedger(directory, read_only=True)
    looker.validate_all()
    assert looker.load_cursor() is None
    assert looker.retry_queue() == {1: 2}
    looker.save_retry_queue({})
    looker.save_cursor(Cursor("incremental", "abc", 1))
    looker.begin([5])
    AnalysisCache(looker, max_entries=DEFAULT_CACHE_ENTRIES).put("k", {"v": 1})
    assert looker.take_set_aside() == []
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == before
    assert not RunLedger(tmp_path / "never", read_only=True).directory.exists()


def test_the_ledger_knows_every_file_of_the_state_directory() -> None:
    assert set(LEDGER_FILES) == {
        "cursor.json",
        "inflight.json",
        "jobs.json",
        "retry.json",
        "breakers.json",
        "alerts.json",
        "last_run.json",
        "cache.json",
        "backfill.json",
        "harvest.json",
        "replies.json",
    }


def test_a_crash_mid_write_leaves_the_old_version(ledger: RunLedger) -> None:
    first = {"run_id": "r1", "finished_at": "2026-11-23T10:00:00+00:00", "status": "ok"}
    ledger.save_last_run(first)
    # What a writer killed before os.replace leaves behind: a half-written temp file.
    (ledger.directory / ".last_run.json.abc123.tmp").write_bytes(b'{"run_id": "r2", "fin')
    assert ledger.last_run() == first
    third = {**first, "run_id": "r3"}
    ledger.save_last_run(third)
    assert ledger.last_run() == third
    assert ledger.take_set_aside() == []


def test_atomic_write_cleans_up_when_the_write_fails(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        atomic_write_bytes(tmp_path / "x.json", "not bytes")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_stale_temp_files_are_removed_on_open(tmp_path: Path) -> None:
    directory = tmp_path / "state"
    directory.mkdir()
    old = directory / ".cursor.json.dead.tmp"
    fresh = directory / ".cursor.json.live.tmp"
    old.write_bytes(b"{")
    fresh.write_bytes(b"{")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    RunLedger(directory)
    assert not old.exists()
    assert fresh.exists()  # might be another process's write in progress


def test_no_reader_ever_sees_a_partial_file(ledger: RunLedger) -> None:
    big = {i: 1 for i in range(20_000)}
    small = {1: 1}
    stop = threading.Event()
    seen: list[int] = []

    def reader() -> None:
        while not stop.is_set():
            seen.append(len(ledger.retry_queue()))

    ledger.save_retry_queue(small)
    thread = threading.Thread(target=reader)
    thread.start()
    for n in range(30):
        ledger.save_retry_queue(big if n % 2 else small)
    stop.set()
    thread.join()
    assert set(seen) <= {1, 20_000}
    assert ledger.take_set_aside() == []
    assert not set_aside_files(ledger, "retry.json")


# --- cursor ------------------------------------------------------------------------------


def test_cursor_round_trip(ledger: RunLedger) -> None:
    assert ledger.load_cursor() is None
    cursor = Cursor("incremental", "MTU3NjYxMzUzOS4wfHw0Njd8", 1_700_000_000)
    ledger.save_cursor(cursor, helpdesk="zendesk")
    assert ledger.load_cursor("zendesk") == cursor
    assert RunLedger(ledger.directory).load_cursor("zendesk") == cursor  # the next cron run
    # Another helpdesk's cursor is never used (its position means nothing there).
    assert ledger.load_cursor("freshdesk") is None
    search = Cursor("search", None, None)
    ledger.save_cursor(search)
    assert ledger.load_cursor() == search
    ledger.discard_cursor()
    assert ledger.load_cursor() is None
    ledger.discard_cursor()  # already gone: no error
    assert ledger.take_set_aside() == []


def test_each_discovery_keeps_its_own_place(ledger: RunLedger) -> None:
    run, backfill, harvest = (Cursor("incremental", v, 1) for v in ("r", "b", "h"))
    ledger.save_cursor(run, helpdesk="zendesk")
    # No backfill or harvest under way: their cursors have nowhere to go, and none is made.
    ledger.save_cursor(backfill, stream="backfill")
    assert ledger.load_cursor(stream="backfill") is None
    ledger.save_backfill(BackfillFile(since=1, started_at="2026-01-01T00:00:00+00:00"))
    ledger.save_harvest(harvest_record())
    ledger.save_cursor(backfill, stream="backfill")
    ledger.save_cursor(harvest, stream="harvest")
    again = RunLedger(ledger.directory)
    found = [again.load_cursor("zendesk", stream=s) for s in ("run", "backfill", "harvest")]
    assert found == [run, backfill, harvest]
    again.discard_cursor(stream="harvest")
    assert again.load_cursor(stream="harvest") is None
    assert again.load_cursor("zendesk") == run  # the scheduled runs' place is untouched
    assert again.harvest() == harvest_record()  # only the cursor went; the counts stay


def test_an_older_harvest_checkpoint_is_carried_into_the_ledger_once(ledger: RunLedger) -> None:
    old = {
        "key": "zendesk@x|since=30d",
        "cursor_kind": "incremental",
        "cursor_value": "abc",
        "cursor_start": 7,
        "examples": 3,
        "seen": 9,
        "solved": 5,
        "unreviewed": 1,
        "unlabelled": 1,
        "notes_read": 2,
        "pages": 1,
        "updated_at": "2026-01-01T00:00:00+00:00",
    }
    (ledger.directory / "learn-harvest.json").write_bytes(orjson.dumps(old))
    assert ledger.load_cursor(stream="harvest") == Cursor("incremental", "abc", 7)
    assert not (ledger.directory / "learn-harvest.json").exists()
    carried = RunLedger(ledger.directory).harvest()
    assert carried is not None
    assert (carried.key, carried.examples, carried.pages) == ("zendesk@x|since=30d", 3, 1)
    ledger.clear_harvest()
    assert ledger.harvest() is None


def harvest_record() -> HarvestFile:
    return HarvestFile(
        key="k",
        examples=0,
        seen=0,
        solved=0,
        unreviewed=0,
        unlabelled=0,
        notes_read=0,
        pages=0,
        updated_at="2026-01-01T00:00:00+00:00",
    )


def test_malformed_cursor_is_moved_aside(ledger: RunLedger) -> None:
    (ledger.directory / "cursor.json").write_bytes(orjson.dumps({"kind": "bogus", "value": 3}))
    assert ledger.load_cursor() is None
    assert set_aside_files(ledger, "cursor.json")
    assert "value" in ledger.take_set_aside()[0].reason


# --- breakers ------------------------------------------------------------------------------


def test_breaker_state_survives_across_runs(ledger: RunLedger, fake_clock: FakeClock) -> None:
    first = CircuitBreaker(
        "zendesk", threshold=2, storage=ledger.breaker_storage(), clock=fake_clock
    )
    llm = CircuitBreaker("llm", storage=ledger.breaker_storage(), clock=fake_clock)
    first.record_failure()
    first.record_failure()
    llm.record_failure()
    assert first.state == "open"
    again = RunLedger(ledger.directory)  # a new process
    second = CircuitBreaker(
        "zendesk", threshold=2, storage=again.breaker_storage(), clock=fake_clock
    )
    assert second.state == "open"
    assert CircuitBreaker("llm", storage=again.breaker_storage()).failures == 1
    assert set(again.breaker_states()) == {"zendesk", "llm"}
    assert again.breaker_states()["zendesk"]["state"] == "open"
    fake_clock.advance(60)
    assert second.retry_after() == 0.0
    assert str(second.state) in {"half_open"}


def test_reset_breakers_closes_the_open_ones(ledger: RunLedger) -> None:
    zendesk = CircuitBreaker("zendesk@https://a", threshold=1, storage=ledger.breaker_storage())
    CircuitBreaker("llm@x", storage=ledger.breaker_storage()).record_failure()
    zendesk.record_failure()
    assert ledger.reset_breakers() == ["zendesk@https://a"]
    states = RunLedger(ledger.directory).breaker_states()
    assert {name: s["state"] for name, s in states.items()} == {
        "zendesk@https://a": "closed",
        "llm@x": "closed",
    }
    assert CircuitBreaker("zendesk@https://a", storage=ledger.breaker_storage()).state == "closed"


# --- in-flight journal -------------------------------------------------------------------


def test_inflight_journal_is_on_disk_before_returning(ledger: RunLedger) -> None:
    assert ledger.inflight() == set()
    ledger.begin([3, 1, 2])
    ledger.begin([2, 4])
    ledger.job_sent("job-1", [1, 2])
    crashed = RunLedger(ledger.directory)  # as a crashed run left it
    assert crashed.inflight() == {1, 2, 3, 4}
    assert crashed.jobs() == {"job-1": [1, 2]}
    ledger.end([1, 4, 99], ["job-1", "job-unknown"])
    assert RunLedger(ledger.directory).inflight() == {2, 3}
    assert RunLedger(ledger.directory).jobs() == {}
    ledger.end([2, 3], [])
    assert ledger.inflight() == set()
    ledger.begin([8])
    ledger.job_sent("job-2", [8])
    ledger.clear_journal()
    assert (RunLedger(ledger.directory).inflight(), RunLedger(ledger.directory).jobs()) == (
        set(),
        {},
    )


def test_inflight_from_many_threads_loses_nothing(ledger: RunLedger) -> None:
    def worker(base: int) -> None:
        for i in range(20):
            ledger.begin([base + i])
        ledger.end([base + i for i in range(0, 20, 2)], [])

    threads = [threading.Thread(target=worker, args=(n * 100,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = {n * 100 + i for n in range(6) for i in range(1, 20, 2)}
    assert ledger.inflight() == expected
    assert RunLedger(ledger.directory).inflight() == expected


def test_damaged_journal_reads_as_empty(ledger: RunLedger) -> None:
    # Strictly validated: a journal with one wrong entry is not trusted in part. Empty is safe:
    # the re-read before any write and the processed marker keep a second note out.
    (ledger.directory / "inflight.json").write_bytes(b'{"ticket_ids": [1, "two", true, 3]}')
    assert ledger.inflight() == set()
    assert [a.file for a in ledger.take_set_aside()] == ["inflight.json"]


# --- retry queue and alerts ----------------------------------------------------------------


def test_retry_queue_and_alerts_round_trip(ledger: RunLedger) -> None:
    assert (ledger.retry_queue(), ledger.alerts_sent()) == ({}, {})
    ledger.save_retry_queue({12: 1, 3: 4})
    ledger.save_alerts_sent({"breaker:llm": 1_700_000_000.5})
    again = RunLedger(ledger.directory)
    assert again.retry_queue() == {3: 4, 12: 1}
    assert again.alerts_sent() == {"breaker:llm": 1_700_000_000.5}


# --- analysis cache ------------------------------------------------------------------------


def test_cache_round_trip_across_runs(ledger: RunLedger) -> None:
    cache = AnalysisCache(ledger, max_entries=DEFAULT_CACHE_ENTRIES)
    assert cache.get("k") is None
    cache.put("k", {"category": "billing", "confidence": 0.9})
    cache.flush()
    again = AnalysisCache(RunLedger(ledger.directory), max_entries=DEFAULT_CACHE_ENTRIES)
    assert len(again) == 1
    assert again.get("k") == {"category": "billing", "confidence": 0.9}


def test_cache_evicts_least_recently_used(ledger: RunLedger) -> None:
    cache = AnalysisCache(ledger, max_entries=3)
    for key in "abc":
        cache.put(key, {"v": key})
    assert cache.get("a") == {"v": "a"}  # a is now the most recent
    cache.put("d", {"v": "d"})
    assert len(cache) == 3
    assert cache.get("b") is None
    assert {k for k in "abcd" if k in cache} == {"a", "c", "d"}
    cache.flush()
    smaller = AnalysisCache(RunLedger(ledger.directory), max_entries=2)
    assert {k for k in "abcd" if k in smaller} == {"a", "d"}


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"version": 99, "entries": {}}', b"[]", b'{"version": 1, "entries": 7}'],
)
def test_corrupt_cache_is_an_empty_cache(ledger: RunLedger, content: bytes) -> None:
    path = ledger.directory / "cache.json"
    path.write_bytes(content)
    cache = AnalysisCache(ledger, max_entries=DEFAULT_CACHE_ENTRIES)
    assert len(cache) == 0
    assert [a.file for a in ledger.take_set_aside()] == ["cache.json"]
    cache.put("k", {"v": 1})
    cache.flush()
    assert orjson.loads(path.read_bytes())["entries"] == {"k": {"v": 1}}


def test_cache_is_thread_safe(ledger: RunLedger) -> None:
    cache = AnalysisCache(ledger, max_entries=500)

    def worker(n: int) -> None:
        for i in range(300):
            cache.put(f"{n}-{i}", {"i": i})
            cache.get(f"{n}-{i // 2}")
            if i % 100 == 0:
                cache.flush()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 500
    cache.flush()
    assert len(AnalysisCache(RunLedger(ledger.directory), max_entries=500)) == 500


# --- run lock --------------------------------------------------------------------------------

HOLDER = """
import sys
from pathlib import Path
from ticket_processor.state.lock import RunLock
with RunLock(Path(sys.argv[1])) as lock:
    if len(sys.argv) > 2:  # pretend the run started long ago: write the info line ourselves
        with open(lock.path, "r+b") as info:
            info.seek(1)
            info.write(sys.argv[2].encode() + bytes([10]))
            info.truncate()
    print("locked", flush=True)
    sys.stdin.readline()
print("released", flush=True)
"""


def start_holder(directory: Path, info: str | None = None) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(directory), *([info] if info else [])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "locked"
    return child


def test_lock_held_by_another_process_refuses_at_once_and_frees_on_kill9(tmp_path: Path) -> None:
    child = start_holder(tmp_path)
    try:
        started = time.monotonic()
        with pytest.raises(LockHeldError) as info, RunLock(tmp_path):
            pass
        assert time.monotonic() - started < 1.0  # refused, not waited
        message = str(info.value)
        assert f"pid {child.pid}" in message
        assert str(tmp_path) in message
        assert "started 20" in message
    finally:
        if sys.platform == "win32":
            child.kill()
        else:
            os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    assert child.returncode != 0
    with RunLock(tmp_path) as lock:  # the OS dropped the dead holder's lock
        assert lock.path.exists()


def test_lock_released_normally_can_be_taken_again(tmp_path: Path) -> None:
    child = start_holder(tmp_path)
    assert child.stdin is not None
    assert child.stdout is not None
    child.stdin.write("\n")
    child.stdin.flush()
    assert child.stdout.readline().strip() == "released"
    child.wait(10)
    with RunLock(tmp_path):
        pass


def test_lock_is_exclusive_within_one_process_too(tmp_path: Path) -> None:
    with (
        RunLock(tmp_path),
        pytest.raises(LockHeldError, match=f"pid {os.getpid()}"),
        RunLock(tmp_path),
    ):
        pass
    with RunLock(tmp_path):
        pass


def test_a_holder_older_than_any_run_is_reported_as_hung(tmp_path: Path) -> None:
    child = start_holder(tmp_path, '{"pid": 4242, "started": "2020-01-01T00:00:00+00:00"}')
    try:
        with pytest.raises(StaleLockError) as info, RunLock(tmp_path, stale_after=3600):
            pass
        message = str(info.value)
        assert "pid 4242" in message
        assert "hung" in message
        # Without a limit (or under it) it is the ordinary "another run" refusal.
        with pytest.raises(LockHeldError), RunLock(tmp_path):
            pass
    finally:
        child.kill()
        child.wait(10)
