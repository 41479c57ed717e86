"""A first day with the LLM down, on each helpdesk's sandbox: the learned model (bundled, with no
calibration) stands in, and what it alone judges escalation-worthy is only suggested
(``ai_escalation_suggested``, the note says why, no page); what the helpdesk or the keyword
rules say still pages. The alert that the LLM failed names the engine that took over. A
customer's reply re-triaged on such a day whose escalation is held counts among the run's
suggestions (its line, ``run_finished``, ``report``) as a new ticket's does.

The LLM is the stand-in on port 0 set to refuse (every call a 500), PagerDuty its stand-in and
Slack the hook receiver, all real HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.clock import FakeClock
from support.e2e import events, triaged_events
from support.ports import refused_port
from support.webhook import Receiver

from ticket_processor.alerts.pagerduty import dedup_key
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.pagerduty import PagerDutyStandin

pytestmark = pytest.mark.desk(configure=True)

ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"
# Every ticket matches the first route (each has a sentiment): the engine's judgement decides
# it; the second matches on the helpdesk's own tag.
ROUTES = """
[[route]]
name = "anything the engine flags"
when = { sentiment = ["positive", "neutral", "negative"] }
escalate = true

[[route]]
name = "vip customers"
when = { tag = "vip" }
escalate = true
"""


def test_an_unsure_engine_only_suggests_escalations_and_trusted_signals_still_page(
    desk: Desk,
    receiver: Receiver,
    make_standin: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    llm = make_standin(error_rate=1.0)  # refuses every call: the LLM is down
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, "utf-8")
    with PagerDutyStandin() as pagerduty:
        for name, value in {
            "OPENAI_BASE_URL": llm.url,
            "OPENAI_API_KEY": "sk-test-not-a-real-key",
            "TICKETBOT_ROUTES": str(routes),
            "TICKETBOT_CONFIDENCE_THRESHOLD": "0",  # the threshold is another item's concern
            "TICKETBOT_PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
            "TICKETBOT_PAGERDUTY_URL": pagerduty.url,
            "TICKETBOT_ALERT_WEBHOOK": receiver.url,
        }.items():
            monkeypatch.setenv(name, value)
        plain, vip, urgent, down = desk.create(
            [
                NewTicket("Password reset", "The reset link in your mail says it has expired."),
                NewTicket(
                    "Invoice copy",
                    "Could you send me a copy of last month's invoice?",
                    tags=("vip",),
                ),
                NewTicket(
                    "Export question", "How do I export my contacts to a file?", priority="urgent"
                ),
                NewTicket("Production is down", "Production is down for all users since 9:00."),
            ]
        )
        # More of the plain kind, so that the LLM's breaker opens (5 failures in a row).
        others = desk.create(
            [NewTicket(f"Reset link {n}", "The reset link has expired again.") for n in range(6)]
        )
        result = invoke("run")
        assert result.exit_code == 0, result.output
        paged = sorted(e["dedup_key"] for e in pagerduty.state.events)

    triaged = triaged_events(tmp_path / "logs")
    assert {e["engine"] for e in triaged.values()} == {"learned"}
    assert all(e["fallback"] for e in triaged.values())
    # The learned model alone asked to escalate the plain ticket: a suggestion, no page.
    assert triaged[plain]["escalated"] is False
    assert "learned model" in triaged[plain]["escalation_held"]
    tags = desk.snapshot(plain).tags
    assert "ai_escalation_suggested" in tags
    assert "ai_escalated" not in tags
    assert desk.snapshot(plain).priority != "urgent"
    (note,) = desk.snapshot(plain).notes
    assert "escalation SUGGESTED, not sent, by route anything the engine flags" in note
    assert "standing in for the configured engine" in note
    # The helpdesk's tag, its own urgent priority and the keyword rules' critical phrase page.
    assert paged == sorted(dedup_key(desk.url, f"ticket:{t}") for t in (vip, urgent, down))
    for ticket in (vip, urgent, down):
        assert triaged[ticket]["escalated"] is True, ticket
        assert "ai_escalated" in desk.snapshot(ticket).tags
    held = [t for t in (plain, *others) if triaged[t]["escalation_held"]]
    assert held == [plain, *others]
    assert f"escalations_suggested={len(held)}" in result.stdout
    finished = [e for e in events(tmp_path / "logs") if e["event"] == "run_finished"][-1]
    assert finished["escalations_suggested"] == len(held)
    # Slack: the escalation list leaves the suggestion out; the LLM's alert names the engine
    # that really took over.
    texts = [str(body.get("text", "")) for body in receiver.bodies]
    (listed,) = [t for t in texts if "escalated in run" in t]
    assert f"#{plain} " not in listed
    assert f"#{vip} " in listed
    (failing,) = [t for t in texts if "the LLM did not answer" in t]
    assert "they were triaged by the learned model." in failing
    report = invoke("report", "--json")
    assert report.exit_code == 0, report.output
    assert f'"escalations_suggested": {len(held)}' in report.stdout


def test_the_breakers_alert_names_the_engine_that_took_over(
    desk: Desk, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    with refused_port() as port:
        monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
        monkeypatch.setenv("TICKETBOT_ALERT_WEBHOOK", receiver.url)
        desk.create([NewTicket(f"Refund {n}", "I want my money back.") for n in range(8)])
        result = invoke("run")
    assert result.exit_code == 0, result.output
    texts = [str(body.get("text", "")) for body in receiver.bodies]
    (breaker,) = [t for t in texts if "circuit breaker for the llm" in t]
    assert "tickets are triaged by the learned model until it recovers" in breaker


@pytest.mark.desk(clock="desk_clock", configure=True)
def test_a_reply_whose_escalation_is_held_is_counted_as_a_suggestion(
    desk: Desk,
    desk_clock: FakeClock,
    make_standin: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    llm = make_standin(error_rate=1.0)  # the LLM is down: the uncalibrated learned model judges
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, "utf-8")
    for name, value in {
        "OPENAI_BASE_URL": llm.url,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "TICKETBOT_ROUTES": str(routes),
        "TICKETBOT_CONFIDENCE_THRESHOLD": "0",
    }.items():
        monkeypatch.setenv(name, value)
    [ticket] = desk.create([NewTicket("Password reset", "The reset link says it has expired.")])
    first = invoke("run")
    assert first.exit_code == 0, first.output
    assert "escalations_suggested=1" in first.stdout

    desk_clock.advance(5)
    desk.requester_says(ticket, "Still broken: the new reset link has expired too. Please help.")
    desk_clock.now = float(int(time.time()))  # the reply is over a minute old now
    second = invoke("run")

    assert second.exit_code == 0, second.output
    assert "escalations_suggested=1" in second.stdout, second.stdout
    finished = [e for e in events(tmp_path / "logs") if e["event"] == "run_finished"]
    assert [e["escalations_suggested"] for e in finished] == [1, 1]
    report = invoke("report", "--json")
    assert report.exit_code == 0, report.output
    assert '"escalations_suggested": 2' in report.stdout
    [reply] = [e for e in events(tmp_path / "logs") if e["event"] == "reply_triaged"]
    assert reply["ticket_id"] == ticket
    assert reply["escalated"] is False
    assert "learned model" in reply["escalation_held"]
    assert "ai_escalated" not in desk.snapshot(ticket).tags
