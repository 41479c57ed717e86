"""One LLM budget in a real Redis, shared by several analysers as by several processes: no
window holds more calls than the limit, a 429 holds everyone, Redis down never hangs a run."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from support.redis_server import free_port

from ticket_processor.errors import LLMError, RunOutOfTime
from ticket_processor.llm import LLMAnalyser
from ticket_processor.llm_client.budget import OFFLINE_SHARE, SharedBudget
from ticket_processor.resilience.deadline import RunDeadline
from ticket_processor.sandbox.llm_standin.server import StandinConfig, serve_in_thread
from ticket_processor.triage.prepare import PreparedTicket, prepare_ticket
from ticket_processor.triage.taxonomy import load_taxonomy

pytestmark = pytest.mark.redis

WINDOW = 2.0


def _most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_three_processes_never_take_more_than_the_limit_in_any_window(redis_url: str) -> None:
    budgets = [SharedBudget(redis_url, key="t:1", rpm=12, window=WINDOW) for _ in range(3)]
    granted: list[float] = []
    lock = threading.Lock()

    def take(budget: SharedBudget) -> None:
        budget.acquire(10)
        with lock:
            granted.append(time.monotonic())

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(take, [budgets[i % 3] for i in range(36)]))
    assert len(granted) == 36
    # Redis's clock and ours tick apart by a few ms: a window a little shorter is the check.
    assert _most_in_any_window(granted, WINDOW - 0.05) <= 12
    assert max(granted) - min(granted) >= 2 * WINDOW - 0.2  # 36 calls at 12 a window: 3 windows
    assert _most_in_any_window(granted, 0.95) <= budgets[0].burst


def test_the_tokens_a_minute_bind_too(redis_url: str) -> None:
    budget = SharedBudget(redis_url, key="t:2", rpm=100, tpm=1000, window=WINDOW)
    started = time.monotonic()
    for _ in range(3):
        budget.acquire(600)  # the second waits for the first to leave the window
    assert time.monotonic() - started >= WINDOW * 2 - 0.2


def test_a_429_holds_every_process(redis_url: str) -> None:
    one = SharedBudget(redis_url, key="t:3", rpm=100, window=WINDOW)
    other = SharedBudget(redis_url, key="t:3", rpm=100, window=WINDOW)
    one.observe(None, retry_after=1.0)
    started = time.monotonic()
    other.acquire(1)
    assert time.monotonic() - started >= 0.9
    assert other.stats()["llm_budget_waits"] == 1


def test_only_the_runs_bound_ends_a_wait(redis_url: str) -> None:
    budget = SharedBudget(
        redis_url, key="t:4", rpm=1, window=60, deadline=RunDeadline(0.3, grace=0.2)
    )
    budget.acquire(1)
    started = time.monotonic()
    with pytest.raises(RunOutOfTime):
        budget.acquire(1)
    assert time.monotonic() - started < 5


def test_redis_down_paces_alone_at_a_share_says_so_once_and_never_hangs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    budget = SharedBudget(f"redis://127.0.0.1:{free_port()}/0", key="t:5", rpm=8, window=WINDOW)
    share = int(8 * OFFLINE_SHARE)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        for _ in range(share + 1):
            budget.acquire(1)
    elapsed = time.monotonic() - started
    assert WINDOW - 0.2 <= elapsed < WINDOW + 5  # the share's window, plus one refused connect
    assert budget.stats()["llm_budget_offline_calls"] == share + 1
    assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 1


def test_two_analysers_on_one_budget_meet_no_429_where_alone_they_would(redis_url: str) -> None:
    taxonomy = load_taxonomy(None)
    ticket = prepare_ticket("Refund", "Please refund my order, it arrived broken.")

    def throttled(budget_key: str | None) -> int:
        with serve_in_thread(StandinConfig(seed=1, rpm_limit=10, limit_window_s=WINDOW)) as llm:
            analysers = [
                LLMAnalyser(
                    models=["stand-in"],
                    taxonomy=taxonomy,
                    api_key="sk-test-not-a-real-key",
                    base_url=llm.url,
                    budget=(
                        SharedBudget(redis_url, key=budget_key, rpm=10, window=WINDOW)
                        if budget_key
                        else None
                    ),
                )
                for _ in range(2)
            ]
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda i: _try(analysers[i % 2], ticket), range(24)))
            return sum(int(str(a.concurrency()["llm_throttled"])) for a in analysers)

    assert throttled("t:6") == 0
    assert throttled(None) > 0


def _try(analyser: LLMAnalyser, ticket: PreparedTicket) -> None:
    with contextlib.suppress(LLMError):  # a 429 past the retries: counted by the analyser
        analyser.analyse(ticket)
