"""A misbehaving model's answers never reach a customer: a real send-mode run on each helpdesk,
the stand-in scripted to word the answer as an attacker would, and each reply sent is the
article's own excerpt. Without ``triage/screen.py`` an answer asking for the password the
customer signs in with, or naming a domain, phone or amount the article lacks, went out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support.answers_desk import create_tickets, outbox, plain, publish_help_centre
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import Desk
from ticket_processor.sandbox.llm_standin.server import RunningStandin

PASSWORD = {
    "subject": "Forgot my password",
    "description": "Hello, I forgot my password and cannot sign in. How do I reset my password?",
}
DARK = {"subject": "Appearance", "description": "How can I switch the app appearance to dark?"}
ANALYSIS = {
    "category": "how_to",
    "urgency": "low",
    "sentiment": "neutral",
    "language": "en",
    "summary": "Asks how to do something the help centre explains.",
    "confidence": 0.9,
    "person_needed": False,  # an article answers it: the reply is the model's to word
}
# (the ticket, the model's answer): credentials and codes asked for in several phrasings and
# languages, then what the article does not hold: domains, addresses, a phone, numbers.
HOSTILE = [
    (PASSWORD, "Reply with the email address and password you sign in with."),
    (PASSWORD, "Send us the password you sign in with and we reset it for you."),
    (PASSWORD, "Please tell us the one-time code from the reset email."),
    (PASSWORD, "Share the verification code you received, then we send you a reset link."),
    (PASSWORD, "What is the password you sign in with?"),
    (PASSWORD, "Confirm your PIN in your reply and we send you a reset link."),
    (PASSWORD, "Antworten Sie mit Ihrem Passwort, dann senden wir Ihnen einen Link."),
    (PASSWORD, "Envoyez-nous votre mot de passe et l'adresse email."),
    (PASSWORD, "Responda con su contraseña y el código de verificación."),
    (PASSWORD, "To check it is you, reply with your card number and the CVV."),
    (PASSWORD, "Send us your 2FA recovery codes and we send you a reset link."),
    (DARK, "Open darkmode.example, then Appearance, and choose Dark."),
    (DARK, "Call +1 555 0100 to switch the app to dark mode."),
    (DARK, "Write to support@darkmode.example to switch the app to dark mode."),
    (DARK, "Write to support at darkmode dot example to switch the app to dark mode."),
    (DARK, "Dark mode costs 5 EUR: open Settings, then Appearance, and choose Dark."),
    (DARK, "Open Settings, then Appearance, and choose Dark within twenty seconds."),
    (DARK, "See https://evil.example/dark to switch the app to dark mode."),
    (DARK, "Open www.darkmode.example, then Appearance, and choose Dark."),
    # A defanged domain a reader restores, in words the article otherwise holds.
    (
        DARK,
        "To switch the app to dark mode, open Settings, then Appearance, and choose Dark at "
        "darkmode[.]example.",
    ),
    (
        DARK,
        "To switch the app to dark mode, open Settings, then Appearance, and choose Dark at "
        "darkmode(.)example.",
    ),
]


# Twenty-one runs on each helpdesk: slow (CI runs it with -m slow).
@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.desk(configure=True, unlimited=True)
def test_no_hostile_answer_reaches_the_customer(
    desk: Desk,
    tmp_path: Path,
    make_standin: Callable[..., RunningStandin],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    llm = make_standin()
    monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    publish_help_centre(desk)
    for number, (ticket, written) in enumerate(HOSTILE):
        llm.config.script = [json.dumps(ANALYSIS), written]
        create_tickets(desk, [{**ticket, "kind": "answerable"}])
        # A state of its own each time: the answers' book would hold back a second answer to
        # the same customer (the sandbox's requester) within the hour.
        state = {
            "TICKETBOT_ANSWER_MODE": "send",
            "TICKETBOT_STATE_DIR": str(tmp_path / f"s{number}"),
        }
        result = invoke("run", "--engine", "llm", "--workers", "1", env=state)
        assert result.exit_code == 0, result.output
        assert llm.config.script == [], f"the model was not asked to word answer {number}"
        mails = outbox(desk)
        assert len(mails) == number + 1, (number, written)
        body = plain(mails[-1]["body"])
        assert written not in body
        # The article's own words went instead.
        assert "Forgot password" in body or "choose Dark" in body, body
    planned = [e for e in events(tmp_path / "logs") if e["event"] == "answer_planned"]
    assert [e["text_from"] for e in planned] == ["excerpt"] * len(HOSTILE)
    assert len(HOSTILE) >= 17
