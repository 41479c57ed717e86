"""Alerts: Slack-style JSON to a real local receiver, one per condition per hour, never raising."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.clock import FakeClock
from support.ports import held_refused_port
from support.webhook import Receiver

from ticket_processor.alerts.alerter import Alerter
from ticket_processor.report.runs import LoggedRun, recent_success_rate
from ticket_processor.state.ledger import RunLedger as StateStore

START = 1_800_000_000.0


def make(url: str | None, tmp_path: Path, clock: FakeClock, **kwargs: Any) -> Alerter:
    return Alerter(url, state=StateStore(tmp_path / "state"), clock=clock, source="host1", **kwargs)


def test_alert_posts_slack_json_with_the_reason(receiver: Receiver, tmp_path: Path) -> None:
    outcome = make(receiver.url, tmp_path, FakeClock(START)).run_aborted(
        "Zendesk rejected the API token"
    )
    assert outcome.sent
    assert len(receiver.bodies) == 1
    text = receiver.bodies[0]["text"]
    assert set(receiver.bodies[0]) == {"text"}
    assert "run aborted" in text
    assert "Zendesk rejected the API token" in text
    assert "host1" in text


def test_one_alert_per_condition_per_hour_across_processes(
    receiver: Receiver, tmp_path: Path
) -> None:
    clock = FakeClock(START)
    assert make(receiver.url, tmp_path, clock).breaker_opened("llm").sent
    clock.now += 600
    # A new Alerter over the same state directory is the next cron run.
    second = make(receiver.url, tmp_path, clock)
    assert second.breaker_opened("llm").outcome == "suppressed"
    # Another condition (or another dependency) is not held back by the first.
    assert second.breaker_opened("zendesk").sent
    assert second.run_aborted("x").sent
    clock.now += 3000  # 3600 s after the first llm alert
    assert make(receiver.url, tmp_path, clock).breaker_opened("llm").sent
    texts = [b["text"] for b in receiver.bodies]
    assert len(texts) == 4
    assert "keyword rules" in texts[0]
    assert "helpdesk" in texts[1]


def test_success_rate_alert_only_below_objective(receiver: Receiver, tmp_path: Path) -> None:
    alerter = make(receiver.url, tmp_path, FakeClock(START))
    assert alerter.success_rate_low(0.97, 0.95).outcome == "not_needed"
    assert receiver.bodies == []
    assert alerter.success_rate_low(0.8, 0.95).sent
    assert "80.0%" in receiver.bodies[0]["text"]
    assert "95.0%" in receiver.bodies[0]["text"]


def test_no_webhook_means_disabled(tmp_path: Path) -> None:
    alerter = make(None, tmp_path, FakeClock(START))
    assert not alerter.enabled
    assert alerter.run_aborted("x").outcome == "disabled"


def test_server_error_is_returned_not_raised_and_retried_next_time(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.status = 500
    clock = FakeClock(START)
    outcome = make(receiver.url, tmp_path, clock).run_aborted("boom")
    assert outcome.outcome == "failed"
    assert "500" in outcome.detail
    assert "secret" not in outcome.detail
    receiver.status = 200
    clock.now += 60
    # A failed delivery does not start the quiet hour.
    assert make(receiver.url, tmp_path, clock).run_aborted("boom").sent


def test_refused_connection_is_returned_not_raised(tmp_path: Path) -> None:
    port = held_refused_port()
    url = f"http://127.0.0.1:{port}/hooks/token-abc"
    outcome = make(url, tmp_path, FakeClock(START)).breaker_opened("zendesk")
    assert outcome.outcome == "failed"
    assert "unreachable" in outcome.detail
    assert "token-abc" not in outcome.detail


def test_timeout_is_returned_not_raised(receiver: Receiver, tmp_path: Path) -> None:
    receiver.hang = True
    outcome = make(receiver.url, tmp_path, FakeClock(START), timeout=0.2).run_aborted("slow")
    assert outcome.outcome == "failed"
    assert outcome.detail == "webhook gave no complete answer within 0.2 s"


def test_secrets_in_the_reason_are_scrubbed(receiver: Receiver, tmp_path: Path) -> None:
    alerter = make(receiver.url, tmp_path, FakeClock(START), secrets=("tok-12345",))
    alerter.run_aborted("401 for token tok-12345")
    assert "tok-12345" not in receiver.bodies[0]["text"]
    assert "***" in receiver.bodies[0]["text"]


def test_after_run_alerts_on_abort_and_a_low_rate_over_enough_tickets(
    receiver: Receiver, tmp_path: Path
) -> None:
    def run(triaged: int, failed: int, status: str = "partial") -> LoggedRun:
        return LoggedRun("r", None, None, status, triaged=triaged, failed=failed)

    alerter = make(receiver.url, tmp_path, FakeClock(START))
    # 3 failures of 5 tickets: too few to call it a trend.
    assert (
        alerter.after_run(
            status="partial",
            reason=None,
            recent_rate=recent_success_rate([run(2, 3)]),
            objective=0.95,
        )
        == []
    )
    outcomes = alerter.after_run(
        status="aborted",
        reason="helpdesk unreachable",
        recent_rate=recent_success_rate([run(15, 10), run(0, 0, "aborted")]),
        objective=0.95,
    )
    assert [(o.condition, o.outcome) for o in outcomes] == [
        ("run_aborted", "sent"),
        ("success_rate_low", "sent"),
    ]
    assert "helpdesk unreachable" in receiver.bodies[0]["text"]
    assert "60.0%" in receiver.bodies[1]["text"]


def test_an_llm_failing_in_a_run_alerts_once_an_hour(tmp_path: Path, receiver: Receiver) -> None:
    """An unreachable LLM is not silent even when the run is ok (the rules covered for it): one
    alert an hour naming the error; no LLM configured is a choice, not a failure."""
    alerter = make(receiver.url, tmp_path, FakeClock(START))
    first = alerter.after_run(
        status="ok",
        reason=None,
        recent_rate=recent_success_rate([]),
        objective=0.95,
        llm_failures={"LLMConnectionError": 20},
    )
    assert [o.outcome for o in first if o.condition == "llm_failing"] == ["sent"]
    assert "LLMConnectionError" in receiver.bodies[-1]["text"]
    again = alerter.after_run(
        status="ok",
        reason=None,
        recent_rate=recent_success_rate([]),
        objective=0.95,
        llm_failures={"LLMConnectionError": 5},
    )
    assert [o.outcome for o in again if o.condition == "llm_failing"] == ["suppressed"]
    chosen = alerter.after_run(
        status="ok",
        reason=None,
        recent_rate=recent_success_rate([]),
        objective=0.95,
        llm_failures={"no LLM configured": 5},
    )
    assert not [o for o in chosen if o.condition == "llm_failing"]
