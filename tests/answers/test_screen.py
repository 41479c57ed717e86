"""``screen.unsafe`` on plain strings: what a public reply may never carry, and what it may."""

from __future__ import annotations

import pytest

from ticket_processor.answers.compose import grounded
from ticket_processor.answers.screen import unsafe

RESET = (
    "If you forgot your password, open the sign-in page and click Forgot password?. Enter the "
    "email address you sign in with and we send you a reset link. The reset link expires after "
    "30 minutes and can be used once. Call 0800 123 456 if it does not arrive."
)


@pytest.mark.parametrize(
    "answer",
    [
        "Reply with the email address and password you sign in with.",
        "What is the password you sign in with?",
        "Tell us the one-time code from the reset email.",
        "Schicken Sie uns Ihr Kennwort.",
        "Indiquez votre code de vérification.",
        "Envíenos su contraseña.",
        "Stuur ons uw wachtwoord.",
        "Envie a sua senha.",
        "Click reset and enter your card number.",
        "Open reset.example to reset it.",
        "Call +44 20 7946 0958.",
        "Call 0800 123 457 if it does not arrive.",
        "Write to help at example dot com.",
        "The reset link expires after 300 minutes.",
        "The reset link expires after twenty minutes.",
    ],
)
def test_refused(answer: str) -> None:
    assert unsafe(answer, RESET) is not None


@pytest.mark.parametrize(
    "answer",
    [
        "Open the sign-in page and click Forgot password.",
        "Enter the email address you sign in with and we send you a reset link.",
        "The reset link expires after 30 minutes and can be used once.",
        "Call 0800 123 456 if it does not arrive.",
        "Call 0800-123-456 if it does not arrive.",
    ],
)
def test_kept(answer: str) -> None:
    assert unsafe(answer, RESET) is None
    assert grounded(answer, RESET) is None
