"""The JSON-lines event log: line format, secrets, daily files, pruning, reading, threads."""

from __future__ import annotations

import os
import threading
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson
import pytest
from support.clock import FakeClock

from ticket_processor.common.eventlog import EventLog, new_run_id, prune_logs, read_events
from ticket_processor.common.timespec import format_ts, parse_ts

TOKEN = "zdtoken-SECRET-1234567890"
KEY = "sk-test-abcdefghijklmnop"


pytestmark = pytest.mark.clock(
    now=datetime(2026, 11, 22, 23, 59, 58, 123456, tzinfo=UTC).timestamp()
)


def lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_one_valid_json_line_per_event(tmp_path: Path, clock: FakeClock) -> None:
    with EventLog(tmp_path, run_id="r1", clock=clock.utc) as log:
        first = log.emit("run_started", engine="llm", workers=8, models=["a", "b"])
        log.emit(
            "ticket_triaged", ticket_id=7, confidence=0.5, tags_added=("x", "y"), priority=None
        )
        assert log.path == tmp_path / "ticketbot-2026-11-22.jsonl"
    raw = log.path.read_bytes()
    assert raw.count(b"\n") == 2
    records = lines(log.path)
    assert records[0] == first
    assert records[0] == {
        "ts": "2026-11-22T23:59:58.123Z",
        "event": "run_started",
        "run_id": "r1",
        "engine": "llm",
        "workers": 8,
        "models": ["a", "b"],
    }
    assert records[1]["tags_added"] == ["x", "y"]
    assert records[1]["priority"] is None
    assert list(records[1])[:3] == ["ts", "event", "run_id"]


def test_fields_cannot_overwrite_the_envelope(tmp_path: Path, clock: FakeClock) -> None:
    with EventLog(tmp_path, run_id="r1", clock=clock.utc) as log:
        record = log.emit("x", ts="forged", run_id="other", n=1)
    assert record["run_id"] == "r1"
    assert record["ts"] == "2026-11-22T23:59:58.123Z"


def test_an_event_of_another_run_says_so_by_name(tmp_path: Path, clock: FakeClock) -> None:
    """A killed run's write, logged by the next run in the killed run's name."""
    with EventLog(tmp_path, run_id="r2", clock=clock.utc) as log:
        record = log.emit("ticket_triaged", of_run="r1", recovered_by="r2", ticket_id=7)
    assert (record["run_id"], record["recovered_by"]) == ("r1", "r2")
    assert "of_run" not in record


def test_secrets_are_scrubbed_everywhere(tmp_path: Path, clock: FakeClock) -> None:
    class Level(StrEnum):
        HIGH = "high"

    with EventLog(tmp_path, run_id="r1", secrets=(TOKEN, KEY, ""), clock=clock.utc) as log:
        record = log.emit(
            "ticket_failed",
            error=f"401 for https://x/api?token={TOKEN}",
            nested={"deep": [f"a {KEY} b", {"k": TOKEN}], "key-t": 1},
            exc=RuntimeError(f"boom {TOKEN}"),
            path=tmp_path / TOKEN,
            level=Level.HIGH,
            when=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        )
    raw = log.path.read_text()
    assert TOKEN not in raw
    assert KEY not in raw
    assert record["error"] == "401 for https://x/api?token=***"
    assert record["nested"] == {"deep": ["a *** b", {"k": "***"}], "key-t": 1}
    assert record["exc"] == "boom ***"
    assert record["level"] == "high"
    assert record["when"] == "2026-01-02T03:04:05.000Z"
    assert lines(log.path) == [record]


def test_one_file_a_day_by_the_injected_clock(tmp_path: Path, clock: FakeClock) -> None:
    with EventLog(tmp_path, run_id="r1", clock=clock.utc) as log:
        log.emit("before_midnight")
        clock.advance(seconds=3)
        log.emit("after_midnight")
        assert log.path == tmp_path / "ticketbot-2026-11-23.jsonl"
    assert [r["event"] for r in lines(tmp_path / "ticketbot-2026-11-22.jsonl")] == [
        "before_midnight"
    ]
    assert [r["event"] for r in lines(tmp_path / "ticketbot-2026-11-23.jsonl")] == [
        "after_midnight"
    ]


def test_a_local_time_clock_still_files_by_utc_date(tmp_path: Path) -> None:
    from datetime import timezone

    plus_two = timezone(timedelta(hours=2))
    moment = datetime(2026, 11, 23, 1, 0, tzinfo=plus_two)  # 2026-11-22 23:00 UTC
    with EventLog(tmp_path, run_id="r", clock=lambda: moment) as log:
        record = log.emit("x")
    assert log.path.name == "ticketbot-2026-11-22.jsonl"
    assert record["ts"] == "2026-11-22T23:00:00.000Z"


def test_appends_across_runs(tmp_path: Path, clock: FakeClock) -> None:
    for run in ("a", "b"):
        with EventLog(tmp_path, run_id=run, clock=clock.utc) as log:
            log.emit("run_started")
    assert [r["run_id"] for r in lines(log.path)] == ["a", "b"]


def test_a_line_a_kill_cut_short_does_not_take_the_next_runs_first_line_with_it(
    tmp_path: Path, clock: FakeClock
) -> None:
    with EventLog(tmp_path, run_id="killed", clock=clock.utc) as log:
        log.emit("run_started")
    whole = log.path.read_bytes()
    line = orjson.dumps({"ts": "2026-11-22T23:59:58.123Z", "event": "ticket_triaged"})
    log.path.write_bytes(whole + line[:25])  # the write a kill -9 stopped half-way
    with EventLog(tmp_path, run_id="next", clock=clock.utc) as log:
        log.emit("run_started")
    stream = read_events(tmp_path)
    assert [(r["run_id"], r["event"]) for r in stream] == [
        ("killed", "run_started"),
        ("next", "run_started"),
    ]
    assert stream.corrupt_lines == 1  # the cut line alone
    with EventLog(tmp_path, run_id="third", clock=clock.utc) as log:
        log.emit("run_started")  # a whole last line: nothing added before this one
    assert log.path.read_bytes().count(b"\n\n") == 0


