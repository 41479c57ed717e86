"""Discovery against the sandbox: the export stops at the run's own write-backs and stays
inside Zendesk's 10 incremental exports a minute, on a fake clock (no real waiting)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ticket_processor.discover import Discovery

from ticket_processor.ledger import RunLedger as StateStore
from ticket_processor.resilience import RequestWindow
from ticket_processor.sandbox import RunningSandbox, SandboxConfig
from ticket_processor.zendesk import ZendeskClient


class Clock:
    def __init__(self) -> None:
        self.now = float(int(time.time()))  # the sandbox refuses a start_time in the future
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


class Events:
    def __init__(self) -> None:
        self.names: list[str] = []

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        self.names.append(event)
        return fields


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., RunningSandbox], clock: Clock) -> RunningSandbox:
    return sandbox_factory(SandboxConfig(clock=clock))


def export_requests(sb: RunningSandbox) -> int:
    return sum(n for key, n in sb.stats()["requests"].items() if "incremental" in key)


def discovery(
    sb: RunningSandbox, clock: Clock, tmp_path: Path, events: Events, **kwargs: Any
) -> Discovery:
    client = ZendeskClient(sb.url, email=sb.config.email, api_token=sb.config.token)
    return Discovery(
        client,
        state=StateStore(tmp_path / "state"),
        prefix="ai_",
        since=datetime.fromtimestamp(clock.now - 3600, UTC),
        query=None,
        log=events,
        clock=clock,
        sleep=clock.sleep,
        page_size=10,
        **kwargs,
    )


def test_stops_after_the_first_page_holding_the_runs_own_write_backs(
    sandbox: RunningSandbox, clock: Clock, tmp_path: Path
) -> None:
    created = [
        sandbox.store.create({"subject": f"t{i}", "comment": {"body": "x"}}) for i in range(25)
    ]
    # The sandbox stamps updated_at to the second on the wall clock: the run "began" one second
    # after the last creation, and each write-back below is stamped at or after that.
    last = max(datetime.fromisoformat(t["updated_at"]) for t in created)
    run_started = last + timedelta(seconds=1)
    for ticket in created[:15]:
        stamp = last
        while stamp < run_started:  # each write stamps at least a second later
            updated, _ = sandbox.store.update(ticket["id"], {"tags": ["ai_processed"]})
            stamp = datetime.fromisoformat(updated["updated_at"])
    events = Events()
    pages = list(discovery(sandbox, clock, tmp_path, events, run_started=run_started).pages())
    # Page 1: the 10 untouched tickets; page 2: write-backs -> stop; page 3 is never asked for.
    assert [len(p.tickets) for p in pages] == [10, 10]
    assert export_requests(sandbox) == 2
    assert events.names == ["discover_caught_up"]
    assert pages[-1].after_cursor is not None  # the next run resumes after what was read


def test_without_a_run_start_it_reads_to_the_end(
    sandbox: RunningSandbox, clock: Clock, tmp_path: Path
) -> None:
    for i in range(25):
        sandbox.store.create({"subject": f"t{i}", "comment": {"body": "x"}})
    pages = list(discovery(sandbox, clock, tmp_path, Events()).pages())
    assert [len(p.tickets) for p in pages] == [10, 10, 5]


def test_an_eleventh_export_in_a_minute_waits_for_the_next_run_not_for_a_429(
    sandbox: RunningSandbox, clock: Clock, tmp_path: Path
) -> None:
    for i in range(130):
        sandbox.store.create({"subject": f"t{i}", "comment": {"body": "x"}})
    events = Events()
    pages = list(discovery(sandbox, clock, tmp_path, events).pages())
    assert len(pages) == 10  # 13 pages exist; the 11th would be past 10 a minute
    assert events.names == ["discover_paused"]
    assert sandbox.stats()["rate_limited"] == 0
    assert clock.waits == []


def test_a_short_wait_for_the_export_is_taken(
    sandbox: RunningSandbox, clock: Clock, tmp_path: Path
) -> None:
    for i in range(130):
        sandbox.store.create({"subject": f"t{i}", "comment": {"body": "x"}})
    events = Events()
    pages = []
    for page in discovery(sandbox, clock, tmp_path, events).pages():
        pages.append(page)
        clock.now += 5.9  # the pipeline works through a page: ten pages take 59 s
    assert len(pages) == 13
    assert events.names == []
    assert clock.waits == [pytest.approx(1.0)]  # the 11th waited for the 1st to age out
    assert sandbox.stats()["rate_limited"] == 0


def test_request_window_counts_a_sliding_minute() -> None:
    now = [0.0]
    window = RequestWindow(3, window=60.0, clock=lambda: now[0])
    for t in (0.0, 10.0, 20.0):
        now[0] = t
        assert window.wait_time() == 0.0
        window.record()
    now[0] = 30.0
    assert window.wait_time() == pytest.approx(30.0)  # the request at 0 ages out at 60
    now[0] = 60.0
    assert window.wait_time() == 0.0
