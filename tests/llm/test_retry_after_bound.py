"""A ``Retry-After`` holds ticketbot for at most fifteen minutes, whatever the server wrote:
a day, ``1e12`` seconds, a date years away, ``inf``, ``nan``, a negative or an unreadable value.
The same bound holds where no Redis is involved: the header as read off the wire, and the
pacer's reset times."""

from __future__ import annotations

import httpx2
import pytest

from ticket_processor.llm_client.pacer import parse_duration
from ticket_processor.llm_client.wire import retry_after_seconds
from ticket_processor.resilience.retry_after import MAX_HOLD_S, bounded_hold


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ({"retry-after": "86400"}, MAX_HOLD_S),
        ({"retry-after": "1e12"}, MAX_HOLD_S),
        ({"retry-after": "inf"}, 0.0),
        ({"retry-after": "nan"}, 0.0),
        ({"retry-after": "-30"}, 0.0),
        ({"retry-after": "Fri, 01 Jan 9999 00:00:00 GMT"}, MAX_HOLD_S),
        ({"retry-after": "soon, please"}, None),
        ({"retry-after-ms": "99999999999"}, MAX_HOLD_S),
        ({"retry-after": "7"}, 7.0),
    ],
)
def test_a_retry_after_holds_at_most_fifteen_minutes(
    header: dict[str, str], seconds: float | None
) -> None:
    assert retry_after_seconds(httpx2.Headers(header)) == seconds


@pytest.mark.parametrize(
    ("text", "seconds"), [("1e12", MAX_HOLD_S), ("24h", MAX_HOLD_S), ("inf", 0.0), ("6m0s", 360.0)]
)
def test_the_pacers_reset_times_are_bound_too(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_bounded_hold() -> None:
    assert bounded_hold(None) is None
    assert bounded_hold(float("nan")) == 0.0
    assert bounded_hold(12.5) == 12.5
    assert MAX_HOLD_S == 15 * 60
