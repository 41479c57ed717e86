"""ticketbot's Freshdesk transport against the Freshdesk sandbox: errors, 429s, paging."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
from support.clock import FakeClock

from ticket_processor.errors import (
    AuthError,
    ConflictError,
    HelpdeskConnectionError,
    HelpdeskServerError,
    NotFoundError,
    RecordInvalidError,
    WriteOutcomeUnknown,
)
from ticket_processor.helpdesks.freshdesk.sandbox.config import FreshdeskConfig
from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk
from ticket_processor.helpdesks.freshdesk.wire import FreshdeskTransport, freshdesk_base_url
from ticket_processor.resilience.pacing import RateLimitThrottle
from ticket_processor.resilience.retry import Retrier, RetryPolicy

Factory = Callable[..., RunningFreshdesk]

START = 1_795_000_040.0


def transport(
    sb: RunningFreshdesk, clock: FakeClock, *, key: str | None = None
) -> FreshdeskTransport:
    return FreshdeskTransport(
        sb.url,
        api_key=key or sb.config.api_key,
        timeout=(2.0, 5.0),
        retrier=Retrier(RetryPolicy(attempts=4), sleep=clock.sleep),
        throttle=RateLimitThrottle(clock=clock, sleep=clock.sleep),
    )


pytestmark = [pytest.mark.clock(now=START), pytest.mark.freshdesk_sandbox(clock="clock")]


def new_ticket(fd: FreshdeskTransport, subject: str = "s") -> int:
    body = {"subject": subject, "description": "d", "email": "a@example.com"}
    ticket_id: int = fd.request("POST", "/api/v2/tickets", json=body, replay_safe=False).body["id"]
    return ticket_id


def test_pages_follow_the_link_header(
    freshdesk_sandbox: RunningFreshdesk, clock: FakeClock
) -> None:
    fd = transport(freshdesk_sandbox, clock)
    ids = [new_ticket(fd, f"t{i}") for i in range(3)]
    params = {"updated_since": "2020-01-01T00:00:00Z", "order_type": "asc", "per_page": 1}
    pages = list(fd.pages("/api/v2/tickets", params))
    assert [[t["id"] for t in page] for page in pages] == [[i] for i in ids]
    answer = fd.request("GET", "/api/v2/tickets", params=params)
    assert answer.sandbox == "freshdesk"
    assert fd.next_page(answer.headers) is not None
    elsewhere = '<https://evil.example/api/v2/tickets?page=2>; rel="next"'
    assert fd.next_page({"Link": elsewhere}) is None


def test_status_codes_become_the_error_tree(
    freshdesk_sandbox: RunningFreshdesk, clock: FakeClock
) -> None:
    fd = transport(freshdesk_sandbox, clock)
    ticket = new_ticket(fd)
    with pytest.raises(NotFoundError):
        fd.request("GET", f"/api/v2/tickets/{ticket + 1}")
    with pytest.raises(RecordInvalidError) as invalid:
        fd.request("PUT", f"/api/v2/tickets/{ticket}", json={"priority": 9, "status": 1})
    assert invalid.value.status_code == 400
    errors = invalid.value.details["errors"]
    assert isinstance(errors, list)
    assert [e["field"] for e in errors] == ["status", "priority"]
    freshdesk_sandbox.config.apply({"faults": ["409"]})
    with pytest.raises(ConflictError):
        fd.request("GET", f"/api/v2/tickets/{ticket}", no_retry=(ConflictError,))
    assert clock.sleeps == []


def test_401_names_the_variable_and_never_the_key(
    freshdesk_sandbox: RunningFreshdesk, clock: FakeClock
) -> None:
    fd = transport(freshdesk_sandbox, clock, key="secret-key-123")
    with pytest.raises(AuthError) as caught:
        fd.request("GET", "/api/v2/tickets")
    assert "FRESHDESK_API_KEY" in str(caught.value)
    assert "secret-key-123" not in str(caught.value) + repr(fd)
    echoed = fd.detail({"message": "bad key secret-key-123"})
    assert echoed == "bad key ***"


def test_429_waits_for_retry_after_then_succeeds(
    freshdesk_sandbox: RunningFreshdesk, clock: FakeClock
) -> None:
    fd = transport(freshdesk_sandbox, clock)
    ticket = new_ticket(fd)
    freshdesk_sandbox.config.start_storm(7)
    answer = fd.request("GET", f"/api/v2/tickets/{ticket}")
    assert answer.body["id"] == ticket
    assert sum(clock.sleeps) >= 7
    assert freshdesk_sandbox.stats()["rate_limited"] == 1


def test_plan_limit_is_paced_from_the_headers(freshdesk_factory: Factory, clock: FakeClock) -> None:
    sb = freshdesk_factory(FreshdeskConfig(plan="trial", clock=clock))
    fd = transport(sb, clock)
    for _ in range(60):
        fd.request("GET", "/api/v2/agents/me")
    # The throttle spread the 50 credits a minute instead of running into 429s.
    assert sb.stats()["rate_limited"] == 0
    assert clock.sleeps  # it did wait: 60 requests cannot fit in one trial minute


def test_5xx_is_retried_and_finally_raised(
    freshdesk_sandbox: RunningFreshdesk, clock: FakeClock
) -> None:
    fd = transport(freshdesk_sandbox, clock)
    freshdesk_sandbox.config.apply({"faults": ["503"]})
    assert fd.request("GET", "/api/v2/groups").body == []
    assert len(clock.sleeps) == 1
    freshdesk_sandbox.config.apply({"error_rate": 1.0})
    with pytest.raises(HelpdeskServerError) as caught:
        fd.request("GET", "/api/v2/groups")
    assert caught.value.status_code in (500, 503)


def test_connection_errors(freshdesk_sandbox: RunningFreshdesk, clock: FakeClock) -> None:
    fd = transport(freshdesk_sandbox, clock)
    ticket = new_ticket(fd)
    freshdesk_sandbox.config.apply({"faults": ["drop POST /api/v2/tickets/{id}/notes"]})
    with pytest.raises(WriteOutcomeUnknown):
        fd.request("POST", f"/api/v2/tickets/{ticket}/notes", json={"body": "n"}, replay_safe=False)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    closed = FreshdeskTransport(
        f"http://127.0.0.1:{port}",
        api_key="k",
        retrier=Retrier(RetryPolicy(attempts=1), sleep=clock.sleep),
    )
    with pytest.raises(HelpdeskConnectionError, match="FRESHDESK_URL"):
        closed.request("GET", "/api/v2/tickets")


def test_base_url_from_the_domain() -> None:
    assert freshdesk_base_url("acme") == "https://acme.freshdesk.com"
    assert freshdesk_base_url("acme.freshdesk.com/") == "https://acme.freshdesk.com"
    assert freshdesk_base_url("http://127.0.0.1:9") == "http://127.0.0.1:9"
    with pytest.raises(ValueError, match="FRESHDESK_API_KEY"):
        FreshdeskTransport("https://acme.freshdesk.com", api_key="")