def test_many_threads_never_interleave_lines(tmp_path: Path) -> None:
    log = EventLog(tmp_path, run_id="r", secrets=(TOKEN,))
    payload = "x" * 5000  # long lines make a torn write visible

    def worker(n: int) -> None:
        for i in range(200):
            log.emit("ticket_triaged", ticket_id=n * 1000 + i, note=payload, secret=TOKEN)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()
    records = lines(log.path)
    assert len(records) == 1600
    assert {r["ticket_id"] for r in records} == {n * 1000 + i for n in range(8) for i in range(200)}
    assert all(r["note"] == payload and r["secret"] == "***" for r in records)
    stamps = [r["ts"] for r in records]
    assert stamps == sorted(stamps)  # in time order within a file


def test_prune_keeps_keep_days_including_today(tmp_path: Path) -> None:
    today = date(2026, 11, 22)
    for back in range(6):
        (tmp_path / f"ticketbot-{today - timedelta(days=back)}.jsonl").write_text("")
    other = tmp_path / "notes.jsonl"
    other.write_text("")
    odd = tmp_path / "ticketbot-2026-13-45.jsonl"
    odd.write_text("")
    removed = prune_logs(tmp_path, keep_days=3, today=today)
    assert sorted(p.name for p in removed) == [
        "ticketbot-2026-11-17.jsonl",
        "ticketbot-2026-11-18.jsonl",
        "ticketbot-2026-11-19.jsonl",
    ]
    assert sorted(p.name for p in tmp_path.glob("ticketbot-2026-11-*.jsonl")) == [
        "ticketbot-2026-11-20.jsonl",
        "ticketbot-2026-11-21.jsonl",
        "ticketbot-2026-11-22.jsonl",
    ]
    assert other.exists()
    assert odd.exists()
    assert prune_logs(tmp_path / "missing", keep_days=3, today=today) == []


def write_days(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp())
    with EventLog(tmp_path, run_id="r", clock=clock.utc) as log:
        for n in range(6):
            log.emit("tick", n=n)
            clock.advance(hours=12)


def test_read_events_across_files_in_order_skipping_corrupt_lines(tmp_path: Path) -> None:
    write_days(tmp_path)  # n=0,1 on the 20th/21st..., two a day from 12:00
    middle = tmp_path / "ticketbot-2026-11-21.jsonl"
    with middle.open("ab") as handle:
        handle.write(b'{"ts": "2026-11-21T23:00:00.000Z", "event": "cut sho')  # a kill -9
        handle.write(b"\n[1, 2]\n\n")
        handle.write(b'{"ts": "yesterday", "event": "bad ts"}\n')
    stream = read_events(tmp_path)
    assert [e["n"] for e in stream] == [0, 1, 2, 3, 4, 5]
    assert stream.corrupt_lines == 3


def test_read_events_skips_a_fifo_or_a_link_named_like_a_log_file(tmp_path: Path) -> None:
    write_days(tmp_path)
    os.mkfifo(tmp_path / "ticketbot-2026-11-19.jsonl")  # a plain open would wait for a writer
    secret = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    secret.write_bytes(b'{"ts": "2026-11-18T12:00:00.000Z", "event": "not ours"}\n')
    (tmp_path / "ticketbot-2026-11-18.jsonl").symlink_to(secret)

    stream = read_events(tmp_path)

    assert [e["n"] for e in stream] == [0, 1, 2, 3, 4, 5]
    assert stream.skipped_files == ["ticketbot-2026-11-18.jsonl", "ticketbot-2026-11-19.jsonl"]


def test_a_link_in_place_of_todays_file_is_set_aside_not_appended_to(
    tmp_path: Path, clock: FakeClock
) -> None:
    target = tmp_path / "elsewhere"
    target.write_bytes(b"keep\n")
    logs = tmp_path / "logs"
    logs.mkdir()
    with EventLog(logs, run_id="r", clock=clock.utc) as log:
        log.path.symlink_to(target)
        log.emit("one")
    assert target.read_bytes() == b"keep\n"
    [aside] = list(logs.glob("*.bad-*"))
    assert aside.is_symlink()
    written = lines(log.path)
    assert [x["event"] for x in written] == ["one", "log_file_set_aside"]


def test_read_events_between_since_and_until(tmp_path: Path) -> None:
    write_days(tmp_path)
    since = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)
    until = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
    assert [e["n"] for e in read_events(tmp_path, since=since, until=until)] == [1, 2]
    naive = datetime(2026, 11, 22, 0, 0)  # naive means UTC
    assert [e["n"] for e in read_events(tmp_path, since=naive)] == [3, 4, 5]
    assert list(read_events(tmp_path / "nowhere")) == []


def test_timestamps_and_run_ids() -> None:
    moment = datetime(2026, 11, 22, 5, 34, 41, 123999, tzinfo=UTC)
    assert format_ts(moment) == "2026-11-22T05:34:41.123Z"
    assert parse_ts("2026-11-22T05:34:41.123Z") == moment.replace(microsecond=123000)
    ids = {new_run_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == len("20261122T053441Z-3f9a1c") for i in ids)
