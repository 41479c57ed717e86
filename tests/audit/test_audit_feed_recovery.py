"""A server's feed outlives a failed audit store: it keeps its rows, opens the store again (at
once, then after doubling waits) and says once that it writes again; the embedded writer
refuses to go on writing a file that was set aside or replaced since it opened it; a run's feed
(no ``reopen``) stops at the first failure, as before."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.e2e import events

from ticket_processor.audit import feed as feed_module
from ticket_processor.audit.feed import AuditFeed, AuditWriter
from ticket_processor.audit.upgrade import open_writer
from ticket_processor.audit.writer import FILE_NAME, AuditStoreError
from ticket_processor.common.eventlog import EventLog
from ticket_processor.run.audit import close_audit, open_audit
from ticket_processor.run.connect import load_settings

ACCOUNT = "zendesk:acme.zendesk.com"
NOW = datetime(2026, 11, 26, 6, 0, 0, tzinfo=UTC)
RUN = "20261126T060000Z-feed01"


def _tickets(state: Path) -> list[int]:
    conn = sqlite3.connect(state / FILE_NAME)
    try:
        return [row[0] for row in conn.execute("SELECT ticket_id FROM decisions ORDER BY 1")]
    finally:
        conn.close()


def _set_aside(state: Path) -> Path:
    """What the cron run's sweep does to a damaged store: the file and its companions moved."""
    aside = state.parent / "aside"
    aside.mkdir()
    for path in state.iterdir():
        shutil.move(path, aside / path.name)
    return aside


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _said() -> list[tuple[str, object]]:
    return []


def _serve_feed(
    state: Path,
    clock: _Clock,
    said: list[tuple[str, object]],
    reopen: bool = True,
    opens: list[float] | None = None,
) -> AuditFeed:
    def opened() -> AuditWriter:
        if opens is not None:
            opens.append(clock.now)
        return open_writer(state, account=ACCOUNT)

    return AuditFeed(
        opened(),
        run_id=RUN,
        helpdesk="zendesk",
        mode="serve",
        clock=lambda: NOW,
        reopen=opened if reopen else None,
        on_error=lambda reason: said.append(("unavailable", reason)),
        on_recover=lambda where, dropped: said.append(("recovered", dropped)),
        monotonic=clock,
    )


def _decide(feed: AuditFeed, ticket: int) -> None:
    feed.planned({"ticket_id": ticket, "category": "billing"})
    feed.flush()


def test_the_writer_refuses_a_file_set_aside_since_it_opened_it(tmp_path: Path) -> None:
    state = tmp_path / "state"
    writer = open_writer(state, account=ACCOUNT)
    aside = _set_aside(state)
    open_writer(state, account=ACCOUNT).close()  # the run's new store
    with pytest.raises(AuditStoreError, match="set aside or replaced since it was opened"):
        writer.upsert_runs([{"run_id": RUN, "started_at": NOW, "mode": "serve"}])
    writer.close()
    assert _tickets(aside) == []


def test_a_servers_feed_writes_the_store_put_in_place_of_the_one_set_aside(
    tmp_path: Path,
) -> None:
    state, clock, said = tmp_path / "state", _Clock(), _said()
    feed = _serve_feed(state, clock, said)
    _decide(feed, 1)
    aside = _set_aside(state)
    open_writer(state, account=ACCOUNT).close()
    _decide(feed, 2)  # fails on the file set aside, and the store is opened again at once
    _decide(feed, 3)
    feed.close()
    assert _tickets(state) == [2, 3]
    assert _tickets(aside) == [1]
    assert [kind for kind, _ in said] == ["unavailable", "recovered"]
    assert said[-1] == ("recovered", 0)


