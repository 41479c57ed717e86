"""Fifty deliveries a helpdesk never sent, on each helpdesk: forged, stale, signed with the wrong
secret, oversized, malformed or missing their headers. Every one is refused (401, 400 or 413,
never stored), no ticket is triaged, the server still answers ``/healthz``; then the genuine
delivery, sent twice as a helpdesk's retry would, triages its ticket once.

Extends ``test_webhooks_e2e.py``'s six cases to fifty, on Freshdesk and ServiceNow too;
``slow`` (about 4 s a helpdesk).
"""

from __future__ import annotations

import base64
import secrets
import time
from pathlib import Path

import pytest
from support.serving import (
    SECRET,
    delivery_for,
    freshdesk_delivery,
    serve_env,
    servicenow_delivery,
    serving,
    zendesk_delivery,
    zendesk_stamp,
)

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = [pytest.mark.desk(seed=None, unlimited=True), pytest.mark.slow]

Delivery = tuple[bytes, dict[str, str]]
MALFORMED = [
    b"",
    b"not json",
    b"[]",
    b'"123"',
    b"{}",
    b'{"ticket": 1}',
    b'{"ticket_id": "abc"}',
    b'{"ticket_id": null}',
    b'{"ticket_id": 1.5}',
    b'{"ticket_id": {"id": 1}}',
    b'{"ticket_id": true}',
    b"\xff\xfe{",
]


def _zendesk_forgeries(ticket: int) -> list[Delivery]:
    now = time.time()
    body, headers = zendesk_delivery(ticket)
    signature = headers["X-Zendesk-Webhook-Signature"]
    out: list[Delivery] = []
    for _ in range(10):  # made-up signatures
        fake = base64.b64encode(secrets.token_bytes(32)).decode()
        out.append((body, {**headers, "X-Zendesk-Webhook-Signature": fake}))
    for n, moment in enumerate((now - 330, now - 3600, now + 330, now + 86400, 0, 946684800)):
        out.append(zendesk_delivery(ticket, stamp=zendesk_stamp(moment), invocation=f"old{n}"))
    for stamp in ("yesterday", "2026-13-45T99:99:99Z"):
        out.append(zendesk_delivery(ticket, stamp=stamp, invocation=stamp))
    for n, wrong in enumerate(("x", SECRET + "x", SECRET[:-1], SECRET.upper(), "", "s" * 64)):
        out.append(zendesk_delivery(ticket, secret=wrong, invocation=f"w{n}"))
    for size in (64 * 1024 + 1, 100_000, 1_000_000):
        big = b'{"ticket_id": "%d", "pad": "' % ticket + b"a" * size + b'"}'
        out.append(zendesk_delivery(ticket, body=big, invocation=f"big{size}"))
    for n, raw in enumerate(MALFORMED):
        out.append(zendesk_delivery(ticket, body=raw, invocation=f"m{n}"))
    other, _ = zendesk_delivery(ticket + 1)
    out.append((other, headers))  # another body under this body's signature
    for name in ("X-Zendesk-Webhook-Signature", "X-Zendesk-Webhook-Signature-Timestamp"):
        out.append((body, {k: v for k, v in headers.items() if k != name}))
    for bad in ("!!!not base64!!!", "", "A" * 10_000, "sha256=" + signature):
        out.append((body, {**headers, "X-Zendesk-Webhook-Signature": bad}))
    stamp = headers["X-Zendesk-Webhook-Signature-Timestamp"]
    for n, shifted in enumerate((zendesk_stamp(now - 60), zendesk_stamp(now + 60))):
        # signed for another moment, sent with a fresh one: the timestamp is signed too
        _, moved = zendesk_delivery(ticket, stamp=shifted, invocation=f"moved{n}")
        out.append((body, {**moved, "X-Zendesk-Webhook-Signature-Timestamp": stamp}))
    hexed = base64.b64decode(signature).hex()  # the right MAC, in the wrong encoding
    out.append((body, {**headers, "X-Zendesk-Webhook-Signature": hexed}))
    out.append((body, {"Content-Type": "application/json"}))
    return out


