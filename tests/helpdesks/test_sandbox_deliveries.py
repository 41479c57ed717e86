"""The sandboxes' webhook retry rules on plain data: Zendesk's (409 three times, a short
Retry-After on 429/503 three times, a timeout five times, nothing else) and Freshdesk's fixed
schedule; and the millisecond stamps the latency figures read."""

from __future__ import annotations

import pytest

from ticket_processor.sandbox.deliveries import (
    DeliveryOutcome,
    ScheduledRetry,
    ZendeskRetry,
    iso_ms,
)

ZENDESK = ZendeskRetry(timeout=12.0, backoff=1.0)


def _after(*outcomes: DeliveryOutcome) -> float | None:
    return ZENDESK.retry_in(list(outcomes))


def test_zendesk_retries_a_conflict_three_times_with_backoff() -> None:
    conflict = DeliveryOutcome(409)
    assert [_after(*[conflict] * n) for n in range(1, 5)] == [1.0, 2.0, 4.0, None]


def test_zendesk_waits_a_short_retry_after_three_times() -> None:
    busy = DeliveryOutcome(503, retry_after=7.0)
    assert [_after(*[busy] * n) for n in range(1, 5)] == [7.0, 7.0, 7.0, None]
    assert _after(DeliveryOutcome(429, retry_after=59.0)) == 59.0


@pytest.mark.parametrize(
    "outcome",
    [
        DeliveryOutcome(429, retry_after=60.0),
        DeliveryOutcome(503),
        DeliveryOutcome(500),
        DeliveryOutcome(401),
        DeliveryOutcome(404),
        DeliveryOutcome(None, "connection"),
    ],
)
def test_zendesk_gives_up_on_everything_else(outcome: DeliveryOutcome) -> None:
    assert _after(outcome) is None


def test_zendesk_retries_a_timeout_five_times() -> None:
    timeout = DeliveryOutcome(None, "timeout")
    waits = [_after(*[timeout] * n) for n in range(1, 7)]
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, None]


def test_kinds_of_failure_are_counted_apart() -> None:
    # Two 409s then a timeout: the timeout is the first of its kind.
    assert (
        _after(DeliveryOutcome(409), DeliveryOutcome(409), DeliveryOutcome(None, "timeout")) == 1.0
    )


def test_freshdesk_tries_again_on_its_schedule_after_any_failure() -> None:
    schedule = ScheduledRetry()
    failed = DeliveryOutcome(400)
    assert [schedule.retry_in([failed] * n) for n in range(1, 5)] == [300.0, 1800.0, 3600.0, None]


def test_stamps_are_iso_to_the_millisecond() -> None:
    assert iso_ms(0.0) == "1970-01-01T00:00:00.000Z"
    assert iso_ms(1.25) == "1970-01-01T00:00:01.250Z"
    assert iso_ms(59.9996) == "1970-01-01T00:01:00.000Z"
