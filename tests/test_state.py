"""The state directory: atomic writes, corruption, cursor, journal, cache and the run lock.

The lock is tested across real processes: a child takes it, the test must be refused at once,
and after the child is killed with SIGKILL the lock must be free again.
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

from ticket_processor.errors import ConfigError, LockHeldError
from ticket_processor.resilience import CircuitBreaker
from ticket_processor.state import (
    AnalysisCache,
    Cursor,
    RunLock,
    StateStore,
    atomic_write_bytes,
)


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / "state")


# --- directory and JSON files ---------------------------------------------------------


def test_creates_a_private_directory(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "a" / "b")
    assert store.directory.is_dir()
    if sys.platform != "win32":
        assert (store.directory.stat().st_mode & 0o777) == 0o700


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="needs POSIX, not root")
def test_unwritable_directory_is_a_config_error_naming_the_variable(tmp_path: Path) -> None:
    locked = tmp_path / "ro"
    locked.mkdir(mode=0o500)
    with pytest.raises(ConfigError, match="TICKETBOT_STATE_DIR") as info:
        StateStore(locked)
    assert str(locked) in str(info.value)


def test_a_file_in_the_way_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("not a directory")
    with pytest.raises(ConfigError, match="TICKETBOT_STATE_DIR"):
        StateStore(tmp_path / "state")


def test_json_round_trip_and_missing_file(store: StateStore) -> None:
    assert store.read_json("thing.json") is None
    store.write_json("thing.json", {"a": 1, "b": ["x", None]})
    assert store.read_json("thing.json") == {"a": 1, "b": ["x", None]}
    assert store.read_json("thing") == {"a": 1, "b": ["x", None]}  # .json is implied


@pytest.mark.parametrize("name", ["../escape.json", "a/b.json", ".hidden.json", ""])
def test_state_names_cannot_leave_the_directory(store: StateStore, name: str) -> None:
    with pytest.raises(ValueError, match="plain file name"):
        store.write_json(name, {})


@pytest.mark.parametrize("content", [b'{"a": 1', b"\x00\xff garbage", b"[1, 2]", b""])
def test_corrupt_json_is_moved_aside_not_fatal(store: StateStore, content: bytes) -> None:
    (store.directory / "cursor.json").write_bytes(content)
    assert store.read_json("cursor.json") is None
    assert store.load_cursor() is None
    assert not (store.directory / "cursor.json").exists()
    aside = list(store.directory.glob("cursor.json.corrupt-*"))
    assert len(aside) == 1
    assert aside[0].read_bytes() == content  # kept for a person to look at


def test_a_crash_mid_write_leaves_the_old_version(store: StateStore) -> None:
    store.write_json("last_run.json", {"run": 1})
    # What a writer killed before os.replace leaves behind: a half-written temp file.
    (store.directory / ".last_run.json.abc123.tmp").write_bytes(b'{"run": 2, "hal')
    assert store.last_run() == {"run": 1}
    store.save_last_run({"run": 3})
    assert store.last_run() == {"run": 3}


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
    StateStore(directory)
    assert not old.exists()
    assert fresh.exists()  # might be another process's write in progress


def test_no_reader_ever_sees_a_partial_file(store: StateStore) -> None:
    big = {"items": list(range(20_000))}
    small = {"items": [1]}
    stop = threading.Event()
    seen: list[object] = []

    def reader() -> None:
        while not stop.is_set():
            data = store.read_json("race.json")
            if data is not None:
                seen.append(len(data["items"]))

    store.write_json("race.json", small)
    thread = threading.Thread(target=reader)
    thread.start()
    for n in range(30):
        store.write_json("race.json", big if n % 2 else small)
    stop.set()
    thread.join()
    assert set(seen) <= {1, 20_000}
    assert not list(store.directory.glob("race.json.corrupt-*"))


# --- cursor ------------------------------------------------------------------------------


def test_cursor_round_trip(store: StateStore) -> None:
    assert store.load_cursor() is None
    cursor = Cursor(
        "incremental", "MTU3NjYxMzUzOS4wfHw0Njd8", 1_700_000_000, "2026-11-22T05:00:00+00:00"
    )
    store.save_cursor(cursor)
    assert store.load_cursor() == cursor
    assert StateStore(store.directory).load_cursor() == cursor  # the next cron run
    search = Cursor.now("search", None, None)
    store.save_cursor(search)
    assert store.load_cursor() == search


def test_malformed_cursor_is_moved_aside(store: StateStore) -> None:
    store.write_json("cursor.json", {"kind": "bogus", "value": 3})
    assert store.load_cursor() is None
    assert list(store.directory.glob("cursor.json.corrupt-*"))


# --- breakers ------------------------------------------------------------------------------


def test_breaker_state_survives_across_runs(store: StateStore) -> None:
    now = [1_000.0]
    first = CircuitBreaker(
        "zendesk", threshold=2, storage=store.breaker_storage(), clock=lambda: now[0]
    )
    llm = CircuitBreaker("llm", storage=store.breaker_storage(), clock=lambda: now[0])
    first.record_failure()
    first.record_failure()
    llm.record_failure()
    assert first.state == "open"
    again = StateStore(store.directory)  # a new process
    second = CircuitBreaker(
        "zendesk", threshold=2, storage=again.breaker_storage(), clock=lambda: now[0]
    )
    assert second.state == "open"
    assert CircuitBreaker("llm", storage=again.breaker_storage()).failures == 1
    assert set(again.breaker_states()) == {"zendesk", "llm"}
    assert again.breaker_states()["zendesk"]["state"] == "open"
    now[0] += 60
    assert second.retry_after() == 0.0
    assert str(second.state) in {"half_open"}


# --- in-flight journal -------------------------------------------------------------------


def test_inflight_journal_is_on_disk_before_returning(store: StateStore) -> None:
    assert store.inflight() == set()
    store.mark_inflight([3, 1, 2])
    store.mark_inflight([2, 4])
    assert StateStore(store.directory).inflight() == {1, 2, 3, 4}  # as a crashed run left it
    store.clear_inflight([1, 4, 99])
    assert StateStore(store.directory).inflight() == {2, 3}
    store.clear_inflight([2, 3])
    assert store.inflight() == set()


def test_inflight_from_many_threads_loses_nothing(store: StateStore) -> None:
    def worker(base: int) -> None:
        for i in range(20):
            store.mark_inflight([base + i])
        store.clear_inflight([base + i for i in range(0, 20, 2)])

    threads = [threading.Thread(target=worker, args=(n * 100,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.inflight() == {n * 100 + i for n in range(6) for i in range(1, 20, 2)}


def test_damaged_journal_reads_as_empty(store: StateStore) -> None:
    store.write_json("inflight.json", {"ticket_ids": [1, "two", True, 3]})
    assert store.inflight() == {1, 3}


# --- analysis cache ------------------------------------------------------------------------


def test_cache_round_trip_across_runs(tmp_path: Path) -> None:
    cache = AnalysisCache(tmp_path / "cache.json")
    assert cache.get("k") is None
    cache.put("k", {"category": "billing", "confidence": 0.9})
    cache.flush()
    again = AnalysisCache(tmp_path / "cache.json")
    assert len(again) == 1
    assert again.get("k") == {"category": "billing", "confidence": 0.9}


def test_cache_evicts_least_recently_used(tmp_path: Path) -> None:
    cache = AnalysisCache(tmp_path / "cache.json", max_entries=3)
    for key in "abc":
        cache.put(key, {"v": key})
    assert cache.get("a") == {"v": "a"}  # a is now the most recent
    cache.put("d", {"v": "d"})
    assert len(cache) == 3
    assert cache.get("b") is None
    assert {k for k in "abcd" if k in cache} == {"a", "c", "d"}
    cache.flush()
    smaller = AnalysisCache(tmp_path / "cache.json", max_entries=2)
    assert {k for k in "abcd" if k in smaller} == {"a", "d"}


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"version": 99, "entries": {}}', b"[]", b'{"version": 1, "entries": 7}'],
)
def test_corrupt_cache_is_an_empty_cache(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "cache.json"
    path.write_bytes(content)
    cache = AnalysisCache(path)
    assert len(cache) == 0
    cache.put("k", {"v": 1})
    cache.flush()
    assert orjson.loads(path.read_bytes())["entries"] == {"k": {"v": 1}}


def test_cache_is_thread_safe(tmp_path: Path) -> None:
    cache = AnalysisCache(tmp_path / "cache.json", max_entries=500)

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
    assert len(AnalysisCache(tmp_path / "cache.json", max_entries=500)) == 500


# --- run lock --------------------------------------------------------------------------------

HOLDER = """
import sys
from pathlib import Path
from ticket_processor.state import RunLock
with RunLock(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.readline()
print("released", flush=True)
"""


def start_holder(directory: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(directory)],
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