def test_a_store_out_of_reach_is_tried_again_after_doubling_waits(tmp_path: Path) -> None:
    state, clock, said = tmp_path / "state", _Clock(), _said()
    opens: list[float] = []
    feed = _serve_feed(state, clock, said, opens=opens)
    _decide(feed, 1)
    _set_aside(state)
    state.rmdir()
    state.write_text("a file where the state directory was")  # nothing can open the store now
    _decide(feed, 2)  # the write fails, the opening at once too: the next waits 1 s, then 2
    for ticket, step in ((3, 0.5), (4, 0.6), (5, 1.0), (6, 2.1)):
        clock.now += step
        _decide(feed, ticket)
        assert feed.failed is not None
    # the first open, then at once, then 1 s and 2 s after the failures before
    assert opens == pytest.approx([100.0, 100.0, 101.1, 104.2])
    assert [kind for kind, _ in said] == ["unavailable"]  # said once, however often tried
    state.unlink()
    clock.now += 60.0
    _decide(feed, 7)
    feed.close()
    assert _tickets(state) == [2, 3, 4, 5, 6, 7]  # every row it held reached the store
    assert said[-1] == ("recovered", 0)


def test_what_a_failed_store_held_is_bounded_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feed_module, "HELD_ROWS", 3)
    state, clock, said = tmp_path / "state", _Clock(), _said()
    feed = _serve_feed(state, clock, said)
    _set_aside(state)
    state.rmdir()
    state.write_text("in the way")
    for ticket in range(1, 6):
        _decide(feed, ticket)
    state.unlink()
    clock.now += 120.0
    _decide(feed, 6)
    feed.close()
    kept = _tickets(state)
    assert 6 in kept
    assert len(kept) < 6
    assert said[-1] == ("recovered", 6 - len(kept))


def test_a_runs_feed_stops_at_the_first_failure(tmp_path: Path) -> None:
    state, clock, said = tmp_path / "state", _Clock(), _said()
    feed = _serve_feed(state, clock, said, reopen=False)
    _decide(feed, 1)
    _set_aside(state)
    open_writer(state, account=ACCOUNT).close()
    _decide(feed, 2)
    clock.now += 600.0
    _decide(feed, 3)
    feed.close()
    assert _tickets(state) == []
    assert [kind for kind, _ in said] == ["unavailable"]


def test_a_server_whose_store_is_out_of_reach_at_the_start_writes_it_once_it_is_back(
    tmp_path: Path,
) -> None:
    """``open_audit`` for ``serve``: the store cannot be opened (the state directory's place
    holds a file), the server still gets a feed, and the first rows after the store is back
    reach it; both moments are in the log."""
    state = tmp_path / "state"
    state.write_text("in the way")
    settings = load_settings(
        {}, env_file=None, overrides={"state_dir": state, "log_dir": tmp_path / "logs"}
    )
    with EventLog(tmp_path / "logs", run_id=RUN) as log:
        feed = open_audit(settings, log, run_id=RUN, mode="serve")
        assert feed is not None
        assert open_audit(settings, log, run_id=RUN, mode="normal") is None  # a run: as before
        state.unlink()
        _decide(feed, 1)
        close_audit(feed)
    assert _tickets(state) == [1]
    logged = [e["event"] for e in events(tmp_path / "logs")]
    assert logged.count("audit_unavailable") == 2
    assert logged.count("audit_recovered") == 1


def test_the_store_made_anew_gets_the_servers_run_as_it_started(tmp_path: Path) -> None:
    """The dashboard's last runs showed a serve session with no start after a set-aside: the
    new store never saw its ``run_started``."""
    state, clock, said = tmp_path / "state", _Clock(), _said()
    feed = _serve_feed(state, clock, said)
    started = "2026-11-26T06:00:00.000Z"
    feed.event({"event": "run_started", "ts": started, "run_id": RUN, "helpdesk": "zendesk"})
    _decide(feed, 1)
    _set_aside(state)
    open_writer(state, account=ACCOUNT).close()
    _decide(feed, 2)
    feed.close()
    conn = sqlite3.connect(state / FILE_NAME)
    try:
        [(run_id, at, mode)] = conn.execute("SELECT run_id, started_at, mode FROM runs").fetchall()
    finally:
        conn.close()
    assert (run_id, mode) == (RUN, "serve")
    assert str(at).startswith("2026-11-26 06:00:00")
