"""A deadline for the whole helpdesk request: a trickling Zendesk sandbox."""

from __future__ import annotations

import time

import pytest

from ticket_processor.errors import HelpdeskConnectionError, WriteOutcomeUnknown
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.helpdesks.zendesk.wire import ZendeskTransport
from ticket_processor.resilience.retry import Retrier, RetryPolicy


def transport(sandbox: RunningSandbox, timeout: tuple[float, float]) -> ZendeskTransport:
    return ZendeskTransport(
        sandbox.url,
        email=sandbox.config.email,
        api_token=sandbox.config.token,
        timeout=timeout,
        retrier=Retrier(RetryPolicy(attempts=1)),
    )


def test_a_trickling_answer_ends_at_the_deadline(sandbox: RunningSandbox) -> None:
    calm = transport(sandbox, (0.5, 0.5))
    assert "user" in calm.request("GET", "/api/v2/users/me.json")  # the same path, answered
    # One byte every 0.3 s: no single read waits 0.5 s, the whole body would take minutes.
    sandbox.config.trickle_seconds = 0.3
    started = time.monotonic()
    with pytest.raises(HelpdeskConnectionError, match=r"no complete answer .* within 1 s"):
        calm.request("GET", "/api/v2/users/me.json")
    assert time.monotonic() - started < 3 * 1.0  # connect + read = 1 s, far from minutes
    # A write whose answer never completes may have been applied: never replayed blindly.
    with pytest.raises(WriteOutcomeUnknown):
        calm.request(
            "PUT",
            "/api/v2/tickets/1/tags.json",
            json={"tags": ["x"]},
            replay_safe=False,
        )
    calm.close()