def _freshdesk_forgeries(ticket: int) -> list[Delivery]:
    body, headers = freshdesk_delivery(ticket)
    out: list[Delivery] = []
    for n in range(10):  # guessed secrets
        out.append(freshdesk_delivery(ticket, secret=secrets.token_hex(16 + n), sign=n % 2 == 0))
    for wrong in ("", "x", SECRET + "x", SECRET[:-1], SECRET.upper(), SECRET + SECRET):
        out.append((body, {**headers, "X-Ticketbot-Secret": wrong}))
    for bad in ("sha256=00", "sha256=", "md5=abc", "sha256=" + "0" * 64, "nonsense"):
        out.append((body, {**headers, "X-Ticketbot-Signature": bad}))
    other, other_headers = freshdesk_delivery(ticket + 1)
    out.append((other, headers))  # another body under this body's signature
    out.append((body, {**headers, "X-Ticketbot-Signature": other_headers["X-Ticketbot-Signature"]}))
    for size in (64 * 1024 + 1, 100_000, 1_000_000):
        big = b'{"ticket_id": %d, "pad": "' % ticket + b"a" * size + b'"}'
        out.append(freshdesk_delivery(ticket, body=big))
    for raw in MALFORMED:
        out.append(freshdesk_delivery(ticket, body=raw))
        out.append(freshdesk_delivery(ticket, body=raw, sign=False))
    out.append((body, {"Content-Type": "application/json"}))
    return out[:50]


def _servicenow_forgeries(ticket: int) -> list[Delivery]:
    """ServiceNow's business rule signs the body alone (``X-Ticketbot-Signature``), no secret
    header, no time: guessed and wrong keys, the signature mangled or moved, the secret sent
    as Freshdesk's header instead of a signature."""
    body, headers = servicenow_delivery(ticket)
    signature = headers["X-Ticketbot-Signature"]
    mac = signature.removeprefix("sha256=")
    out: list[Delivery] = []
    for n in range(8):  # guessed secrets
        out.append(servicenow_delivery(ticket, secret=secrets.token_hex(16 + n)))
    for wrong in ("", "x", SECRET + "x", SECRET[:-1], SECRET.upper()):
        out.append(servicenow_delivery(ticket, secret=wrong))
    for bad in ("sha256=00", "sha256=", "md5=abc", "sha256=" + "0" * 64, "nonsense", mac):
        out.append((body, {**headers, "X-Ticketbot-Signature": bad}))
    as_base64 = base64.b64encode(bytes.fromhex(mac)).decode()  # the right MAC, wrongly encoded
    out.append((body, {**headers, "X-Ticketbot-Signature": as_base64}))
    out.append((body, {"Content-Type": "application/json", "X-Ticketbot-Secret": SECRET}))
    other, other_headers = servicenow_delivery(ticket + 1)
    out.append((other, headers))  # another body under this body's signature
    out.append((body, {**headers, "X-Ticketbot-Signature": other_headers["X-Ticketbot-Signature"]}))
    out.append((body, {"Content-Type": "application/json"}))
    for size in (64 * 1024 + 1, 100_000, 1_000_000):
        big = b'{"ticket_id": %d, "pad": "' % ticket + b"a" * size + b'"}'
        out.append(servicenow_delivery(ticket, body=big))
    for raw in MALFORMED:
        out.append(servicenow_delivery(ticket, body=raw))
        out.append(servicenow_delivery(ticket, body=raw, sign=False))
    return out[:50]


# Each helpdesk's fifty forgeries, in what it signs its deliveries with.
FORGE = {
    "zendesk": _zendesk_forgeries,
    "freshdesk": _freshdesk_forgeries,
    "servicenow": _servicenow_forgeries,
}


def test_fifty_forged_deliveries_are_refused_and_the_genuine_one_triages_once(
    desk: Desk, tmp_path: Path
) -> None:
    ticket, other = desk.create(
        [
            NewTicket("Refund not received", "I was charged twice, refund me."),
            NewTicket("Password reset", "The reset email never arrives."),
        ]
    )
    forge = FORGE[desk.kind]
    with serving(serve_env(desk.env(), tmp_path)) as server:
        forged = forge(ticket)  # now: the stale ones are stale by their margin, no less
        assert len(forged) == 50
        answers = [server.deliver(desk.kind, body, headers) for body, headers in forged]
        statuses = [a.status_code for a in answers]
        accepted = [(n, s) for n, s in enumerate(statuses) if s not in (400, 401, 413)]
        assert accepted == [], accepted
        assert server.client.get(f"{server.url}/healthz").status_code == 200
        assert server.server.state.queue.counts() == {}
        body, headers = delivery_for(desk.kind, ticket)
        first = server.deliver(desk.kind, body, headers)
        again = server.deliver(desk.kind, body, headers)
        assert (first.status_code, again.status_code) == (200, 200)
        server.drained()
        assert server.client.get(f"{server.url}/healthz").status_code == 200
    assert len(desk.snapshot(ticket).notes) == 1
    assert desk.snapshot(other).notes == []
