"""The alert webhook's bounds: a deadline for the whole post, a cap on its answer, no redirect.

A real receiver on port 0 trickles its answer, sends too much or redirects to a second real
receiver; the alert fails with a one-line reason, in time, and nothing reaches the second one.
"""

from __future__ import annotations

import time
from pathlib import Path

from support.clock import FakeClock
from support.trickle import header_trickler
from support.webhook import Receiver

from ticket_processor.alerts.alerter import Alerter
from ticket_processor.state.ledger import RunLedger

START = 1_800_000_000.0


def alerter(url: str, tmp_path: Path, **kwargs: float | int) -> Alerter:
    return Alerter(
        url,
        state=RunLedger(tmp_path / "state"),
        clock=FakeClock(START),
        source="host1",
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_trickling_webhook_ends_at_the_posts_deadline(receiver: Receiver, tmp_path: Path) -> None:
    # Headers at once, then a byte every 0.1 s: each read is quick, the answer takes 20 s.
    receiver.trickle = 0.1
    receiver.answer = b"o" * 200
    started = time.monotonic()
    outcome = alerter(receiver.url, tmp_path, timeout=0.5).escalations("1 ticket escalated")
    elapsed = time.monotonic() - started
    assert outcome.outcome == "failed"
    assert outcome.detail == "webhook gave no complete answer within 0.5 s"
    assert elapsed < 1.5
    assert len(receiver.bodies) == 1  # it was delivered; only the answer never ended


def test_a_trickling_webhook_does_not_hold_an_alert_either(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.trickle = 0.1
    receiver.answer = b"o" * 200
    started = time.monotonic()
    outcome = alerter(receiver.url, tmp_path, timeout=0.4).run_aborted("helpdesk down")
    assert outcome.outcome == "failed"
    assert time.monotonic() - started < 1.5


def test_a_webhook_answer_past_the_cap_stops_the_read(receiver: Receiver, tmp_path: Path) -> None:
    receiver.answer = b"x" * (1024 * 1024)
    outcome = alerter(receiver.url, tmp_path, max_bytes=64 * 1024).breaker_opened("llm")
    assert outcome.outcome == "failed"
    assert outcome.detail == (
        "webhook answer is larger than 64 KiB; reading stopped "
        "(TICKETBOT_WEBHOOK_MAX_BYTES raises the cap)"
    )


def test_a_redirect_to_another_host_is_not_followed(receiver: Receiver, tmp_path: Path) -> None:
    elsewhere = Receiver()
    try:
        receiver.redirect_to = elsewhere.url + "?token=abc"
        outcome = alerter(receiver.url, tmp_path).escalations("1 ticket escalated")
        assert outcome.outcome == "failed"
        host = elsewhere.url.split("/")[2]
        assert outcome.detail == (
            f"webhook answered with a redirect (307) to {host}, not followed: "
            "set TICKETBOT_ALERT_WEBHOOK to the address it should post to"
        )
        assert elsewhere.bodies == []  # the alert's text never left for the other host
        assert len(receiver.bodies) == 1
    finally:
        elsewhere.close()


def test_headers_trickled_a_byte_at_a_time_end_at_the_posts_deadline(tmp_path: Path) -> None:
    with header_trickler() as base:
        started = time.monotonic()
        outcome = alerter(f"{base}/hook", tmp_path, timeout=0.5).escalations("1 ticket escalated")
        assert outcome.detail == "webhook gave no complete answer within 0.5 s"
        assert time.monotonic() - started < 1.5
