"""A webhook that trickles its answer must not hold the run, nor its lock.

The escalation post and the alerts go after the tickets are written, with the state lock still
held; a webhook that sends its headers and then a byte at a time kept a run alive for good, and
every later cron run exited 0 with "another run holds the lock". Each post now ends at its own
deadline (``TICKETBOT_WEBHOOK_TIMEOUT``), the run ends, and the next run works.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import configure, create, events, triaged_events
from support.webhook import Receiver

from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.run import engines
from ticket_processor.sandbox.llm_standin.server import RunningStandin

WEBHOOK_TIMEOUT = 0.5
ROUTES = """
[[route]]
name = "billing is escalated"
when = { category = "billing" }
escalate = true
"""


def trickling(receiver: Receiver) -> None:
    receiver.trickle = 0.2  # 300 bytes: a minute in all, every read well inside its timeout
    receiver.answer = b"o" * 300


def setup(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sandbox: RunningSandbox,
    standin: RunningStandin,
    receiver: Receiver,
) -> Path:
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, "utf-8")
    return configure(
        monkeypatch,
        tmp_path,
        sandbox=sandbox,
        llm_url=standin.url,
        workers=2,
        TICKETBOT_ROUTES=str(routes),
        TICKETBOT_ALERT_WEBHOOK=receiver.url,
        TICKETBOT_WEBHOOK_TIMEOUT=str(WEBHOOK_TIMEOUT),
        # The keyword rules are unsure of themselves; routes apply to confident analyses only.
        TICKETBOT_CONFIDENCE_THRESHOLD="0",
        # The run's time is the webhook's: a rules run with the spam gate loads the encoder
        # first (seconds on a busy machine), which this test's bound on the run is not about.
        TICKETBOT_SPAM_GATE="false",
    )


def test_a_trickling_escalation_webhook_ends_with_the_run(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sandbox: RunningSandbox,
    standin: RunningStandin,
    receiver: Receiver,
) -> None:
    log_dir = setup(monkeypatch, tmp_path, sandbox, standin, receiver)
    first_ids = create(sandbox, [{"subject": "Charged twice", "comment": {"body": "Refund me"}}])
    trickling(receiver)
    started = time.monotonic()
    first = invoke("run", "--engine", "rules")
    took = time.monotonic() - started
    assert first.exit_code == 0, first.output
    assert took < 5, took  # the post ended at its deadline, not after the minute-long answer
    assert sorted(triaged_events(log_dir)) == first_ids
    alerts = [e for e in events(log_dir) if e["event"] == "alert"]
    assert [(a["condition"], a["outcome"]) for a in alerts] == [("escalated", "failed")]
    assert alerts[0]["detail"] == f"webhook gave no complete answer within {WEBHOOK_TIMEOUT:g} s"

    # The lock went with the run: the next one triages the new ticket and posts its alert.
    receiver.trickle = 0.0
    second_ids = create(sandbox, [{"subject": "Invoice wrong", "comment": {"body": "Refund"}}])
    second = invoke("run", "--engine", "rules")
    assert second.exit_code == 0, second.output
    assert "holds the lock" not in second.output
    assert sorted(triaged_events(log_dir)) == sorted(first_ids + second_ids)
    assert len(receiver.bodies) == 2
    assert f"#{second_ids[0]}" in receiver.bodies[1]["text"]


@pytest.mark.slow
def test_a_trickling_alert_webhook_does_not_hold_the_run(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sandbox: RunningSandbox,
    standin: RunningStandin,
    receiver: Receiver,
) -> None:
    monkeypatch.setattr(
        engines,
        "LLM_RETRY",
        dataclasses.replace(engines.LLM_RETRY, base_delay=0.01, max_delay=0.02),
    )
    log_dir = setup(monkeypatch, tmp_path, sandbox, standin, receiver)
    ids = create(sandbox, [{"subject": "Parcel lost", "comment": {"body": "Where is it?"}}])
    # The LLM fails every call: the ticket falls back, and the run alerts "llm_failing".
    standin.config.error_rate = 1.0
    trickling(receiver)
    started = time.monotonic()
    first = invoke("run")
    took = time.monotonic() - started
    assert first.exit_code == 0, first.output
    assert took < 5, took
    alerts = [e for e in events(log_dir) if e["event"] == "alert"]
    assert [(a["condition"], a["outcome"]) for a in alerts] == [("llm_failing", "failed")]
    assert sorted(triaged_events(log_dir)) == ids

    more = create(sandbox, [{"subject": "Parcel late", "comment": {"body": "Still waiting"}}])
    again = invoke("run", "--engine", "rules")
    assert again.exit_code == 0, again.output
    assert "holds the lock" not in again.output
    assert sorted(triaged_events(log_dir)) == sorted(ids + more)
