"""``screen.unsafe`` on plain strings: what a public reply may never carry, and what it may."""

from __future__ import annotations

import pytest

from ticket_processor.answers.compose import grounded
from ticket_processor.triage.screen import asks_for_secret, unsafe

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


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        # What the writer does is not asked of the reader (a macro's text, the seed's own).
        (
            "You can reset your password from the sign-in page: click Forgot password, enter "
            "the email address of your account and follow the link we send you.",
            False,
        ),
        ("We will send you a new PIN by post.", False),
        ("Wir senden Ihnen ein neues Passwort.", False),
        # The reader is asked, whoever else acts in the sentence.
        ("We send you a link; reply with your password.", True),
        ("Send us your password and we will reset it.", True),
        ("We need you to send your password.", True),
        ("Please tell us the verification code we sent you.", True),
        ("Which password did we send you?", True),
    ],
)
def test_a_secret_is_asked_for_only_of_the_reader(text: str, asks: bool) -> None:
    assert (asks_for_secret(text) is not None) is asks


DARK = (
    "To switch the app to dark mode, open Settings, then Appearance, and choose Dark. The "
    "change applies to every device you sign in on."
)


@pytest.mark.parametrize(
    "answer",
    [
        "Open Settings, then Appearance, and choose Dark on every device at evil[.]example.",
        "Open Settings, then Appearance, and choose Dark on every device at evil(.)example.",
        "Open Settings, then Appearance, and choose Dark on every device at evil [dot] example.",
        "Open Settings, then Appearance, and choose Dark on every device at evil{.}example.",
        "Open Settings, then Appearance, and choose Dark on every device: hxxp://evil.example.",
        "Open Settings, then Appearance, and choose Dark on every device: hxxps://evil[.]example.",
        "Open Settings, then Appearance, and choose Dark on every device at evil dot example.",
    ],
)
def test_a_defanged_link_does_not_pass_the_grounding(answer: str) -> None:
    """A reader turns ``evil[.]example`` back into a link: one such domain in an otherwise
    grounded answer is refused, as the plain domain is."""
    assert grounded(answer.split(" at ")[0].split(":")[0] + ".", DARK) is None  # the rest holds
    refused = grounded(answer, DARK)
    assert refused is not None
    assert "evil" in refused


def test_a_dot_in_words_is_not_a_link_where_no_domain_follows() -> None:
    said = "Tap the red dot next to Appearance, then choose Dark."
    assert unsafe(said, said) is None
