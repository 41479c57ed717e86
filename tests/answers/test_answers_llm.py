"""With an LLM, an answer may be worded by the model from the article alone, through the real
openai SDK against the OpenAI-compatible stand-in: a grounded answer is sent in its words; one
with a link, number or promise the article lacks is not (the article's own excerpt is)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support.answers_desk import create_tickets, outbox, publish_help_centre
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import Desk
from ticket_processor.sandbox.llm_standin.server import RunningStandin

TICKET = {
    "subject": "Dark theme",
    "description": "How can I switch the app appearance to dark?",
    "kind": "answerable",
}
ANALYSIS = {
    "category": "how_to",
    "urgency": "low",
    "sentiment": "neutral",
    "language": "en",
    "summary": "Asks how to switch to dark mode.",
    "confidence": 0.9,
    # the triage call's person-needed view (asked when answers are on): a how-to
    "person_needed": False,
    "person_reason": "a how-to question",
}
GROUNDED = "Open Settings, then Appearance, and choose Dark to switch the app to dark mode."
INVENTED = "Dark mode costs 5 EUR a month, buy it at https://evil.example/dark today."


@pytest.mark.parametrize(("written", "sent_as_written"), [(GROUNDED, True), (INVENTED, False)])
@pytest.mark.desk(kinds=("zendesk",), configure=True)
def test_an_llm_answer_is_sent_only_when_the_article_supports_it(
    desk: Desk,
    tmp_path: Path,
    make_standin: Callable[..., RunningStandin],
    monkeypatch: pytest.MonkeyPatch,
    written: str,
    sent_as_written: bool,
) -> None:
    llm = make_standin(script=[json.dumps(ANALYSIS), written])
    monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    publish_help_centre(desk)
    create_tickets(desk, [TICKET])
    result = invoke(
        "run", "--engine", "llm", "--workers", "1", env={"TICKETBOT_ANSWER_MODE": "send"}
    )
    assert result.exit_code == 0, result.output
    (mail,) = outbox(desk)
    assert (written in mail["body"]) == sent_as_written
    assert "evil.example" not in mail["body"]
    assert "choose Dark" in mail["body"]
    planned = [e for e in events(tmp_path / "logs") if e["event"] == "answer_planned"]
    assert [e["text_from"] for e in planned] == ["llm" if sent_as_written else "excerpt"]
    # The model was shown the article, never the ticket's text.
    asked = [json.dumps(r) for r in llm.received]
    assert any("Appearance" in r and "ISO code en" in r for r in asked)
    assert not any("switch the app appearance" in r and "ISO code en" in r for r in asked)
