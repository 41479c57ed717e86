"""``ticketbot run`` and ``serve`` as processes on each helpdesk's sandbox while the escalation
channels deliver: a run killed with SIGKILL while Teams holds the card, the next run delivers
what was owed, once per channel (PagerDuty and the mail took theirs before the kill: not sent
again); a server killed while PagerDuty holds the page, the restarted server pages it; with
PagerDuty hanging and a relay trickling its greeting, ``--max-runtime 20`` still ends the run;
a SIGTERM while the relay trickles ends it within seconds; what was not delivered is delivered
by a later run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest
from support.cli import invoke
from support.hook_receiver import Answer, HookReceiver
from support.serving import delivery_for, serve_env, serve_process
from support.smtp_server import SmtpSink, TricklingRelay

from ticket_processor.alerts.pagerduty import dedup_key
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.pagerduty import PagerDutyStandin

ROOT = Path(__file__).resolve().parents[2]
ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"
ROUTES = """
[[route]]
name = "billing is escalated"
when = { category = "billing" }
escalate = true
"""

pytestmark = [
    pytest.mark.desk(configure=True),
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and SIGTERM are POSIX"),
]


@pytest.fixture
def escalating(desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """The routes that escalate billing, and one billing ticket: its id."""
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, "utf-8")
    monkeypatch.setenv("TICKETBOT_ROUTES", str(routes))
    monkeypatch.setenv("TICKETBOT_CONFIDENCE_THRESHOLD", "0")  # the rules are unsure of themselves
    monkeypatch.setenv("TICKETBOT_PAGERDUTY_ROUTING_KEY", ROUTING_KEY)
    (charged,) = desk.create(
        [NewTicket("Charged twice", "I was charged twice on my invoice, refund the payment")]
    )
    return charged


def start_run(tmp_path: Path, *flags: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ticket_processor", "run", "--engine", "rules", *flags],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "run.err").open("wb"),
        cwd=tmp_path,
    )


@pytest.mark.smtp
def test_a_run_killed_while_teams_holds_the_card_leaves_it_owed_and_the_next_run_sends_it_once(
    desk: Desk,
    escalating: int,
    hook_receiver: HookReceiver,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    mail = SmtpSink("plain")
    hook_receiver.script = [Answer(200, hang=300.0)]  # Teams holds the first card
    try:
        with PagerDutyStandin() as pagerduty:
            monkeypatch.setenv("TICKETBOT_PAGERDUTY_URL", pagerduty.url)
            monkeypatch.setenv("TICKETBOT_SMTP_URL", mail.url)
            monkeypatch.setenv("TICKETBOT_ALERT_EMAIL", "oncall@example.com")
            monkeypatch.setenv("TICKETBOT_TEAMS_WEBHOOK", hook_receiver.url)
            process = start_run(tmp_path)
            try:
                hook_receiver.wait_for(1, timeout=180)  # the card is on its way: mid-delivery
            finally:
                process.send_signal(signal.SIGKILL)
                process.wait(60)
            assert process.returncode == -signal.SIGKILL
            assert "ai_escalated" in desk.snapshot(escalating).tags
            assert len(pagerduty.state.events) == 1  # taken (202) before the kill
            assert len(mail.messages) == 1  # taken (250) before the kill
            for _ in range(2):  # the restarted schedule: Teams answers at once now
                result = invoke("run", "--engine", "rules")
                assert result.exit_code == 0, result.output
            assert [e["dedup_key"] for e in pagerduty.state.events] == [
                dedup_key(desk.url, f"ticket:{escalating}")
            ]
            assert len(mail.messages) == 1
            cards = [orjson.loads(r.body) for r in hook_receiver.received]
            assert len(cards) == 2  # the one the kill cut short, and the one Teams took
            for card in cards:
                text = orjson.dumps(card).decode()
                assert f"#{escalating}" in text
    finally:
        mail.close()


@pytest.mark.slow  # waits out --max-runtime and a trickling relay: tens of seconds
def test_a_hanging_pagerduty_and_a_trickling_relay_do_not_hold_a_run_past_max_runtime(
    desk: Desk,
    escalating: int,
    hook_receiver: HookReceiver,
    trickling_relay: TricklingRelay,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    hook_receiver.script = [Answer(202, hang=300.0) for _ in range(10)]  # PagerDuty hangs
    monkeypatch.setenv("TICKETBOT_PAGERDUTY_URL", hook_receiver.url)
    monkeypatch.setenv("TICKETBOT_SMTP_URL", trickling_relay.url)
    monkeypatch.setenv("TICKETBOT_ALERT_EMAIL", "oncall@example.com")
    started = time.monotonic()
    process = start_run(tmp_path, "--max-runtime", "20")
    try:
        process.wait(180)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError("the run outlived its --max-runtime by minutes") from None
    took = time.monotonic() - started
    # 20 s and the grace (2 s), plus starting Python on a busy machine: generous, and far
    # below the minutes a trickling relay held a run before.
    assert took < 60, took
    assert process.returncode in (0, 3), (tmp_path / "run.err").read_text()
    assert "ai_escalated" in desk.snapshot(escalating).tags
    # PagerDuty answers again: the next run pages what was owed, with the ticket's key.
    with PagerDutyStandin() as pagerduty:
        monkeypatch.setenv("TICKETBOT_PAGERDUTY_URL", pagerduty.url)
        result = invoke("run", "--engine", "rules", "--max-runtime", "20")
        assert result.exit_code == 0, result.output
        assert [e["dedup_key"] for e in pagerduty.state.events] == [
            dedup_key(desk.url, f"ticket:{escalating}")
        ]


@pytest.mark.slow  # waits out --max-runtime and a trickling relay: tens of seconds
def test_a_sigterm_while_the_relay_trickles_ends_the_run_within_seconds(
    desk: Desk,
    escalating: int,
    trickling_relay: TricklingRelay,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.delenv("TICKETBOT_PAGERDUTY_ROUTING_KEY")
    monkeypatch.setenv("TICKETBOT_SMTP_URL", trickling_relay.url)
    monkeypatch.setenv("TICKETBOT_ALERT_EMAIL", "oncall@example.com")
    process = start_run(tmp_path)
    try:
        trickling_relay.wait_for_connection(timeout=180)  # the mail's exchange is under way
        asked = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(120)
    except (subprocess.TimeoutExpired, AssertionError):
        process.kill()
        raise
    # The graceful stop gives a delivery 5 s; 30 s is generous on a busy machine, and far
    # below the run that went on for minutes.
    assert time.monotonic() - asked < 30
    said = (tmp_path / "run.err").read_text()
    # The tickets were written before the signal: the run ends as finished (0) or stopped (143).
    assert process.returncode in (0, 143), said
    assert "still delivering when the run had to end (SIGINT / SIGTERM)" in said
    assert "ai_escalated" in desk.snapshot(escalating).tags


def test_a_server_killed_while_pagerduty_holds_the_page_is_paged_by_the_restarted_server(
    desk: Desk, escalating: int, hook_receiver: HookReceiver, tmp_path: Path
) -> None:
    hook_receiver.script = [Answer(202, hang=300.0)]  # PagerDuty holds the first page
    env = serve_env(desk.env(), tmp_path, TICKETBOT_PAGERDUTY_URL=hook_receiver.url)
    process, url = serve_process(env, tmp_path / "serve-1.err", timeout=90)
    try:
        body, headers = delivery_for(desk.kind, escalating)
        answer = httpx.post(
            f"{url}/webhooks/{desk.kind}", content=body, headers=headers, timeout=30
        )
        assert answer.status_code == 200, answer.text
        hook_receiver.wait_for(1, timeout=90)  # the page is on its way: mid-delivery
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(60)
    assert "ai_escalated" in desk.snapshot(escalating).tags
    with PagerDutyStandin() as pagerduty:
        env["TICKETBOT_PAGERDUTY_URL"] = pagerduty.url
        process, url = serve_process(env, tmp_path / "serve-2.err", timeout=90)
        try:
            deadline = time.monotonic() + 90
            while not pagerduty.state.events:  # the restarted server's first pass
                assert time.monotonic() < deadline, (tmp_path / "serve-2.err").read_text()
                time.sleep(0.1)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(60)
        assert [e["dedup_key"] for e in pagerduty.state.events] == [
            dedup_key(desk.url, f"ticket:{escalating}")
        ]
