"""The requester's own locale in the helpdesk (Zendesk's user ``locale``, Freshdesk's contact
``language``) chooses the reply's language when the ticket's words are too few to tell it and
the LLM writes the answer: the model is asked for that language and the reply's frame is in it.
Without a locale set, the account's default (English) is the requester's."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support.answers_desk import outbox, publish_help_centre
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.server import RunningStandin

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
WRITTEN = "Open Settings, then Appearance, and choose Dark to switch the app to dark mode."


@pytest.mark.parametrize(("locale", "iso"), [("de", "de"), (None, "en")])
@pytest.mark.desk(configure=True)
def test_the_requesters_locale_chooses_the_language_the_llm_answers_in(
    desk: Desk,
    tmp_path: Path,
    make_standin: Callable[..., RunningStandin],
    monkeypatch: pytest.MonkeyPatch,
    locale: str | None,
    iso: str,
) -> None:
    llm = make_standin(script=[json.dumps(ANALYSIS), WRITTEN])
    monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    publish_help_centre(desk)
    # Three words: no language can be told from them.
    desk.create([NewTicket("Dark theme", "Dark mode possible?", locale=locale)])
    result = invoke(
        "run", "--engine", "llm", "--workers", "1", env={"TICKETBOT_ANSWER_MODE": "send"}
    )
    assert result.exit_code == 0, result.output
    (mail,) = outbox(desk)
    asked = [json.dumps(r) for r in llm.received]
    assert any("Appearance" in r and f"ISO code {iso}" in r for r in asked), asked
    assert WRITTEN in mail["body"]
    if iso == "de":
        assert "Hallo" in mail["body"], mail["body"]
