"""Zendesk API faults end to end (issue 7): the helpdesk stays right whatever its API does.

``ticketbot run`` goes through Typer's CliRunner against the real sandbox and the stand-in LLM;
the faults come from the sandbox's knobs: a 429 storm, 5xx bursts, cut connections, answers
slower than ``TICKETBOT_HTTP_TIMEOUT``, 409s, a 422 for one ticket, and enough 5xx in a row to
open the Zendesk breaker. After each run every ticket must carry exactly one note, its original
tags, the marker and a priority per policy (``e2e_support.assert_written_within_policy``). The
401 case is in ``test_run.py``.

The first part checks the sandbox's deterministic fault knobs themselves; a client test on a
fake clock shows a 429 storm is waited out, never retried early. The run-level tests shrink the
Zendesk retry backoff (``runner.ZENDESK_RETRY``) so a 5xx costs milliseconds; ``Retry-After``
is honoured as given. Where it is observable from the server's side they also assert that no
request came before the ``Retry-After`` it was given.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest
import requests
from fixtures_sandbox import sandbox_auth

from ticket_processor.resilience import RateLimitThrottle, Retrier, RetryPolicy
from ticket_processor.sandbox import RunningSandbox, SandboxConfig
from ticket_processor.zendesk import ZendeskClient

UPDATE_MANY = "PUT /api/v2/tickets/update_many"
UPDATE_ONE = "PUT /api/v2/tickets/{id}"
JOB_STATUS = "GET /api/v2/job_statuses/{job_id}"
EXPORT = "GET /api/v2/incremental/tickets/cursor"
SUBJECTS = [
    ("App crashes on login", "Since the update the app crashes every time I log in."),
    ("Refund please", "I returned the blender two weeks ago and still have no refund."),
    ("Invoice question", "Why was I charged twice on my March invoice?"),
    ("Where is my parcel", "My order has not arrived, the tracking shows no movement."),
    ("URGENT outage", "Everything is down, we cannot work at all. Please help immediately."),
    ("Password reset", "I cannot reset my password, the reset email never arrives."),
    ("Kudos", "Just wanted to say your support team was wonderful, thank you."),
]


# --- the sandbox's fault knobs ---------------------------------------------------------------


class FakeClock:
    """Time that moves only when someone sleeps; every wait is recorded."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.value = start
        self.waits: list[float] = []

    def now(self) -> float:
        return self.value

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.value += seconds


def get_me(sb: RunningSandbox) -> requests.Response:
    return requests.get(f"{sb.url}/api/v2/users/me.json", auth=sandbox_auth(sb), timeout=5)


def test_fault_script_decides_the_next_requests_in_order(sandbox: RunningSandbox) -> None:
    sandbox.config.slow_ms = 300
    sandbox.config.faults = ["503", f"slow {UPDATE_MANY}", "drop", "500", "slow"]
    assert get_me(sandbox).status_code == 503
    with pytest.raises(requests.ConnectionError):
        get_me(sandbox)  # the slow item waits for an update_many: this request got "drop"
    assert get_me(sandbox).status_code == 500
    started = time.monotonic()
    assert get_me(sandbox).status_code == 200
    assert time.monotonic() - started >= 0.3
    assert get_me(sandbox).status_code == 200
    assert sandbox.config.faults == [f"slow {UPDATE_MANY}"]
    stats = sandbox.stats()
    assert (stats["errors_injected"], stats["dropped"]) == (2, 1)
    assert [status for _, _, status in sandbox.sandbox.history()] == [503, None, 500, 200, 200]


def test_fault_knobs_over_http_are_validated(sandbox: RunningSandbox) -> None:
    url = f"{sandbox.url}/sandbox/config"
    ok = requests.post(url, json={"faults": ["409 PUT /api/v2/tickets/{id}"]}, timeout=5)
    assert ok.status_code == 200
    assert ok.json()["faults"] == ["409 PUT /api/v2/tickets/{id}"]
    for bad in ({"faults": ["418"]}, {"faults": "503"}, {"invalid_ticket_ids": ["7"]}):
        assert requests.post(url, json=bad, timeout=5).status_code == 400, bad
    assert requests.post(url, json={"storm_seconds": 5}, timeout=5).status_code == 200
    answer = get_me(sandbox)
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "5"


def test_storm_answers_429_until_its_end_without_spending_the_budget(
    sandbox_factory: Callable[..., RunningSandbox],
) -> None:
    clock = FakeClock()
    sb = sandbox_factory(SandboxConfig(clock=clock.now))
    sb.config.start_storm(30)
    clock.value += 12.5
    answer = get_me(sb)
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "18"  # rounded up: never earlier than the end
    assert answer.json()["error"] == "APIRateLimitExceeded"
    assert answer.headers["X-Rate-Limit-Remaining"] == str(sb.config.rate_limit)
    clock.value += 18
    assert get_me(sb).status_code == 200
    assert sb.stats()["rate_limited"] == 1


def test_invalid_ticket_ids_get_a_422_alone_and_in_a_job(sandbox: RunningSandbox) -> None:
    ids = [sandbox.store.create({"subject": f"t{i}", "comment": "body"})["id"] for i in range(3)]
    sandbox.config.invalid_ticket_ids = [ids[1]]
    s = requests.Session()
    s.auth = sandbox_auth(sandbox)
    one = s.put(
        f"{sandbox.url}/api/v2/tickets/{ids[1]}.json",
        json={"ticket": {"additional_tags": ["x"]}},
        timeout=5,
    )
    assert one.status_code == 422
    assert one.json()["error"] == "RecordInvalid"
    assert one.json()["details"]["base"][0]["error"] == "BlankValue"
    job = s.put(
        f"{sandbox.url}/api/v2/tickets/update_many.json",
        json={"tickets": [{"id": i, "additional_tags": ["x"]} for i in ids]},
        timeout=5,
    ).json()["job_status"]
    deadline = time.monotonic() + 5
    while job["status"] != "completed" and time.monotonic() < deadline:
        time.sleep(0.01)
        job = s.get(job["url"], timeout=5).json()["job_status"]
    assert [(r["id"], r["success"]) for r in job["results"]] == [
        (ids[0], True),
        (ids[1], False),
        (ids[2], True),
    ]
    assert job["results"][1]["error"] == "RecordInvalid"
    assert "x" not in sandbox.store.get(ids[1])["tags"]
    assert "x" in sandbox.store.get(ids[2])["tags"]


def test_client_waits_out_a_storm_and_never_asks_early(
    sandbox_factory: Callable[..., RunningSandbox],
) -> None:
    clock = FakeClock()
    sb = sandbox_factory(SandboxConfig(clock=clock.now))
    ids = [sb.store.create({"subject": f"t{i}", "comment": "body"})["id"] for i in range(3)]
    client = ZendeskClient(
        sb.url,
        email=sb.config.email,
        api_token=sb.config.token,
        retrier=Retrier(RetryPolicy(), sleep=clock.sleep, rng=random.Random(1)),
        throttle=RateLimitThrottle(clock=clock.now, sleep=clock.sleep),
        sleep=clock.sleep,
    )
    sb.config.start_storm(42)
    with client:
        assert [t.id for t in client.show_many(ids)] == ids
    # One 429, then nothing until the storm was over: the sandbox would have said 429 again.
    assert sb.stats()["rate_limited"] == 1
    assert [status for _, _, status in sb.sandbox.history()] == [429, 200]
    assert sum(clock.waits) >= 42
    assert sum(clock.waits) <= 42 + RetryPolicy().base_delay
