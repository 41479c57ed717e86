"""What a delivery says and whether to believe it: pure checks on plain data."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import orjson
import pytest

from ticket_processor.helpdesks.deliveries import Refused, body_signature, parse_body
from ticket_processor.helpdesks.freshdesk.deliveries import verify_freshdesk
from ticket_processor.helpdesks.zendesk.deliveries import (
    MAX_SKEW,
    verify_zendesk,
    zendesk_signature,
)
from ticket_processor.serve.limits import Rate, SourceLimits

SECRET = "dGhpcyBpcyBhIHNlY3JldA=="
NOW = 1_795_000_000.0
STAMP = "2026-11-18T11:06:40Z"  # NOW


def zendesk_headers(body: bytes, stamp: str = STAMP, secret: str = SECRET) -> dict[str, str]:
    return {
        "x-zendesk-webhook-signature": zendesk_signature(secret, stamp, body),
        "x-zendesk-webhook-signature-timestamp": stamp,
        "x-zendesk-webhook-id": "01HW",
        "x-zendesk-webhook-invocation-id": "42",
    }


def test_zendesk_signature_is_zendesks_documented_recipe() -> None:
    body = b'{"ticket_id": "7"}'
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), STAMP.encode() + body, hashlib.sha256).digest()
    ).decode()
    assert zendesk_signature(SECRET, STAMP, body) == expected


def test_a_signed_zendesk_delivery_is_believed() -> None:
    body = b'{"ticket_id": "7", "event": "reply"}'
    found = verify_zendesk(zendesk_headers(body), body, secret=SECRET, now=NOW)
    assert (found.source, found.ticket_id, found.event) == ("zendesk", 7, "reply")
    assert found.invocation == "01HW:42"
    assert found.signature == zendesk_headers(body)["x-zendesk-webhook-signature"]


@pytest.mark.parametrize(
    ("change", "status", "reason"),
    [
        ({"x-zendesk-webhook-signature": None}, 401, "unsigned"),
        ({"x-zendesk-webhook-signature-timestamp": None}, 401, "unsigned"),
        ({"x-zendesk-webhook-signature": "AAAA"}, 401, "bad_signature"),
    ],
)
def test_unsigned_or_forged_zendesk_deliveries_are_refused(
    change: dict[str, str | None], status: int, reason: str
) -> None:
    body = b'{"ticket_id": 7}'
    headers = {k: v for k, v in {**zendesk_headers(body), **change}.items() if v is not None}
    with pytest.raises(Refused) as refused:
        verify_zendesk(headers, body, secret=SECRET, now=NOW)
    assert (refused.value.status, refused.value.reason) == (status, reason)
    assert SECRET not in refused.value.detail


def test_a_body_changed_after_signing_or_another_secret_is_refused() -> None:
    body = b'{"ticket_id": 7}'
    with pytest.raises(Refused, match="signature"):
        verify_zendesk(zendesk_headers(body), b'{"ticket_id": 8}', secret=SECRET, now=NOW)
    with pytest.raises(Refused, match="signature"):
        verify_zendesk(zendesk_headers(body, secret="other"), body, secret=SECRET, now=NOW)


@pytest.mark.parametrize("offset", [MAX_SKEW + 1, -(MAX_SKEW + 1), 86400.0])
def test_a_stale_or_future_zendesk_timestamp_is_refused(offset: float) -> None:
    body = b'{"ticket_id": 7}'
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW - offset))
    with pytest.raises(Refused) as refused:
        verify_zendesk(zendesk_headers(body, stamp), body, secret=SECRET, now=NOW)
    assert (refused.value.status, refused.value.reason) == (400, "stale")


def test_within_the_window_is_believed() -> None:
    body = b'{"ticket_id": 7}'
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW - MAX_SKEW + 5))
    assert verify_zendesk(zendesk_headers(body, stamp), body, secret=SECRET, now=NOW).ticket_id == 7


def test_freshdesk_needs_the_shared_secret_and_a_good_signature_when_there_is_one() -> None:
    body = b'{"ticket_id": 12, "event": "created"}'
    plain = {"x-ticketbot-secret": SECRET}
    assert verify_freshdesk(plain, body, secret=SECRET, now=NOW).ticket_id == 12
    signed = {**plain, "x-ticketbot-signature": body_signature(SECRET, body)}
    assert verify_freshdesk(signed, body, secret=SECRET, now=NOW).event == "created"
    for headers in ({}, {"x-ticketbot-secret": "guess"}, {**plain, "x-ticketbot-signature": "x"}):
        with pytest.raises(Refused) as refused:
            verify_freshdesk(headers, body, secret=SECRET, now=NOW)
        assert refused.value.status == 401


@pytest.mark.parametrize(
    ("body", "ticket_id", "event"),
    [
        (b'{"ticket_id": "123"}', 123, "updated"),
        (b'{"ticket_id": 123, "event": "created"}', 123, "created"),
        (b'{"ticket_id": " 9 ", "event": "reply"}', 9, "reply"),
        (b'{"ticket_id": 5, "event": "updated"}', 5, "updated"),
        (b'{"ticket_id": 5, "event": null}', 5, "updated"),
    ],
)
def test_bodies_name_a_ticket_as_a_number_or_a_string(
    body: bytes, ticket_id: int, event: str
) -> None:
    assert parse_body(body) == (ticket_id, event)


@pytest.mark.parametrize(
    ("event", "shown"),
    [("deleted", "'deleted'"), ("solved", "'solved'"), (["x"], "list"), ("x" * 500, "'xxx")],
)
def test_an_event_serve_does_not_take_is_refused_by_name(event: object, shown: str) -> None:
    with pytest.raises(Refused) as refused:
        parse_body(orjson.dumps({"ticket_id": 5, "event": event}))
    assert (refused.value.status, refused.value.reason) == (400, "unknown_event")
    assert f"event {shown}" in refused.value.detail
    assert len(refused.value.detail) < 200  # a hostile event is not echoed whole


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1]",
        b"{}",
        b'{"ticket_id": true}',
        b'{"ticket_id": 0}',
        b'{"ticket_id": -3}',
        b'{"ticket_id": 1.5}',
        b'{"ticket_id": "12a"}',
        b'{"ticket_id": "{{ticket.id}}"}',
        b'{"ticket_id": 99999999999999999999999}',
    ],
)
def test_malformed_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(Refused) as refused:
        parse_body(body)
    assert (refused.value.status, refused.value.reason) == (400, "malformed")


@pytest.mark.parametrize("ticket_id", ["²", "١٢", "12³"])
def test_a_signed_delivery_with_non_ascii_digits_is_a_400_on_each_helpdesk(
    ticket_id: str,
) -> None:
    # "²" passes str.isdigit and int() refuses it (a ValueError: serve's 500); "١٢" int() reads.
    body = ('{"ticket_id": "' + ticket_id + '"}').encode()
    for verify, headers in (
        (verify_zendesk, zendesk_headers(body)),
        (verify_freshdesk, {"x-ticketbot-secret": SECRET}),
    ):
        with pytest.raises(Refused) as refused:
            verify(headers, body, secret=SECRET, now=NOW)
        assert (refused.value.status, refused.value.reason) == (400, "malformed")
        assert "ticket_id" in refused.value.detail


def test_each_source_has_its_own_bucket() -> None:
    now = [0.0]
    limits = SourceLimits({"zendesk": Rate(1.0, 2), "api": Rate(1.0, 1)}, clock=lambda: now[0])
    assert [limits.take("zendesk") for _ in range(3)] == [None, None, 1.0]
    assert limits.take("api") is None  # another source's flood does not touch it
    now[0] = 1.0
    assert limits.take("zendesk") is None
    assert limits.take("unknown") is None
