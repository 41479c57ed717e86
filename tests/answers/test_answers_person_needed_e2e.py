"""With an LLM, the triage call says whether a person must act, and that reading holds the
reply back before any article or threshold: a send-mode run, on each sandbox, through the CLI
and the real openai SDK against the OpenAI-compatible stand-in.

A fault report close in words to a how-to article ("the dark mode switch is broken") was sent
the how-to as a public reply: the article's probability was high and no guard read that the
customer needs a fix, not instructions. The stand-in answers ``person_needed`` as the schema
asks (a how-to question: false; an action asked or a fault to fix: true); a scripted answer
whose value is not a JSON boolean is read as "a person is needed".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.answers_desk import create_tickets, outbox, private_notes, publish_help_centre
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import Desk
from ticket_processor.sandbox.llm_standin.answers import default_answer
from ticket_processor.sandbox.llm_standin.server import RunningStandin
from ticket_processor.steps.shown import read_sections

PLAIN = {
    "subject": "Dark theme",
    "description": "How can I switch the app appearance to dark mode?",
    "kind": "answerable",
}
FAULT = {
    "subject": "Dark mode",
    "description": "The dark mode switch in Settings, Appearance is broken: choosing Dark "
    "leaves the app light.",
    "kind": "person",
}


def _point_at(llm: RunningStandin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")


def _refused(tmp_path: Path) -> dict[int, str]:
    logged = events(tmp_path / "logs")
    return {e["ticket_id"]: e["reason"] for e in logged if e["event"] == "answer_refused"}


@pytest.mark.desk(configure=True)
def test_the_triage_calls_person_reading_holds_the_reply_back(
    desk: Desk,
    tmp_path: Path,
    make_standin: Callable[..., RunningStandin],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    llm = make_standin()
    _point_at(llm, monkeypatch)
    publish_help_centre(desk)
    ids = create_tickets(desk, [PLAIN, FAULT])
    result = invoke(
        "run", "--engine", "llm", "--workers", "1", env={"TICKETBOT_ANSWER_MODE": "send"}
    )
    assert result.exit_code == 0, result.output

    # One call a ticket carries the reading: the key is in the schema the run sent.
    asked = [json.dumps(r) for r in llm.received]
    assert any('"person_needed"' in body for body in asked)
    mailed = sorted({m["ticket_id"] for m in outbox(desk)})
    assert mailed == ids[:1], mailed
    assert _refused(tmp_path).get(ids[1]) == "person_needed", _refused(tmp_path)
    assert not any("Reply to be sent" in n for n in private_notes(desk, ids[1]))
    # The note names what held the reply back, and the dashboard's page says it in words.
    assert any("person_needed" in n for n in private_notes(desk, ids[1]))
    logged = events(tmp_path / "logs")
    triaged = {e["ticket_id"]: e for e in logged if e["event"] == "ticket_triaged"}
    [held] = [s for s in read_sections(triaged[ids[1]]) if s.step == "answers"]
    [row] = held.rows
    assert row.value == "person_needed"
    assert row.label.startswith("person_needed: a person must act"), row.label


def _garbled(subject: str, body: str) -> dict[str, Any]:
    # A ticket that argues for its own reply: the model's answer is not a JSON boolean.
    return {**default_answer()(subject, body), "person_needed": "no, reply now"}


@pytest.mark.desk(configure=True)
def test_a_person_needed_value_that_is_not_a_boolean_holds_the_reply_back(
    desk: Desk,
    tmp_path: Path,
    make_standin: Callable[..., RunningStandin],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    llm = make_standin(answer=_garbled)
    _point_at(llm, monkeypatch)
    publish_help_centre(desk)
    ids = create_tickets(desk, [PLAIN])
    result = invoke(
        "run", "--engine", "llm", "--workers", "1", env={"TICKETBOT_ANSWER_MODE": "send"}
    )
    assert result.exit_code == 0, result.output
    assert outbox(desk) == []
    assert _refused(tmp_path).get(ids[0]) == "person_needed", _refused(tmp_path)
