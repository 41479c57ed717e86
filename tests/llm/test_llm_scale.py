"""The LLM client under load and misbehaviour: a trickling endpoint, many calls in flight,
announced rate limits, a cached prompt prefix. Real HTTP against the stand-in."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from support.clock import FakeClock

from ticket_processor.errors import BreakerOpenError, LLMConnectionError, LLMError
from ticket_processor.llm import LLMAnalyser
from ticket_processor.llm_client.pacer import LLMPacer
from ticket_processor.models import Triage
from ticket_processor.resilience.breaker import CircuitBreaker
from ticket_processor.resilience.retry import Retrier, RetryPolicy
from ticket_processor.run.connect import load_settings
from ticket_processor.run.engines import build_analyser
from ticket_processor.sandbox.llm_standin.server import RunningStandin
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy()
TICKET = prepare_ticket("Charged twice", "My invoice shows two charges for March.")


def analyser(standin: RunningStandin, **kwargs: Any) -> LLMAnalyser:
    return LLMAnalyser(
        models=("stand-in",), taxonomy=TAXONOMY, api_key=None, base_url=standin.url, **kwargs
    )


def tickets(count: int) -> list[Any]:
    return [prepare_ticket(f"Ticket {n}", f"Login fails for user {n}") for n in range(count)]


def settings_for(standin: RunningStandin, **env: str) -> Any:
    environ = {"OPENAI_BASE_URL": standin.url, "TICKETBOT_MODEL": "stand-in", **env}
    return load_settings(environ, env_file=None)


# --- a deadline for the whole call ------------------------------------------------------------


def test_a_trickling_answer_is_cut_at_the_deadline(
    make_standin: Callable[..., RunningStandin],
) -> None:
    # Headers at once, then a byte every 0.3 s: each read returns long before a 1 s read
    # timeout, so only a deadline for the whole call ends it (the body takes minutes).
    standin = make_standin(trickle_seconds=0.3)
    bot = analyser(standin, timeout=1.0)
    started = time.monotonic()
    with pytest.raises(LLMConnectionError, match="no complete answer within 1 s"):
        bot.analyse(TICKET)
    elapsed = time.monotonic() - started
    assert elapsed < 3 * 1.0, elapsed  # about the timeout, far from the minutes the body needs
    bot.close()


def test_trickling_calls_open_the_breaker_and_the_rest_are_refused_at_once(
    make_standin: Callable[..., RunningStandin],
) -> None:
    standin = make_standin(trickle_seconds=0.3)
    breaker = CircuitBreaker("llm", threshold=2)
    bot = analyser(standin, timeout=0.5, retrier=Retrier(RetryPolicy(attempts=1), breaker=breaker))
    for _ in range(2):
        with pytest.raises(LLMConnectionError):
            bot.analyse(TICKET)
    before = standin.stats()["requests"]
    started = time.monotonic()
    with pytest.raises(BreakerOpenError):
        bot.analyse(TICKET)
    assert time.monotonic() - started < 0.5
    assert standin.stats()["requests"] == before  # refused without a request
    bot.close()


def test_the_connect_timeout_is_short_and_separate(standin: RunningStandin) -> None:
    bot = build_analyser(settings_for(standin), workers=4, breaker=None, retry=None)
    timeout = bot._client.timeout  # what every request is sent with
    assert not isinstance(timeout, float | int | None)
    assert (timeout.connect, timeout.read) == (5.0, 30.0)
    bot.close()


# --- concurrency that follows the LLM ---------------------------------------------------------


def test_the_pool_follows_the_workers_past_64(make_standin: Callable[..., RunningStandin]) -> None:
    standin = make_standin(latency_s=1.0)
    workers = 100
    bot = build_analyser(settings_for(standin), workers=workers, breaker=None, retry=None)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(bot.analyse, tickets(workers)))
    elapsed = time.monotonic() - started
    assert all(isinstance(r, Triage) for r in results)
    # A pool of 64 would queue 36 calls behind the first 64: two latencies, and 64 at most.
    assert standin.stats()["max_inflight"] >= 90
    # The in-flight peak above is what a pool of 64 could not reach; the time adds room for a
    # loaded machine starting 100 threads.
    assert elapsed < 1.9 * 1.0 + 4.0, elapsed
    bot.close()


def burst(bot: LLMAnalyser, count: int) -> list[Triage | LLMError]:
    def one(ticket: Any) -> Triage | LLMError:
        try:
            return bot.analyse(ticket)
        except LLMError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, tickets(count)))


def test_announced_limits_are_kept_before_the_first_429(
    make_standin: Callable[..., RunningStandin],
) -> None:
    # 5 calls per 1 s window, announced in x-ratelimit-* headers; a burst of 12 at once.
    knobs = {"rpm_limit": 5, "limit_window_s": 1.0, "announce_limits": True}
    paced = make_standin(**knobs)
    bot = analyser(paced, pacer=LLMPacer(12), pool_size=12)
    results = burst(bot, 12)
    assert all(isinstance(r, Triage) for r in results), results
    assert paced.stats()["rate_limited"] == 0
    assert bot.concurrency()["llm_limit_requests"] == 5
    # The same burst without the pacer runs into the limit: the test can fail.
    unpaced = make_standin(**knobs)
    assert any(isinstance(r, LLMError) for r in burst(analyser(unpaced, pool_size=12), 12))
    assert unpaced.stats()["rate_limited"] > 0


def test_announced_token_limits_are_kept_too(
    make_standin: Callable[..., RunningStandin],
) -> None:
    # Each call is charged ~600 prompt tokens + 600 max_tokens: 3 fit in 4,000 a window.
    standin = make_standin(tpm_limit=4000, limit_window_s=1.0, announce_limits=True)
    bot = analyser(standin, pacer=LLMPacer(8), pool_size=8)
    results = burst(bot, 8)
    assert [r for r in results if not isinstance(r, Triage)] == []
    assert standin.stats()["rate_limited"] == 0


# --- tokens per ticket ------------------------------------------------------------------------


def test_the_fixed_prefix_is_identical_and_comes_back_cached(standin: RunningStandin) -> None:
    bot = analyser(standin)
    first = bot.analyse(prepare_ticket("Refund", "I want my money back for order 4411."))
    second = bot.analyse(prepare_ticket("Login", "I cannot log in since the update."))
    one, two = standin.received
    assert one["messages"][0] == two["messages"][0]  # the system prompt, byte for byte
    assert one["messages"][0]["role"] == "system"
    assert one["response_format"] == two["response_format"]
    assert [m["role"] for m in one["messages"]] == ["system", "user"]  # the ticket comes last
    assert first.usage.cached_tokens == 0
    assert 0 < second.usage.cached_tokens < second.usage.prompt_tokens


# --- the pacer on its own, with a fake clock --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1s", 1.0), ("6m0s", 360.0), ("12ms", 0.012), ("1h2m3.5s", 3723.5), ("2.5", 2.5)],
)
def test_reset_durations_as_providers_write_them(text: str, seconds: float) -> None:
    from ticket_processor.llm_client.pacer import parse_duration

    assert parse_duration(text) == pytest.approx(seconds)
    assert parse_duration("soon") is None


def test_little_law_picks_the_concurrency_and_names_the_bound() -> None:
    from ticket_processor.llm_client.pacer import auto_concurrency

    # 600 calls a minute at 2 s each: 20 in flight keep the rate busy (+20 % and one spare).
    assert auto_concurrency(600, 2.0, maximum=256) == (25, "llm_rate")
    assert auto_concurrency(60_000, 2.0, maximum=256) == (256, "llm_latency")
    assert auto_concurrency(None, 2.0, maximum=64) == (64, "llm_latency")


def test_pacer_waits_for_the_announced_reset_and_not_longer() -> None:
    clock = FakeClock(100.0)
    pacer = LLMPacer(8, clock=clock, sleep=clock.sleep)
    headers = {
        "x-ratelimit-limit-requests": "3",
        "x-ratelimit-remaining-requests": "2",
        "x-ratelimit-reset-requests": "20s",
    }
    pacer.release(pacer.acquire(), headers)  # the probe: 1 of 3 used, full again in 20 s
    pacer.acquire()
    pacer.acquire()  # the other two fit at once
    assert clock.sleeps == []
    pacer.acquire()  # the fourth waits for the reset
    assert sum(clock.sleeps) == pytest.approx(20.0, abs=0.1)
    assert pacer.stats().waits == 1


def test_the_run_bound_names_the_tightest_limit() -> None:
    from ticket_processor.llm_client.pacer import run_bound

    def bound(rate: float | None, writes: float | None) -> tuple[str | None, float | None]:
        return run_bound(
            workers=64, latency_s=1.0, llm_calls_per_minute=rate, helpdesk_writes_per_minute=writes
        )

    assert bound(None, None) == ("llm_latency", 3840.0)  # 64 workers x 60 s / 1 s
    assert bound(500, None) == ("llm_rate", 500.0)
    assert bound(5000, 1000) == ("helpdesk_writes", 1000.0)
    nothing_met = run_bound(
        workers=64, latency_s=None, llm_calls_per_minute=None, helpdesk_writes_per_minute=None
    )
    assert nothing_met == (None, None)  # no LLM call, no write: nothing held the run back


def test_a_pacer_no_call_answered_names_no_llm_bound() -> None:
    clock = FakeClock(100.0)
    pacer = LLMPacer(8, clock=clock, sleep=clock.sleep)
    assert pacer.stats().as_fields()["llm_bound"] is None  # the run's llm figures: none bound it
    permit = pacer.acquire()
    clock.now += 0.5
    pacer.release(permit, {})
    assert pacer.stats().as_fields()["llm_bound"] == "llm_latency"


def test_the_first_call_goes_alone_until_an_answer_tells_the_limits() -> None:
    clock = FakeClock(100.0)
    pacer = LLMPacer(8, clock=clock, sleep=clock.sleep)
    probe = pacer.acquire()
    assert pacer._wait_time(0, clock.now) == float("inf")  # a second caller would wait
    pacer.release(probe, {})  # answered, no limits announced: nothing to pace by
    permits = [pacer.acquire() for _ in range(8)]
    assert len(permits) == 8
    assert clock.sleeps == []
