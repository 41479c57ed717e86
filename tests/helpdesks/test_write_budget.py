"""The helpdesk account's write budget in a real Redis: several processes (here: adapters, each
with its own transport, throttle and budget object, as separate processes have) writing to one
sandbox never send more than the limit in any window, as the sandbox's own request log counts
them; without the budget the same writers do. A 429 one writer meets holds every writer, and
``backfill`` with ``TICKETBOT_LLM_BUDGET`` set takes its writes from the account's budget."""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis
from support.cli import command
from support.redis_server import free_port

from ticket_processor.errors import HelpdeskRateLimited
from ticket_processor.helpdesks.descriptor import Wiring
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.helpdesks.write_budget import HelpdeskWriteBudget, write_budget_key
from ticket_processor.resilience.pacing import RateLimitThrottle
from ticket_processor.resilience.retry import Retrier, RetryPolicy
from ticket_processor.resilience.shared_window import OFFLINE_SHARE
from ticket_processor.run.connect import load_settings
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = [pytest.mark.redis, pytest.mark.desk(unlimited=True, configure=True)]

WINDOW = 2.0  # the budget's window, shortened from 60 s so the test takes seconds
LIMIT = 6
WRITERS = 3


def _most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


def _adapter(budget: HelpdeskWriteBudget | None) -> Any:
    settings = load_settings(os.environ, env_file=None)
    wiring = Wiring(
        retrier=Retrier(RetryPolicy(attempts=3, base_delay=0.1)),
        throttle=RateLimitThrottle(),
        timeout=(5.0, 10.0),
        marker="ai_processed",
        write_budget=budget,
    )
    return KINDS[settings.helpdesk].adapter_builder()(settings.desk, wiring)


def _http(helpdesk: Any) -> Any:
    """The adapter's transport, whichever helpdesk it is."""
    return helpdesk.client.http if helpdesk.kind == "zendesk" else helpdesk.http


def _zendesk_write(desk: Desk, ticket_id: int) -> tuple[str, str, dict[str, Any]]:
    return "PUT", f"/api/v2/tickets/{ticket_id}.json", {"ticket": {"tags": ["budget_test"]}}


def _freshdesk_write(desk: Desk, ticket_id: int) -> tuple[str, str, dict[str, Any]]:
    return "PUT", f"/api/v2/tickets/{ticket_id}", {"tags": ["budget_test"]}


def _servicenow_write(desk: Desk, ticket_id: int) -> tuple[str, str, dict[str, Any]]:
    sys_id = desk.held(ticket_id)["record"]["sys_id"]
    return "PATCH", f"/api/now/table/incident/{sys_id}", {"short_description": "budget test"}


# One write request of each helpdesk's ticket: (method, path, body).
WRITES = {"zendesk": _zendesk_write, "freshdesk": _freshdesk_write, "servicenow": _servicenow_write}


def _write(helpdesk: Any, desk: Desk, ticket_id: int, *, retry: bool = True) -> None:
    """One write request (a ticket's update) of the adapter's own kind, through its transport."""
    method, path, body = WRITES[desk.kind](desk, ticket_id)
    _http(helpdesk).request(method, path, json=body, retry=retry)


def _write_times(desk: Desk) -> list[float]:
    """When the sandbox answered each write request, as its request log has them."""
    return [at for at, key, status in desk.history() if not key.startswith("GET") and status]


def _writers(desk: Desk, ids: list[int], redis_url: str | None) -> list[float]:
    key = write_budget_key(desk.kind, desk.url)
    budgets = [
        HelpdeskWriteBudget(redis_url, key=key, limit=LIMIT, window=WINDOW) if redis_url else None
        for _ in range(WRITERS)
    ]
    adapters = [_adapter(b) for b in budgets]
    desk.reset_stats()
    with ThreadPoolExecutor(WRITERS * 3) as pool:
        list(pool.map(lambda n: _write(adapters[n % WRITERS], desk, ids[n]), range(len(ids))))
    for adapter in adapters:
        adapter.close()
    return _write_times(desk)


def test_writers_on_one_budget_never_exceed_the_limit_in_any_window(
    desk: Desk, redis_url: str
) -> None:
    ids = desk.create([NewTicket(f"Refund {n}", "Refund my order please.") for n in range(18)])
    shared = _writers(desk, ids, redis_url)
    assert len(shared) == 18
    # The sandbox's clock and Redis's tick apart by a few ms: a window a little shorter.
    assert _most_in_any_window(shared, WINDOW - 0.05) <= LIMIT
    assert max(shared) - min(shared) >= 2 * WINDOW - 0.2  # 18 writes at 6 a window: 3 windows
    alone = _writers(desk, ids, None)
    assert len(alone) == 18
    assert _most_in_any_window(alone, WINDOW - 0.05) > LIMIT


def test_a_429_one_writer_meets_holds_every_writer(desk: Desk, redis_url: str) -> None:
    ids = desk.create([NewTicket("Refund", "Refund my order please.") for _ in range(2)])
    key = write_budget_key(desk.kind, desk.url)
    first, other = (
        _adapter(HelpdeskWriteBudget(redis_url, key=key, limit=100, window=WINDOW))
        for _ in range(2)
    )
    desk.start_storm(1.0)  # every request answered 429 with Retry-After: 1
    with pytest.raises(HelpdeskRateLimited):
        _write(first, desk, ids[0], retry=False)
    started = time.monotonic()
    _write(other, desk, ids[1])  # never met the 429 itself, yet waits it out
    assert time.monotonic() - started >= 0.5
    assert _http(other).write_budget.stats()["helpdesk_budget_waits"] == 1
    first.close()
    other.close()


def test_the_key_names_the_account_not_its_credentials() -> None:
    key = write_budget_key("zendesk", "https://agent:secret@Acme.zendesk.com/")
    assert key == "ticketbot:helpdesk:zendesk:acme.zendesk.com"
    assert write_budget_key("freshdesk", "http://127.0.0.1:8123") == (
        "ticketbot:helpdesk:freshdesk:127.0.0.1:8123"
    )


backfill = command("backfill")


def test_backfill_takes_its_writes_from_the_shared_budget(
    desk: Desk, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = desk.create([NewTicket(f"Refund {n}", "Refund my order please.") for n in range(6)])
    monkeypatch.setenv("TICKETBOT_LLM_BUDGET", redis_url)
    monkeypatch.setenv("TICKETBOT_LLM_RPM", "100")
    desk.reset_stats()
    result = backfill("--since", "1d", "--no-batch")
    assert result.exit_code == 0, result.output
    client = redis.Redis.from_url(redis_url)
    taken = client.zcard(f"{write_budget_key(desk.kind, desk.url)}:calls")
    assert taken == len(_write_times(desk)) >= 1  # Zendesk: one update_many job
    assert all(len(desk.snapshot(t).notes) == 1 for t in ids)


def test_redis_down_writes_at_a_share_says_so_once_and_never_hangs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    budget = HelpdeskWriteBudget(f"redis://127.0.0.1:{free_port()}/0", key="w:down", window=WINDOW)
    share = int(LIMIT * OFFLINE_SHARE)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        for _ in range(share + 1):
            budget.take_write(LIMIT, None)
    assert WINDOW - 0.2 <= time.monotonic() - started < WINDOW + 5
    assert budget.stats()["helpdesk_budget_offline_writes"] == share + 1
    said = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(said) == 1
    assert "helpdesk write budget" in said[0]
