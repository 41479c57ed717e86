"""Zendesk's rate limits in the sandbox, on an injected clock (no sleeping)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from support.clock import FakeClock
from support.zendesk_sandbox import sandbox_auth

from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox

Factory = Callable[..., RunningSandbox]

START = 1_200_020.0  # 20 s into a minute


def session(sb: RunningSandbox) -> requests.Session:
    s = requests.Session()
    s.auth = sandbox_auth(sb)
    return s


def test_plan_limit_then_429_with_retry_after_until_the_minute_turns(
    sandbox_factory: Factory,
) -> None:
    clock = FakeClock(START)
    sb = sandbox_factory(SandboxConfig(plan="team", clock=clock))
    s = session(sb)
    url = f"{sb.url}/api/v2/users/me"
    remaining = [int(s.get(url, timeout=5).headers["X-Rate-Limit-Remaining"]) for _ in range(200)]
    assert remaining == list(range(199, -1, -1))
    r = s.get(url, timeout=5)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "40"
    assert r.headers["X-Rate-Limit"] == "200"
    assert r.json() == {
        "error": "APIRateLimitExceeded",
        "description": "Number of allowed API requests per minute exceeded",
    }
    clock.now += 39
    assert s.get(url, timeout=5).headers["Retry-After"] == "1"
    clock.now += 1
    assert s.get(url, timeout=5).status_code == 200
    assert sb.stats()["rate_limited"] == 2


@pytest.mark.parametrize(
    ("plan", "limit"),
    [("team", 200), ("professional", 400), ("enterprise", 700), ("high_volume", 2500)],
)
def test_plan_sets_the_advertised_limit(sandbox_factory: Factory, plan: str, limit: int) -> None:
    sb = sandbox_factory(SandboxConfig(plan=plan))
    r = session(sb).get(f"{sb.url}/api/v2/users/me", timeout=5)
    assert r.headers["X-Rate-Limit"] == str(limit)


def test_update_ticket_limit_is_separate_and_shared_by_update_endpoints(
    sandbox_factory: Factory,
) -> None:
    clock = FakeClock(START)
    sb = sandbox_factory(SandboxConfig(update_limit_per_min=4, clock=clock))
    tid = sb.store.create({"subject": "x", "comment": "y"})["id"]
    s = session(sb)
    ticket_url = f"{sb.url}/api/v2/tickets/{tid}"
    answers = [
        s.put(ticket_url, json={"ticket": {"priority": "low"}}, timeout=5).status_code,
        s.put(f"{ticket_url}/tags", json={"tags": ["a"]}, timeout=5).status_code,
        s.post(f"{ticket_url}/tags", json={"tags": ["b"]}, timeout=5).status_code,
        s.put(
            f"{sb.url}/api/v2/tickets/update_many",
            params={"ids": str(tid)},
            json={"ticket": {"status": "open"}},
            timeout=5,
        ).status_code,
    ]
    assert answers == [200, 200, 201, 200]
    r = s.delete(f"{ticket_url}/tags", params={"tags": "b"}, timeout=5)
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) == 40
    # reads still go through: only the Update Ticket budget is spent
    assert s.get(ticket_url, timeout=5).status_code == 200
    clock.now += 60
    assert s.put(ticket_url, json={"ticket": {"priority": "high"}}, timeout=5).status_code == 200


def test_incremental_export_limit(sandbox_factory: Factory) -> None:
    clock = FakeClock(START)
    sb = sandbox_factory(SandboxConfig(incremental_limit_per_min=10, clock=clock))
    s = session(sb)
    url = f"{sb.url}/api/v2/incremental/tickets/cursor.json"
    codes = [s.get(url, params={"start_time": 0}, timeout=5).status_code for _ in range(11)]
    assert codes == [200] * 10 + [429]
    assert s.get(f"{sb.url}/api/v2/search", params={"query": "x"}, timeout=5).status_code == 200
    clock.now += 60
    assert s.get(url, params={"start_time": 0}, timeout=5).status_code == 200


def test_too_many_queued_jobs_is_429(sandbox_factory: Factory) -> None:
    sb = sandbox_factory(SandboxConfig(max_queued_jobs=2, job_delay_ms=60_000))
    s = session(sb)
    body = {"tickets": [{"subject": "x", "comment": {"body": "y"}}]}
    url = f"{sb.url}/api/v2/tickets/create_many.json"
    codes = [s.post(url, json=body, timeout=5).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    r = s.post(url, json=body, timeout=5)
    assert r.json()["error"] == "TooManyJobs"
    assert "Retry-After" in r.headers
    assert sb.stats()["jobs_pending"] == 2


def test_refused_requests_do_not_spend_the_budget(sandbox_factory: Factory) -> None:
    clock = FakeClock(START)
    sb = sandbox_factory(SandboxConfig(incremental_limit_per_min=1, clock=clock))
    s = session(sb)
    url = f"{sb.url}/api/v2/incremental/tickets/cursor"
    assert s.get(url, params={"start_time": 0}, timeout=5).status_code == 200
    for _ in range(3):
        assert s.get(url, params={"start_time": 0}, timeout=5).status_code == 429
    r = s.get(f"{sb.url}/api/v2/users/me", timeout=5)
    assert r.headers["X-Rate-Limit-Remaining"] == "698"  # 429s were not counted
