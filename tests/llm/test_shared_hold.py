"""One installation's 429 with a huge ``Retry-After`` in the shared Redis budget: the hold is
cut to fifteen minutes (and one already stored longer is cut when read); every other
installation on the key sends its tickets to the local engines at once (noted as a fallback,
never deferred), says so once, and its run ends by itself without ``--max-runtime``."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import events

from ticket_processor.errors import LLMRateLimited
from ticket_processor.llm_client.budget import SharedBudget
from ticket_processor.resilience.retry_after import MAX_HOLD_S
from ticket_processor.resilience.shared_window import redis_client
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.server import RunningStandin

pytestmark = pytest.mark.redis

KEY = "ticketbot:llm:held"


def _hold_left(redis_url: str) -> float:
    client = redis_client(redis_url)
    return float(client.pttl(f"{KEY}:hold")) / 1000


def test_a_day_long_hold_is_cut_to_fifteen_minutes(redis_url: str) -> None:
    one = SharedBudget(redis_url, key=KEY, rpm=100)
    one.observe(None, retry_after=86400.0)
    assert 60 < _hold_left(redis_url) <= MAX_HOLD_S + 1


def test_a_hold_already_stored_for_ever_is_cut_when_read(redis_url: str) -> None:
    client = redis_client(redis_url)
    now_ms = int(client.time()[0]) * 1000
    client.set(f"{KEY}:hold", now_ms + 10**15)  # what an older version stored for 1e12 s
    other = SharedBudget(redis_url, key=KEY, rpm=100)
    with pytest.raises(LLMRateLimited) as raised:
        other.acquire(1)
    assert raised.value.retry_after is not None
    assert raised.value.retry_after <= MAX_HOLD_S
    assert _hold_left(redis_url) <= MAX_HOLD_S + 1


def test_a_long_hold_is_not_waited_out_and_is_said_once(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    SharedBudget(redis_url, key=KEY, rpm=100).observe(None, retry_after=600.0)
    other = SharedBudget(redis_url, key=KEY, rpm=100)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            with pytest.raises(LLMRateLimited):
                other.acquire(1)
    assert time.monotonic() - started < 3
    assert len([r for r in caplog.records if "local engines" in r.getMessage()]) == 1


@pytest.mark.desk(configure=True)
def test_every_installation_notes_its_tickets_while_another_ones_429_holds_the_llm(
    desk: Desk,
    redis_url: str,
    tmp_path: Path,
    make_standin: Callable[..., RunningStandin],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    llm = make_standin(script=[{"status": 429, "retry_after": 86400}])
    monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    monkeypatch.setenv("TICKETBOT_LLM_BUDGET", redis_url)
    monkeypatch.setenv("TICKETBOT_LLM_RPM", "600")
    monkeypatch.setenv("TICKETBOT_LLM_BUDGET_KEY", KEY)
    first = desk.create(
        [NewTicket(f"Refund {n}", "Please refund my broken order.") for n in range(3)]
    )
    started = time.monotonic()
    one = invoke("run", "--engine", "llm", "--workers", "1")
    assert one.exit_code == 0, one.output
    assert "deferred=0" in one.output
    # Another installation (its own state) on the same key, with new tickets of its own.
    monkeypatch.setenv("TICKETBOT_STATE_DIR", str(tmp_path / "other-state"))
    monkeypatch.setenv("TICKETBOT_LOG_DIR", str(tmp_path / "other-logs"))
    second = desk.create(
        [NewTicket(f"Login {n}", "I cannot sign in to my account.") for n in range(3)]
    )
    other = invoke("run", "--engine", "llm", "--workers", "2")
    assert other.exit_code == 0, other.output
    assert "deferred=0" in other.output
    assert time.monotonic() - started < 60  # a run ends by itself, no --max-runtime given
    for ticket_id in first + second:
        snapshot = desk.snapshot(ticket_id)
        assert "ai_fallback" in snapshot.tags, (ticket_id, snapshot)
        assert len(snapshot.notes) == 1
    # The LLM was asked once (the 429); every other ticket went to the local engines at once.
    assert len(llm.received) == 1
    said = [e for e in events(tmp_path / "other-logs") if "local engines" in str(e.get("message"))]
    assert len(said) == 1
    assert _hold_left(redis_url) <= MAX_HOLD_S + 1
